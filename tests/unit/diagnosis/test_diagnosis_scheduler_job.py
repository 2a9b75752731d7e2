"""The scheduler's own job (`scheduler-placement: job`) among the session's jobs: a worker that
joins before the queue shows its job RUNNING must not leave the job "pending" in diagnosis, and
the scheduler's job is never counted as a worker job (pending, quiet, submitted)."""

from __future__ import annotations

from hpctui.core.batch.tracker import JobTracker
from hpctui.core.diagnosis import diagnose
from hpctui.core.diagnosis.collector import SignalCollector
from hpctui.core.session import events as ev
from hpctui.schedulers.base import JobRow, JobState


def row(job_id, state, reason=""):
    return JobRow(job_id=job_id, state=state, raw_state=state.value, reason=reason, nodes="cn01")


def feed(c: SignalCollector, events) -> None:
    for e in events:
        c.on_event(e)


def placement_session(c: SignalCollector, t: JobTracker) -> None:
    """The order the testbed showed: the scheduler job up before the queue said RUNNING, two
    worker jobs submitted, their workers joining before the next queue poll."""
    t.job_submitted("10", "scheduler", (), "x-scheduler", now=0.0, role="scheduler")
    c.on_event(ev.JobSubmitted(job_id="10", spec_name="scheduler", worker_names=(),
                               job_name="x-scheduler", submit_output="", role="scheduler"))
    feed(c, t.queue_rows([row("10", JobState.PENDING, "None")], now=0.5))
    feed(c, t.scheduler_up("10", now=1.0))
    for job_id, worker in (("11", "C-0"), ("12", "C-1")):
        t.job_submitted(job_id, worker, (worker,), "x", now=1.0)
        c.on_event(ev.JobSubmitted(job_id=job_id, spec_name=worker, worker_names=(worker,),
                                   job_name="x", submit_output=""))
    feed(c, t.queue_rows([row("11", JobState.PENDING, "None"), row("12", JobState.PENDING, "None")],
                         now=1.1))
    for i, worker in enumerate(("C-0", "C-1")):
        feed(c, t.worker_joined(worker, f"tcp://10.0.0.2:{4000 + i}", "10.0.0.2", 1, 2**30,
                                now=4.0, registered_at=0.0))


def test_the_queue_showing_running_after_the_workers_joined_reaches_diagnosis():
    c, t = SignalCollector(), JobTracker()
    placement_session(c, t)
    feed(c, t.queue_rows([row(j, JobState.RUNNING) for j in ("10", "11", "12")], now=6.0))
    s = c.signals()
    assert {r.job_id: r.state for r in s.queue} == {j: JobState.RUNNING for j in ("10", "11", "12")}
    # Even with no worker connected now (they left), nothing is "still pending".
    for address in ("tcp://10.0.0.2:4000", "tcp://10.0.0.2:4001"):
        feed(c, t.worker_left(address, "closed", now=7.0))
    assert not [f for f in diagnose(c.signals()) if f.rule_id == "jobs-pending"]


def test_the_scheduler_job_is_no_worker_job_in_diagnosis():
    c, t = SignalCollector(), JobTracker()
    placement_session(c, t)
    s = c.signals(quiet_after=0, now=1e12)
    assert s.scheduler_jobs == ("10",)
    assert s.jobs_submitted == 2
    assert [r.job_id for r in s.worker_queue] == ["11", "12"]
    assert not [q for q in s.quiet_jobs if q.job_id == "10"]


def test_a_pending_scheduler_job_is_named_as_such():
    c, t = SignalCollector(), JobTracker()
    t.job_submitted("10", "scheduler", (), "x-scheduler", now=0.0, role="scheduler")
    c.on_event(ev.JobSubmitted(job_id="10", spec_name="scheduler", worker_names=(),
                               job_name="x-scheduler", submit_output="", role="scheduler"))
    feed(c, t.queue_rows([row("10", JobState.PENDING, "Resources")], now=0.5))
    titles = [f.title for f in diagnose(c.signals()) if f.rule_id == "jobs-pending"]
    assert titles == ["No workers yet: the scheduler's job is still pending (Resources)"]


def test_the_scheduler_job_never_becomes_not_connected():
    t = JobTracker(not_connected_after=5.0)
    t.job_submitted("10", "scheduler", (), "x-scheduler", now=0.0, role="scheduler")
    t.queue_rows([row("10", JobState.RUNNING)], now=1.0)
    t.tick(now=100.0)
    snap = t.snapshot()
    assert snap.job("10").phase.value == "starting"
    assert [j.job_id for j in snap.scheduler_jobs] == ["10"]
