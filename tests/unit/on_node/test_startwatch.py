"""The start-up watcher in real subprocesses: the child's exit code and output pass through
untouched, /proc shows what a child blocked in start-up waits on, and with --abort-after
faulthandler's traceback names the .pth file or sitecustomize line, in venvs made here."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest

from hpctui.core.stacks.startup_records import read_startup_file, startup_files

pytestmark = pytest.mark.timeout(60)

ON_NODE = Path(__file__).resolve().parents[3] / "hpctui" / "on_node"
WATCH = ON_NODE / "startwatch.py"


def _env(tmp_path: Path, name: str, files: dict[str, str]) -> Path:
    """A venv of its own (no pip) with `files` written into its site-packages; its python."""
    root = tmp_path / name
    venv.EnvBuilder(with_pip=False, symlinks=True).create(root)
    site = next(root.glob("lib/python*/site-packages"))
    for fname, text in files.items():
        (site / fname).write_text(text)
    return root / "bin" / "python"


def _start(python, out: Path, *args, watch_args=(), **kw) -> subprocess.Popen:
    return subprocess.Popen([str(python), "-I", "-S", str(WATCH), "--out", str(out), *watch_args,
                             "--", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, **kw)


def _record(out: Path, until, timeout: float = 30.0):
    """Re-read the one record file until `until(file)` holds (a state, not a delay)."""
    deadline = time.monotonic() + timeout
    while True:
        files = startup_files(out)
        sf = read_startup_file(files[0]) if files else None
        if sf is not None and until(sf):
            return sf
        assert time.monotonic() < deadline, f"record never reached the state: {sf}"
        time.sleep(0.05)


def _last(sf, pid=None):
    return sf.views[pid or sf.child][-1]


@pytest.mark.parametrize("code, expected", [("0", 0), ("3", 3), ("'msg'", 1)])
def test_exit_code_and_output_pass_through(tmp_path, code, expected):
    src = ("import sys; sys.stdout.write('out\\n'); sys.stderr.write('err line\\npartial');"
           f" sys.exit({code})")
    proc = _start(sys.executable, tmp_path / "o", "-c", src)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == expected
    assert out == b"out\n"
    assert err.startswith(b"err line\npartial")
    sf = read_startup_file(startup_files(tmp_path / "o")[0])
    assert sf.exit is not None and sf.exit[1] == expected and sf.ended is not None
    assert sf.argv[:3] == [sys.executable, "-X", "faulthandler"]


def test_a_signal_ending_the_child_is_128_plus_n(tmp_path):
    proc = _start(sys.executable, tmp_path / "o", "-c", "import os, signal; os.kill(os.getpid(), 9)")
    proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGKILL


def test_a_child_blocked_opening_a_fifo_shows_the_call_the_path_and_its_filesystem(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    held = tmp_path / "held.txt"
    held.write_text("x")
    src = f"f = open({str(held)!r}); open({str(fifo)!r}).read()"
    proc = _start(sys.executable, tmp_path / "o", "-c", src)
    try:
        sf = _record(tmp_path / "o", lambda f: f.views.get(f.child) and _last(f).call
                     and _last(f).call.name in ("openat", "open"))
        v = _last(sf)
        assert v.call.path == str(fifo) and v.call.fs, v
        assert str(held) in [p for _, p, _ in v.files]
        assert v.state == "S" and sf.access["syscall"] == "ok"
        assert sf.mounts and sf.fs_of(str(fifo)) == v.call.fs
    finally:
        _let_go(fifo)
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_a_pth_that_sleeps_blocks_the_worker_not_the_watcher_and_is_named(tmp_path):
    python = _env(tmp_path, "env", {"zz_slow.pth": "import time; time.sleep(3600)\n"})
    proc = _start(python, tmp_path / "o", "-c", "print('never')", watch_args=("--abort-after", "1"))
    out, err = proc.communicate(timeout=40)
    assert proc.returncode == 128 + signal.SIGABRT
    assert b"never" not in out
    # The job log still gets everything: faulthandler's dump went through the watcher.
    assert b"Fatal Python error: Aborted" in err and b"addpackage" in err
    sf = read_startup_file(startup_files(tmp_path / "o")[0])
    dump = sf.dumps[0]
    assert dump.pid == sf.child and [a[1] for a in sf.aborts] == [sf.child]
    assert dump.pth_how in ("open", "only")
    path, lines = dump.pth_files[0]
    assert path.endswith("zz_slow.pth") and lines == ((1, "import time; time.sleep(3600)"),)
    assert any(f.function == "addpackage" for f in dump.main_frames)
    view = [v for v in sf.views[sf.child] if v.t <= sf.aborts[0][0]][-1]
    assert view.call.name == "clock_nanosleep" and view.cpu < 5


def test_a_hanging_sitecustomize_is_named_with_its_line(tmp_path):
    python = _env(tmp_path, "env", {"sitecustomize.py": "import time\n\ntime.sleep(3600)\n"})
    proc = _start(python, tmp_path / "o", "-c", "pass", watch_args=("--abort-after", "1"))
    proc.communicate(timeout=40)
    sf = read_startup_file(startup_files(tmp_path / "o")[0])
    inner = sf.dumps[0].main_frames[0]
    assert inner.file.endswith("sitecustomize.py") and inner.line == 3
    assert inner.source == "time.sleep(3600)"
    assert any(f.function == "execsitecustomize" for f in sf.dumps[0].main_frames)


def test_without_abort_after_nothing_is_killed(tmp_path):
    python = _env(tmp_path, "env", {"zz_slow.pth": "import time; time.sleep(3600)\n"})
    proc = _start(python, tmp_path / "o", "-c", "pass")
    try:
        sf = _record(tmp_path / "o", lambda f: f.views.get(f.child)
                     and f.last_beat - _last(f).t > 1.5)
        assert not sf.aborts and not sf.dumps and sf.abort_after is None
        assert [p for _, p, _ in _last(sf).files if p.endswith(".pth")]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # as the local backend cancels: the whole group
        proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM


def test_spawned_workers_are_watched_and_helpers_are_not_judged(tmp_path):
    # A child that starts a "--multiprocessing-fork" grandchild, as the Nanny spawns its worker.
    src = ("import subprocess, sys; subprocess.run([sys.executable, '-c', "
           "'import time; time.sleep(2)', '--multiprocessing-fork'])")
    proc = _start(sys.executable, tmp_path / "o", "-c", src)
    sf = _record(tmp_path / "o", lambda f: len(f.views) >= 2)
    proc.communicate(timeout=30)
    grandchild = next(p for p in sf.views if p != sf.child)
    assert sf.role(grandchild) == "worker process" and sf.role(sf.child) == "main process"
    assert sf.views[grandchild][0].ppid == sf.child


def test_log_lines_mark_phases_and_connected_stops_sampling(tmp_path):
    src = ("import sys, time; sys.stderr.write('x - distributed.worker - INFO - Start worker at: "
           "tcp://1.2.3.4:5\\n'); sys.stderr.flush(); time.sleep(0.5); "
           "sys.stderr.write('x - INFO - Registered to: tcp://1.2.3.4:6\\n'); sys.stderr.flush();"
           " time.sleep(0.5)")
    proc = _start(sys.executable, tmp_path / "o", "-c", src)
    proc.communicate(timeout=30)
    sf = read_startup_file(startup_files(tmp_path / "o")[0])
    assert [m.mark for m in sf.marks] == ["worker-listening", "connected"]
    assert sf.quiet is not None and sf.quiet[1] == "connected"


def test_an_unwritable_out_dir_runs_the_child_anyway(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    proc = _start(sys.executable, blocker / "o", "-c", "print('ran')")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and out == b"ran\n"
    assert err.count(b"\n") == 1 and b"not watching" in err


def _let_go(fifo: Path) -> None:
    """Open the FIFO's writing end so a reader blocked on it goes on (never blocks itself)."""
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return  # no reader left
    os.write(fd, b"x")
    os.close(fd)


SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin")


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv") or not SYSTEM_PYTHON,
                    reason="needs root to become another user, and a python that user can run")
def test_as_an_ordinary_user_the_parent_still_reads_its_childs_call():
    # No root, no ptrace: an ordinary user's watcher reads /proc/<child>/syscall and the
    # path behind it; another process's /proc/1/syscall stays closed to it.
    import tempfile

    work = Path(tempfile.mkdtemp(prefix="hpctui-startwatch-"))
    try:
        work.chmod(0o777)  # pytest's own tmp_path sits under a 0700 directory
        fifo = work / "fifo"
        os.mkfifo(fifo, 0o666)
        user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        # The system's python: this venv's may sit under a directory only root can enter.
        proc = subprocess.Popen([*user, SYSTEM_PYTHON, "-I", "-S", str(WATCH), "--out",
                                 str(work / "o"), "--", "-c", f"open({str(fifo)!r}).read()"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            sf = _record(work / "o", lambda f: f.views.get(f.child) and _last(f).call
                         and _last(f).call.name in ("openat", "open"))
            assert sf.access["syscall"] == "ok" and _last(sf).call.path == str(fifo)
        finally:
            _let_go(fifo)
            proc.communicate(timeout=30)
        denied = subprocess.run(
            [*user, SYSTEM_PYTHON, "-I", "-S", "-c",
             "import sys; sys.path.insert(0, sys.argv[1]); import hpctui_procview as pv;"
             " print(pv.blocked_call(1), pv.access_error('/proc/1/syscall'))", str(ON_NODE)],
            capture_output=True, text=True, timeout=30)
        assert denied.stdout.startswith("None PermissionError"), denied.stdout + denied.stderr
    finally:
        shutil.rmtree(work, ignore_errors=True)
