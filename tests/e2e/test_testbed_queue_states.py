"""The queue's states and reasons as a session shows them, on both real batch systems.

1. Held: a job submitted on hold (`sbatch -H`, `qsub -h`) is pending with the system's reason
   (SLURM's JobHeldUser/JobHeldAdmin, Grid Engine's `hqw`); released (`scontrol release`,
   `qrls`), it runs and its worker connects.
2. In error: a job whose output file cannot be opened. Grid Engine keeps it queued in `Eqw`,
   and the session shows it failed with `qstat -j`'s error reason; SLURM ends it FAILED.
   Closing the session leaves nothing in the queue either way.
"""

from __future__ import annotations

import time

import pytest
from session_events import EventLog

from hpctui.core.session.cluster import ClusterSession
from hpctui.core.session.events import JobStateChanged, JobSubmitted, WorkerJoined

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(240)]

HOLD = {"slurm": "-H", "sge": "-h"}
# An output path in a directory that does not exist, after dask-jobqueue's own (the last wins).
BAD_OUTPUT = {"slurm": "--output=/nonexistent-hpctui/%j.out", "sge": "-o /nonexistent-hpctui/"}


@pytest.fixture
def session(batch, tmp_path):
    made = []

    def make(name, **extra):
        s = ClusterSession(batch.kind, batch.kwargs(tmp_path, name, **extra), handle_exits=False)
        log = EventLog()
        s.subscribe(log)
        made.append((s, name))
        s.start()
        return s, log

    yield make
    for s, name in made:
        s.close()
        assert s.wait_closed(90)
        batch.cancel_name(name)


def test_held_job_is_pending_with_its_reason_then_runs_when_released(batch, session):
    name = batch.name("held")
    s, log = session(name, job_extra_directives=[HOLD[batch.kind]])
    s.scale(1)
    job_id = log.wait_for(JobSubmitted, timeout=60)[0].job_id
    held = log.wait_for(JobStateChanged, lambda e: e.job_id == job_id and e.queue_state == "PENDING"
                        and e.reason, timeout=60)[0]
    if batch.kind == "sge":
        assert batch.jobs(name) == {job_id: "hqw"}
        assert held.reason == f"held (hqw): `qrls {job_id}` releases it"
    else:
        assert held.reason in ("JobHeldUser", "JobHeldAdmin"), held.reason
    assert s.snapshot().job(job_id).reason == held.reason
    assert s.snapshot().connected_workers == 0

    batch.release(job_id)
    # The worker may join before the next poll sees the job running: wait for both, any order.
    joined = log.wait_for(WorkerJoined, timeout=90)[0]
    assert joined.job_id == job_id and joined.host == batch.tb.compute_ib0
    assert batch.wait_state(name, batch.running_states) == {job_id: next(iter(batch.running_states))}
    deadline = time.monotonic() + 30
    while s.snapshot().job(job_id).queue_state != "RUNNING":
        assert time.monotonic() < deadline, s.snapshot().job(job_id)
        time.sleep(0.5)


def test_job_in_error_shows_why(batch, session):
    name = batch.name("error")
    s, log = session(name, job_extra_directives=[BAD_OUTPUT[batch.kind]])
    s.scale(1)
    job_id = log.wait_for(JobSubmitted, timeout=60)[0].job_id
    failed = log.wait_for(JobStateChanged, lambda e: e.job_id == job_id
                          and e.queue_state == "FAILED", timeout=90)[0]
    if batch.kind == "sge":
        # Grid Engine keeps it, in error, until someone clears or deletes it.
        assert batch.jobs(name) == {job_id: "Eqw"}
        assert failed.reason.startswith(
            "error state: can't open output file \"/nonexistent-hpctui/\"") or \
            "/nonexistent-hpctui/" in failed.reason, failed.reason
        assert f"qmod -cj {job_id}" in failed.reason
    s.close()
    assert s.wait_closed(90)
    assert batch.wait_queue_empty(name) == []


def test_grid_engine_job_that_cannot_be_scheduled_shows_the_scheduler_s_reason(gridengine,
                                                                                tmp_path):
    # More slots of the parallel environment than the node has: qsub accepts it (qsub -w v
    # would not, but dask-jobqueue submits plainly), and it waits in qw for ever. The reason
    # is the scheduler's own "scheduling info:" from `qstat -j`.
    from batch_systems import BatchSystem

    batch = BatchSystem(gridengine)
    name = batch.name("toobig")
    s = ClusterSession("sge", batch.kwargs(tmp_path, name, job_extra_directives=[
        f"-pe {gridengine.pe} 999"]), handle_exits=False)
    log = EventLog()
    s.subscribe(log)
    try:
        s.start()
        s.scale(1)
        job_id = log.wait_for(JobSubmitted, timeout=60)[0].job_id
        waiting = log.wait_for(JobStateChanged, lambda e: e.job_id == job_id
                               and e.queue_state == "PENDING" and e.reason, timeout=60)[0]
        assert batch.jobs(name) == {job_id: "qw"}
        assert f'cannot run in PE "{gridengine.pe}"' in waiting.reason, waiting.reason
        assert s.snapshot().job(job_id).reason == waiting.reason
    finally:
        s.close()
        assert s.wait_closed(90)
        batch.cancel_name(name)
    assert batch.wait_queue_empty(name) == []
