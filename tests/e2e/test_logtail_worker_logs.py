"""Following real worker logs of SLURM jobs on the testbed with LogFollower.

The .err files are written by jobs on the compute node and usually do not exist yet when
following starts (on a busy machine the job may be quicker): the follower must announce and
pick them up either way, deliver the worker's lines as they come, and the marks must recognise
the seed's failure (scheduler on an address the node cannot reach).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import dask
import pytest

from hpctui.core.logs.buffer import LogBuffer
from hpctui.core.logs.follow import LogFollower
from hpctui.core.logs.lines import FileNotice
from hpctui.core.logs.marks import classify_line

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(170)]

DASHBOARDS = dict(
    scheduler_options={"dashboard_address": "127.0.0.1:0"},
    worker_extra_args=["--dashboard-address", "127.0.0.1:0"],
)


def wait_for(condition, what: str, timeout: float, explain=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}. {explain()}")
        time.sleep(0.1)


def _explain(recorder, log_dir: Path):
    def explain() -> str:
        files = {p.name: p.read_text(errors="replace")[-1500:] for p in log_dir.glob("*")}
        queue = subprocess.run(["squeue"], capture_output=True, text=True, timeout=20).stdout
        return (f"followed: {[e.text for e in recorder.buffer.lines()][-30:]}; "
                f"notices: {recorder.notices}; on disk: {files}; squeue: {queue}")
    return explain


def _cluster(testbed, log_dir: Path, job_name: str, **extra):
    from dask_jobqueue import SLURMCluster

    dask.config.refresh()
    return SLURMCluster(cores=1, memory="1GB", queue=testbed.partition, walltime="00:10:00",
                        job_name=job_name, log_directory=str(log_dir), python=sys.executable,
                        **DASHBOARDS, **extra)


def _job_ids(cluster, n: int) -> list[str]:
    wait_for(lambda: len([j for j in cluster.workers.values() if getattr(j, "job_id", None)]) >= n,
             f"{n} submitted jobs", 60)
    return [j.job_id for j in cluster.workers.values() if j.job_id]


class Recorder:
    """Hands each batch to a LogBuffer (the quick hand-off) and keeps notices."""

    def __init__(self) -> None:
        self.buffer = LogBuffer()
        self.notices: list[tuple[object, FileNotice]] = []
        self.lock = threading.Lock()

    def __call__(self, batch) -> None:
        self.buffer.add_batch(batch)
        with self.lock:
            self.notices += [(b.key, b.notice) for b in batch if b.notice]

    def mark_names(self) -> set[str]:
        return {m.name for e in self.buffer.lines() for m in classify_line(e.text).marks}


def _follow_jobs(follower, log_dir: Path, job_name: str, job_ids: list[str]) -> None:
    # As the session follows them: new files, which the job may already have written by now
    # (the job can start before its id gets here on a busy machine): read whole, announced.
    for job_id in job_ids:
        for stream in ("out", "err"):
            path = log_dir / f"{job_name}-{job_id}.{stream}"
            follower.follow(path, (job_id, stream), new=True)


def test_follows_logs_of_workers_that_cannot_connect(testbed, tmp_path):
    job_name = f"tb-logs-{uuid.uuid4().hex[:8]}"
    recorder = Recorder()
    try:
        # No interface: the seed's trap. The worker gives up after 5 s, not distributed's 30 s:
        # the lines it writes are the same, and this test is about following them.
        cluster = _cluster(testbed, tmp_path, job_name, job_script_prologue=[
            "export DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s"])
        try:
            with LogFollower(recorder) as follower:
                cluster.scale(1)
                ids = _job_ids(cluster, 1)
                _follow_jobs(follower, tmp_path, job_name, ids)
                # The worker's own words, delivered live from a file that appeared late.
                wait_for(lambda: {"connect-timeout", "nanny-failed"} <= recorder.mark_names(),
                         "the connect timeout and the nanny failure in the followed .err", 120,
                         _explain(recorder, tmp_path))
                err_key = (ids[0], "err")
                assert (err_key, FileNotice.APPEARED) in recorder.notices
                texts = [e.text for e in recorder.buffer.lines(err_key)]
                assert any(f"Timed out trying to connect to tcp://{testbed.default_addr}:" in t
                           for t in texts)
                # Exactly what is in the file, in order (the follower neither drops nor repeats).
                on_disk = (tmp_path / f"{job_name}-{ids[0]}.err").read_text(errors="replace")
                assert on_disk.splitlines()[: len(texts)] == texts
        finally:
            cluster.close()
    finally:
        subprocess.run(["scancel", f"--name={job_name}"], capture_output=True, timeout=20)


def test_follows_logs_of_connected_workers(testbed, tmp_path):
    from dask.distributed import Client

    job_name = f"tb-logs-{uuid.uuid4().hex[:8]}"
    recorder = Recorder()
    try:
        cluster = _cluster(testbed, tmp_path, job_name, interface="ib0")
        try:
            with LogFollower(recorder) as follower, Client(cluster) as client:
                cluster.scale(2)
                ids = _job_ids(cluster, 2)
                _follow_jobs(follower, tmp_path, job_name, ids)
                client.wait_for_workers(2, timeout=90)
                for job_id in ids:
                    wait_for(lambda: recorder.buffer.search("Registered to", key=(job_id, "err")),
                             f"job {job_id}'s worker registering, in its followed .err", 60,
                             _explain(recorder, tmp_path))
                assert not (recorder.mark_names() & {"connect-timeout", "nanny-failed"})
        finally:
            cluster.close()
    finally:
        subprocess.run(["scancel", f"--name={job_name}"], capture_output=True, timeout=20)
