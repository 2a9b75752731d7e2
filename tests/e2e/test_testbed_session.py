"""ClusterSession on both real batch systems (the `batch` fixture: SLURM, then Grid Engine):
submit, queue, cancel, and workers on the compute node reaching the session's scheduler over ib0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
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


@pytest.fixture
def names(batch):
    made = []

    def make(what):
        # Several engineers share the testbeds: our own job name keeps queue checks to our jobs.
        made.append(batch.name(f"sess-{what}"))
        return made[-1]

    yield make
    for n in made:  # whatever a failed assertion left must not hold the shared node
        batch.cancel_name(n)


@pytest.fixture
def session_factory(batch):
    made = []

    def make(kwargs, **opts):
        s = ClusterSession(batch.kind, kwargs, handle_exits=False, **opts)
        log = EventLog()
        s.subscribe(log)
        made.append(s)
        return s, log

    yield make
    for s in made:
        s.close()
        assert s.wait_closed(90)


def test_scale_0_3_1_with_queue_states_and_worker_logs(batch, tmp_path, names, session_factory):
    testbed, queued = batch.tb, batch.queued
    name = names("scale")
    s, log = session_factory(batch.kwargs(tmp_path, name),
                             poller_options={"timeout": 10.0})
    s.start()
    log.wait_for(ClusterStarted, timeout=60)
    s.scale(3)
    submitted = log.wait_for(JobSubmitted, count=3, timeout=60)
    ids = {e.job_id for e in submitted}
    assert set(queued(name)) <= ids and all(j.isdigit() for j in ids)
    # The queue's own word reached the session as RUNNING (squeue's R, qstat's r).
    joined = log.wait_for(WorkerJoined, count=3, timeout=150)
    assert {w.job_id for w in joined} == ids
    assert all(w.host == testbed.compute_ib0 for w in joined)
    # The start-to-join time is known exactly for the jobs the queue showed RUNNING before
    # their worker joined (phase "starting" then). On a busy machine a worker can join before
    # the next queue poll: its start is unknown, never guessed. The tracker decides both under
    # one lock, so this holds whatever order the events were delivered in.
    log.wait_for(JobStateChanged, lambda e: e.queue_state == "RUNNING", count=1)
    seen_running = {e.job_id for e in log.of(JobStateChanged) if e.queue_state == "RUNNING"
                    and e.new in ("starting", "started, not connected")}
    for w in joined:
        assert (w.start_to_join is not None) == (w.job_id in seen_running), (w, seen_running)
        if w.start_to_join is not None:
            assert 0 <= w.start_to_join <= w.submit_to_join
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
    assert batch.wait_queue_empty(name) == []


# SLURM only: the apply path is the same code for every kind, and costs two rounds of jobs.
@pytest.mark.parametrize("batch", ["slurm"], indirect=True)
def test_apply_changed_profile(batch, tmp_path, names, session_factory):
    queued, wait_queue_empty = batch.queued, batch.wait_queue_empty
    first, second = names("apply1"), names("apply2")
    s, log = session_factory(batch.kwargs(tmp_path, first), poll_queue=False)
    s.start()
    s.scale(1)
    old = log.wait_for(WorkerJoined, timeout=150)[0]
    assert old.threads == 1
    s.apply("slurm", batch.kwargs(tmp_path, second, cores=2, memory="2GB"))
    log.wait_for(ClusterStarted, lambda e: e.generation == 2, timeout=90)
    assert old.job_id in {j for e in log.of(JobsCancelled) for j in e.job_ids}
    assert wait_queue_empty(first) == []
    new = log.wait_for(WorkerJoined, lambda e: e.job_id != old.job_id, timeout=150)[0]
    assert new.threads == 2
    assert len(queued(second)) == 1


# What each batch system says when the queue/partition does not exist (captured from the real ones).
REFUSALS = {"slurm": "sbatch: error: invalid partition specified: nosuchqueue",
            "sge": 'Unable to run job: Job was rejected because job requests unknown queue "nosuchqueue"'}


def test_rejected_submission_has_the_real_error(batch, tmp_path, names, session_factory):
    name = names("reject")
    s, log = session_factory(batch.kwargs(tmp_path, name, queue="nosuchqueue"),
                             poll_queue=False, follow_logs=False)
    s.start()
    s.scale(1)
    err = log.wait_for(SubmitFailed, timeout=60)[0].error
    assert err.exit_code == 1
    assert err.command.startswith(f"{batch.submit} /")
    assert REFUSALS[batch.kind] in err.stderr
    assert batch.queued(name) == []


def start_child(batch, tmp_path, name, mode):
    kwargs = batch.kwargs(tmp_path, name)
    proc = subprocess.Popen([sys.executable, str(CHILD), batch.kind, json.dumps(kwargs), "3", mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    line = proc.stdout.readline().split()
    assert line and line[0] == "JOBS", (line, proc.stderr.read() if proc.poll() is not None else "")
    assert len(line[1:]) == 3
    return proc, line[1:]


@pytest.mark.parametrize("mode", ["SIGTERM", "SIGHUP", "raise"])
def test_process_end_cancels_its_3_jobs_within_15_s(batch, tmp_path, names, mode):
    name = names(mode.lower())
    proc, ids = start_child(batch, tmp_path, name, "raise" if mode == "raise" else "wait")
    if mode != "raise":
        assert set(batch.queued(name)) == set(ids)
        proc.send_signal(getattr(signal, mode))
    t = time.monotonic()
    proc.wait(30)
    assert batch.wait_queue_empty(name, 15 - (time.monotonic() - t)) == []
    assert cleanup.find_leftovers() == []


def test_kill_9_leftovers_found_and_cancelled(batch, tmp_path, names):
    name = names("kill9")
    proc, ids = start_child(batch, tmp_path, name, "wait")
    proc.kill()
    proc.wait(30)
    assert set(batch.queued(name)) == set(ids)
    leftovers = cleanup.find_leftovers()
    assert [(lo.kind, set(lo.job_ids)) for lo in leftovers] == [(batch.kind, set(ids))]
    assert [r.ok for r in cleanup.cancel_leftovers(leftovers)] == [True]
    assert batch.wait_queue_empty(name) == []
