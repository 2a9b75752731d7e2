"""ClusterSession on the real SLURM testbed: sbatch, squeue, scancel and workers on the compute
node reaching the session's scheduler over ib0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from session_events import EventLog

from hpctui.core.batch import cleanup
from hpctui.core.session.events import (ClusterStarted, JobsCancelled, JobStateChanged, JobSubmitted,
                                LogLinesAppended, SessionClosed, SubmitFailed, WorkerJoined,
                                WorkerLeft)
from hpctui.core.session.cluster import ClusterSession

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(300)]

CHILD = Path(__file__).parents[1] / "session_child.py"


def unique_name(what: str) -> str:
    # Several engineers share the testbed: our own job name keeps squeue checks to our jobs.
    return f"tb-sess-{what}-{uuid.uuid4().hex[:8]}"


def queued(job_name: str) -> list[str]:
    out = subprocess.run(["squeue", "--noheader", f"--name={job_name}", "--format=%i"],
                         capture_output=True, text=True, timeout=20, check=True)
    return out.stdout.split()


def wait_queue_empty(job_name: str, seconds: float = 15.0) -> list[str]:
    deadline = time.monotonic() + seconds
    ids = queued(job_name)
    while ids and time.monotonic() < deadline:
        time.sleep(0.5)
        ids = queued(job_name)
    return ids


def slurm_kwargs(testbed, tmp_path, job_name, **extra):
    kw = dict(cores=1, memory="1GB", processes=1, queue=testbed.partition, walltime="00:10:00",
              job_name=job_name, log_directory=str(tmp_path / "logs"), python=sys.executable,
              interface="ib0",
              scheduler_options={"dashboard_address": "127.0.0.1:0"},
              worker_extra_args=["--dashboard-address", "127.0.0.1:0"])
    kw.update(extra)
    return kw


@pytest.fixture
def names():
    made = []

    def make(what):
        made.append(unique_name(what))
        return made[-1]

    yield make
    for n in made:  # whatever a failed assertion left must not hold the shared node
        subprocess.run(["scancel", f"--name={n}"], capture_output=True, timeout=20)


@pytest.fixture
def session_factory():
    made = []

    def make(kwargs, **opts):
        s = ClusterSession("slurm", kwargs, handle_exits=False, **opts)
        log = EventLog()
        s.subscribe(log)
        made.append(s)
        return s, log

    yield make
    for s in made:
        s.close()
        assert s.wait_closed(90)


def test_scale_0_3_1_with_queue_states_and_worker_logs(testbed, tmp_path, names, session_factory):
    name = names("scale")
    s, log = session_factory(slurm_kwargs(testbed, tmp_path, name),
                             poller_options={"timeout": 10.0})
    s.start()
    log.wait_for(ClusterStarted, timeout=60)
    s.scale(3)
    submitted = log.wait_for(JobSubmitted, count=3, timeout=60)
    ids = {e.job_id for e in submitted}
    assert set(queued(name)) <= ids and all(j.isdigit() for j in ids)
    joined = log.wait_for(WorkerJoined, count=3, timeout=150)
    assert {w.job_id for w in joined} == ids
    assert all(w.host == testbed.compute_ib0 for w in joined)
    # squeue said RUNNING before the worker joined: the start-to-join time is known
    log.wait_for(JobStateChanged, lambda e: e.queue_state == "RUNNING", count=1)
    assert any(w.start_to_join is not None for w in joined)
    snap = s.snapshot()
    assert (snap.expected_workers, snap.connected_workers) == (3, 3)
    assert {j.nodes for j in snap.jobs if j.nodes} <= {testbed.node}
    # real worker logs from the compute node, followed through the shared directory
    log.wait_for(LogLinesAppended, lambda e: any("Registered to:" in ln for ln in e.lines),
                 count=3, timeout=60)

    s.scale(1)
    left = log.wait_for(WorkerLeft, count=2, timeout=60)
    gone = {e.job_id for e in left}
    assert len(gone) == 2 and gone <= ids
    deadline = time.monotonic() + 30
    while set(queued(name)) & gone and time.monotonic() < deadline:
        time.sleep(1)
    assert not set(queued(name)) & gone
    assert len(queued(name)) == 1
    log.wait_for(JobStateChanged, lambda e: e.job_id in gone and e.new == "ended", count=2,
                 timeout=60)

    s.close()
    assert s.wait_closed(90)
    assert isinstance(log.events[-1], SessionClosed)
    assert wait_queue_empty(name) == []


def test_apply_changed_profile(testbed, tmp_path, names, session_factory):
    first, second = names("apply1"), names("apply2")
    s, log = session_factory(slurm_kwargs(testbed, tmp_path, first), poll_queue=False)
    s.start()
    s.scale(1)
    old = log.wait_for(WorkerJoined, timeout=150)[0]
    assert old.threads == 1
    s.apply("slurm", slurm_kwargs(testbed, tmp_path, second, cores=2, memory="2GB"))
    log.wait_for(ClusterStarted, lambda e: e.generation == 2, timeout=90)
    assert old.job_id in {j for e in log.of(JobsCancelled) for j in e.job_ids}
    assert wait_queue_empty(first) == []
    new = log.wait_for(WorkerJoined, lambda e: e.job_id != old.job_id, timeout=150)[0]
    assert new.threads == 2
    assert len(queued(second)) == 1


def test_rejected_submission_has_sbatch_real_error(testbed, tmp_path, names, session_factory):
    name = names("reject")
    s, log = session_factory(slurm_kwargs(testbed, tmp_path, name, queue="nosuchpartition"),
                             poll_queue=False, follow_logs=False)
    s.start()
    s.scale(1)
    err = log.wait_for(SubmitFailed, timeout=60)[0].error
    assert err.exit_code == 1
    assert err.command.startswith("sbatch /")
    assert "invalid partition" in err.stderr.lower()
    assert err.stderr.startswith("sbatch: error:")
    assert queued(name) == []


def start_child(testbed, tmp_path, name, mode):
    kwargs = slurm_kwargs(testbed, tmp_path, name)
    proc = subprocess.Popen([sys.executable, str(CHILD), "slurm", json.dumps(kwargs), "3", mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    line = proc.stdout.readline().split()
    assert line and line[0] == "JOBS", (line, proc.stderr.read() if proc.poll() is not None else "")
    assert len(line[1:]) == 3
    return proc, line[1:]


@pytest.mark.parametrize("mode", ["SIGTERM", "SIGHUP", "raise"])
def test_process_end_cancels_its_3_jobs_within_15_s(testbed, tmp_path, names, mode):
    name = names(mode.lower())
    proc, ids = start_child(testbed, tmp_path, name, "raise" if mode == "raise" else "wait")
    if mode != "raise":
        assert set(queued(name)) == set(ids)
        proc.send_signal(getattr(signal, mode))
    t = time.monotonic()
    proc.wait(30)
    assert wait_queue_empty(name, 15 - (time.monotonic() - t)) == []
    assert cleanup.find_leftovers() == []


def test_kill_9_leftovers_found_and_cancelled(testbed, tmp_path, names):
    name = names("kill9")
    proc, ids = start_child(testbed, tmp_path, name, "wait")
    proc.kill()
    proc.wait(30)
    assert set(queued(name)) == set(ids)
    leftovers = cleanup.find_leftovers()
    assert [(lo.kind, set(lo.job_ids)) for lo in leftovers] == [("slurm", set(ids))]
    assert [r.ok for r in cleanup.cancel_leftovers(leftovers)] == [True]
    assert wait_queue_empty(name) == []
