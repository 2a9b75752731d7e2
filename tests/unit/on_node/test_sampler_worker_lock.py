"""The seed's hang reproduced on this machine without SLURM: a real dask worker (with its
nanny) under the sampler, its workspace ``global.lock`` held by another process; the analysis
names the file lock and the fix, and the fix lets a worker connect."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hpctui.core.stacks.hangsites import diagnose
from hpctui.core.stacks.samples import SampleFileReader, sample_files, summarize
from waits import WAIT_S, wait_until

pytestmark = pytest.mark.timeout(120)

SAMPLER = Path(__file__).resolve().parents[3] / "hpctui" / "on_node" / "sampler.py"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def scheduler(tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
         "--port", str(port), "--dashboard-address", "127.0.0.1:0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    addr = f"tcp://127.0.0.1:{port}"
    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    wait_until(listening, "the scheduler listening")
    yield addr
    proc.terminate()
    proc.wait(timeout=20)


def _held_lock(path: Path) -> subprocess.Popen:
    """Another process holding an flock on ``path`` until killed (as a stuck NFS lock would)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(["flock", str(path), "-c", "echo held; exec sleep 600"],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def _worker(scheduler: str, local_dir: Path, out: Path, env=None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(SAMPLER), "--out", str(out), "--rate", "10",
         "-m", "distributed.cli.dask_worker", scheduler, "--nanny", "--nthreads", "1",
         "--local-directory", str(local_dir), "--dashboard-address", "127.0.0.1:0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        # Its own process group: the nanny's spawned worker is stopped with it.
        start_new_session=True,
    )


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL for the whole group: a nanny whose worker hangs in flock does not
    finish closing by itself (on a cluster scancel's SIGKILL does this)."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


def _findings_within(out: Path, seconds: float, stuck_after: float):
    """Poll the stack files like the pane does; return (findings, summary) of the first
    process with findings, or ([], None) after ``seconds``."""
    readers: dict[Path, SampleFileReader] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in sample_files(out):
            reader = readers.setdefault(path, SampleFileReader(path))
            reader.update()
            summary = summarize(reader.file, window=30, stuck_after=stuck_after, now=time.time())
            found = diagnose(summary)
            if found:
                return found, summary
        time.sleep(0.5)
    return [], None


def test_worker_held_on_global_lock_is_found_and_the_fix_connects(tmp_path, scheduler):
    local_dir = tmp_path / "local"
    # distributed/core.py appends dask-scratch-space; diskutils.WorkSpace puts global.lock there.
    holder = _held_lock(local_dir / "dask-scratch-space" / "global.lock")
    out = tmp_path / "stacks"
    worker = _worker(scheduler, local_dir, out)
    try:
        started = time.monotonic()
        findings, summary = _findings_within(out, seconds=WAIT_S, stuck_after=3)
        assert findings, "no finding while the worker waits on its workspace lock"
        first = findings[0]
        assert first.site == "file-lock"
        assert first.failure_mode == 15
        assert "locket" in first.evidence.filename
        # The lock is taken in the Nanny's spawned child (the real Worker), not the Nanny.
        assert summary.file.is_spawned_child
        assert any("distributed/diskutils.py" in fr.filename for fr in summary.stuck.sample.stack)
        assert first.fixes[0].patch == {"distributed.worker.use-file-locking": False}
        print(f"file-lock finding after {time.monotonic() - started:.1f} s")
    finally:
        _stop(worker)

    # The fix, as the job script prologue would export it: a new worker with the lock still
    # held connects to the scheduler.
    env = dict(os.environ, DASK_DISTRIBUTED__WORKER__USE_FILE_LOCKING="False")
    fixed = _worker(scheduler, local_dir, tmp_path / "stacks2", env=env)
    try:
        from distributed import Client

        with Client(scheduler, timeout=WAIT_S) as client:
            client.wait_for_workers(1, timeout=WAIT_S)
            assert client.submit(lambda x: x + 1, 1).result(timeout=WAIT_S) == 2
    finally:
        _stop(fixed)
        holder.kill()
        holder.wait()
