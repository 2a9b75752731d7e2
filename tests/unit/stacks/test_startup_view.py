"""Start-up phases and "stuck in start-up" from recorded watcher files and sampler files.

The fixtures in tests/fixtures/startup/ were recorded on this machine by startwatch.py (with
the sampler inside it, --abort-after 4) running a real dask worker against a scheduler, each in
a venv of its own: a .pth that sleeps, a .pth that blocks opening a FIFO, a sitecustomize that
sleeps, a module preloaded by the environment's dask config that takes 20 s to import (copied
while it was importing), and a normal environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from hpctui.core.stacks.samples import read_sample_file, sample_files
from hpctui.core.stacks.startup_records import read_startup_file, startup_files
from hpctui.core.stacks.startup_view import startup_processes

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "startup"


def _processes(name: str):
    d = FIXTURES / name
    samples = {(f.host, f.pid): f for f in map(read_sample_file, sample_files(d))}
    [path] = startup_files(d)
    return {p.label.split("(")[1].rstrip(")"): p
            for p in startup_processes(read_startup_file(path), samples)}


@pytest.mark.parametrize("name, file, line, code, call", [
    ("pth-sleep", "zz_slow.pth", 1, "import time; time.sleep(3600)", "`clock_nanosleep`"),
    ("pth-fifo", "zz_fifo.pth", 1, "import os; open('/tmp/wt16/thefifo').read()",
     "`openat` on `/tmp/wt16/thefifo` (ext4)"),
    ("sitecustomize", "sitecustomize.py", 3, "time.sleep(3600)", "`clock_nanosleep`"),
])
def test_a_process_stuck_in_site_is_named_with_file_line_and_call(name, file, line, code, call):
    main = _processes(name)["main process"]
    st = main.stuck
    assert st is not None and st.dump is not None
    assert st.stage == "in interpreter start-up" and 3.5 < st.seconds < 6
    assert st.where.file.endswith(file) and st.where.line == line and st.where.code == code
    text = st.describe(main.label)
    assert text.startswith(f"{main.label} stuck 4 s in interpreter start-up: executing `")
    assert text.endswith(f"line {line} (`{code}`), blocked in {call}")
    # No sampler file: the interpreter never got as far as the worker's code.
    assert [p.name for p in main.phases] == ["start-up"] and main.ended == "ended by SIGABRT"


def test_a_slow_import_is_named_by_module_while_it_runs():
    procs = _processes("slow-import")
    worker = procs["worker process"]
    st = worker.stuck
    assert st is not None and st.dump is None  # the sampler saw it: nobody was aborted
    assert st.stage == "importing `slowmod`" and st.seconds >= 3
    assert st.where.file.endswith("slowmod.py") and st.where.line == 3
    assert st.view.call.name == "clock_nanosleep"
    assert worker.slow_imports[0].module == "slowmod"
    assert worker.slow_imports[0].seconds > 5 and worker.slow_imports[0].fs == "ext4"
    assert [p.name for p in worker.phases] == ["interpreter + site", "imports", "worker start"]
    assert worker.current.name == "worker start"
    assert procs["main process"].current.name == "worker process + connect"
    assert procs["main process"].stuck is None  # the Nanny waits in its event loop: idle


def test_a_normal_start_up_has_every_phase_and_nothing_stuck():
    procs = _processes("normal")
    # The Nanny listens, then waits for its worker process, which connects.
    names = {"main process": ["interpreter + site", "imports", "nanny start",
                              "worker process + connect"],
             "worker process": ["interpreter + site", "imports", "worker start", "connect"]}
    for role in ("main process", "worker process"):
        p = procs[role]
        assert p.stuck is None
        assert [ph.name for ph in p.phases] == names[role]
        assert all(ph.end is not None for ph in p.phases)
        assert 0 < p.phases[0].seconds(p.now) < 2
        assert p.slow_imports[0].module == "distributed"
    line = procs["worker process"].phase_line()
    assert line.startswith("interpreter + site ") and " · imports " in line and "connect" in line


def test_helpers_are_not_listed():
    # multiprocessing's resource tracker blocks on a pipe for its whole life, by design.
    sf = read_startup_file(startup_files(FIXTURES / "normal")[0])
    helpers = [pid for pid in sf.views if sf.role(pid) is None]
    assert helpers and "resource_tracker" in " ".join(sf.cmdlines[helpers[0]])
    assert len(_processes("normal")) == 2


def test_a_process_cancelled_while_stuck_stays_stuck_in_the_record(tmp_path):
    # The round cancels the job: the worker process vanishes ("G") while it sat in slowmod.
    import shutil

    for f in (FIXTURES / "slow-import").iterdir():
        shutil.copy(f, tmp_path / f.name)
    [path] = startup_files(tmp_path)
    sf = read_startup_file(path)
    worker = next(pid for pid in sf.views if sf.role(pid) == "worker process")
    with open(path, "a") as out:
        out.write('G {"t": %.3f, "pid": %d}\n' % (sf.last_beat + 1.0, worker))
    samples = {(f.host, f.pid): f for f in map(read_sample_file, sample_files(tmp_path))}
    [p] = [p for p in startup_processes(read_startup_file(path), samples) if p.pid == worker]
    assert p.ended == "gone" and p.stuck is not None and p.stuck.stage == "importing `slowmod`"
