"""The sampler script in real subprocesses: it records stacks and leaves the target's exit
code, sys.argv and signals alone; spawned and forked children get their own files."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from hpctui.core.stacks.samples import read_sample_file, sample_files
from waits import wait_until

pytestmark = pytest.mark.timeout(60)

SAMPLER = Path(__file__).resolve().parents[3] / "hpctui" / "on_node" / "sampler.py"


def _target(tmp_path: Path, name: str, source: str) -> Path:
    (tmp_path / "mods").mkdir(exist_ok=True)
    (tmp_path / "mods" / f"{name}.py").write_text(textwrap.dedent(source))
    return tmp_path / "mods"


def _run(tmp_path: Path, module: str, *args: str, sampler_args=("--rate", "50"), **kw):
    out = tmp_path / "out"
    return subprocess.run(
        [sys.executable, str(SAMPLER), "--out", str(out), *sampler_args, "-m", module, *args],
        cwd=tmp_path / "mods", capture_output=True, text=True, timeout=40, **kw,
    ), out


@pytest.mark.parametrize("code, expected", [("0", 0), ("3", 3), ("'msg'", 1), ("None", 0)])
def test_exit_codes_propagate(tmp_path, code, expected):
    _target(tmp_path, "ex", f"import sys\nsys.exit({code})\n")
    proc, _ = _run(tmp_path, "ex")
    assert proc.returncode == expected, proc.stderr
    if code == "'msg'":
        assert proc.stderr.strip() == "msg"


def test_uncaught_exception_exits_1_with_the_targets_traceback(tmp_path):
    _target(tmp_path, "boom", "raise RuntimeError('boom here')\n")
    proc, _ = _run(tmp_path, "boom")
    assert proc.returncode == 1
    assert "RuntimeError: boom here" in proc.stderr
    assert "boom.py" in proc.stderr


def test_argv_and_main_are_as_under_python_m(tmp_path):
    _target(tmp_path, "show", """\
        import json, sys
        print(json.dumps({"argv": sys.argv, "name": __name__, "path0": sys.path[0],
                          "main": sys.modules["__main__"].__spec__.name}))
    """)
    proc, _ = _run(tmp_path, "show", "a", "--b", "-m", "x")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    plain = subprocess.run([sys.executable, "-m", "show", "a", "--b", "-m", "x"], cwd=tmp_path / "mods",
                           capture_output=True, text=True, timeout=30)
    assert got == json.loads(plain.stdout)
    assert got["argv"][1:] == ["a", "--b", "-m", "x"] and got["argv"][0].endswith("show.py")


def test_sigterm_kills_the_target_by_sigterm(tmp_path):
    _target(tmp_path, "wait", """\
        import time
        def waiting_here():
            time.sleep(60)
        waiting_here()
    """)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, str(SAMPLER), "--out", str(out), "-m", "wait"],
                            cwd=tmp_path / "mods")
    try:
        # Wait until the first batch is on disk: the target is running under the sampler.
        wait_until(lambda: (files := sample_files(out)) and read_sample_file(files[0]).samples,
                   "the first samples on disk")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == -signal.SIGTERM
    finally:
        proc.kill()
    (f,) = sample_files(out)
    samples = read_sample_file(f).samples
    assert samples[-1].stack[-1].function == "waiting_here"


def test_records_the_main_thread_from_before_imports_and_ends_with_exit(tmp_path):
    _target(tmp_path, "busy", """\
        import time
        def spin(seconds):
            end = time.time() + seconds
            while time.time() < end:
                pass
        spin(1.0)
    """)
    proc, out = _run(tmp_path, "busy")
    assert proc.returncode == 0, proc.stderr
    (path,) = sample_files(out)
    f = read_sample_file(path)
    assert f.pid != os.getpid() and f.ppid == os.getpid()
    assert f.rate == 50.0 and f.argv[1:3] == ["-m", "busy"]
    assert f.ended == "exit" and f.problems == []
    assert path.name == f"{f.host}-{f.pid}.stacks"
    # At 50 Hz for ~1 s: most samples are in spin(), outermost frame is the module itself
    # (the sampler's own launcher and runpy are not recorded).
    spin = [s for s in f.samples if s.stack and s.stack[-1].function == "spin"]
    assert len(spin) >= 25
    assert spin[0].stack[0].filename.endswith("busy.py") and spin[0].stack[0].function == "<module>"
    assert all("sampler.py" not in fr.filename and "runpy" not in fr.filename for fr in spin[0].stack)
    times = [s.time for s in f.samples]
    assert times == sorted(times)


def test_spawned_child_is_sampled_into_its_own_file(tmp_path):
    _target(tmp_path, "spawner", """\
        import multiprocessing, time
        def child_waits_here():
            time.sleep(1.5)
        if __name__ == "__main__":
            p = multiprocessing.get_context("spawn").Process(target=child_waits_here)
            p.start(); p.join()
            raise SystemExit(p.exitcode)
    """)
    proc, out = _run(tmp_path, "spawner")
    assert proc.returncode == 0, proc.stderr
    files = [read_sample_file(p) for p in sample_files(out)]
    assert len(files) == 2
    parent = next(f for f in files if not f.is_spawned_child)
    child = next(f for f in files if f.is_spawned_child)
    assert child.ppid == parent.pid
    assert any(s.stack and s.stack[-1].function == "child_waits_here" for s in child.samples)


def test_forked_child_gets_a_new_file_and_parent_file_is_not_touched_by_it(tmp_path):
    _target(tmp_path, "forker", """\
        import os, time
        def in_child():
            # Longer than one flush interval: os._exit skips atexit, so only whole
            # batches of a forked child reach the file.
            time.sleep(1.6)
        pid = os.fork()
        if pid == 0:
            in_child()
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        raise SystemExit(os.waitstatus_to_exitcode(status))
    """)
    proc, out = _run(tmp_path, "forker")
    assert proc.returncode == 0, proc.stderr
    files = {f.pid: f for f in map(read_sample_file, sample_files(out))}
    assert len(files) == 2
    child = next(f for f in files.values() if f.ppid in files)
    parent = files[child.ppid]
    assert any(s.stack and s.stack[-1].function == "in_child" for s in child.samples)
    assert parent.ended == "exit" and parent.problems == [] and child.problems == []


def test_size_limit_rotates_and_bounds_disk_use(tmp_path):
    _target(tmp_path, "deep", """\
        import time
        def level(n):
            if n:
                return level(n - 1)
            time.sleep(0.001)
        end = time.time() + 2.5
        while time.time() < end:
            for i in range(30):
                level(i)
    """)
    limit = 4000
    proc, out = _run(tmp_path, "deep", sampler_args=("--rate", "100", "--max-bytes", str(limit)))
    assert proc.returncode == 0, proc.stderr
    (path,) = sample_files(out)
    old = Path(str(path) + ".1")
    assert old.exists()
    # A file rotates at the sample that reaches the limit: one stack line over at most.
    assert path.stat().st_size < 2 * limit and old.stat().st_size < 2 * limit
    f = read_sample_file(path)
    assert f.problems == [] and f.samples and f.pid > 0


@pytest.mark.parametrize("args, word", [
    (["--rate", "0", "-m", "x"], "--rate"),
    (["--rate", "fast", "-m", "x"], "--rate"),
    (["--bogus", "-m", "x"], "--bogus"),
    (["--out", "/tmp"], "-m MODULE"),
])
def test_bad_arguments_say_which(tmp_path, args, word):
    proc = subprocess.run([sys.executable, str(SAMPLER), *args], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    assert word in proc.stderr


def test_unwritable_out_dir_still_runs_the_target(tmp_path):
    _target(tmp_path, "ok", "print('ran')\n")
    blocker = tmp_path / "file"
    blocker.write_text("")
    proc = subprocess.run([sys.executable, str(SAMPLER), "--out", str(blocker / "sub"), "-m", "ok"],
                          cwd=tmp_path / "mods", capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0 and proc.stdout == "ran\n"
    assert "not sampling" in proc.stderr


def _load_sampler_module():
    spec = importlib.util.spec_from_file_location("hpctui_sampler_under_test", SAMPLER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_start_sampler_in_process_samples_a_given_thread(tmp_path):
    mod = _load_sampler_module()
    stop = threading.Event()

    def parked_in_this_function():
        stop.wait()

    t = threading.Thread(target=parked_in_this_function)
    t.start()
    try:
        sampler = mod.start_sampler(tmp_path, rate=50, thread_id=t.ident)
        # Ten samples on disk (it flushes once a second): then stop.
        wait_until(lambda: Path(sampler.path).exists()
                   and len(read_sample_file(sampler.path).samples) >= 10, "ten samples")
        sampler.stop()
    finally:
        stop.set()
        t.join()
    f = read_sample_file(sampler.path)
    assert f.ended == "stopped" and f.pid == os.getpid()
    assert len(f.samples) >= 10
    assert any(fr.function == "parked_in_this_function" for fr in f.samples[-1].stack)


def _pythons() -> list[str]:
    # Compute nodes may run another Python than hpctui's: every 3.10+ this machine has
    # (pyenv builds), else at least this one.
    root = Path("/root/.pyenv/versions")
    found = sorted(str(p) for p in root.glob("3.1[0-9]*/bin/python3")) if root.exists() else []
    return found or [sys.executable]


@pytest.mark.parametrize("python", _pythons())
def test_works_under_each_python(python, tmp_path):
    # The sampler is standard library only: it samples, and the target's exit code stays.
    _target(tmp_path, "spin3", """\
        import sys, time
        def spin(seconds):
            end = time.time() + seconds
            while time.time() < end:
                pass
        spin(0.6)
        sys.exit(3)
    """)
    out = tmp_path / "out"
    proc = subprocess.run([python, str(SAMPLER), "--out", str(out), "--rate", "50", "-m", "spin3"],
                          cwd=tmp_path / "mods", capture_output=True, text=True, timeout=40)
    assert proc.returncode == 3, proc.stderr
    (path,) = sample_files(out)
    f = read_sample_file(path)
    assert f.ended == "exit"
    assert sum(1 for s in f.samples if s.stack and s.stack[-1].function == "spin") >= 10
