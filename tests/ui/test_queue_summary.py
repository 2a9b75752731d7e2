"""The queue pane's summary line: worker jobs counted by phase, the scheduler's job said apart."""

from __future__ import annotations

from hpctui.core.batch.tracker import JobTracker
from hpctui.ui.panes.queue import queue_summary


def test_the_scheduler_job_is_shown_apart_not_counted_among_workers():
    t = JobTracker()
    t.job_submitted("10", "scheduler", (), "x-scheduler", now=0.0, role="scheduler")
    t.scheduler_up("10", now=1.0)
    for job_id, worker in (("11", "C-0"), ("12", "C-1")):
        t.job_submitted(job_id, worker, (worker,), "x", now=1.0)
        t.worker_joined(worker, f"tcp://h:{job_id}", "h", 1, 1, now=2.0, registered_at=0.0)
    snap = t.snapshot()
    assert queue_summary(snap.jobs, snap.scheduler_jobs, "30:00") == (
        "2 connected, scheduler connected · limit 30:00")
    # With login placement there is no scheduler job: the line is as before.
    assert queue_summary(snap.jobs[1:]) == "2 connected"
    assert queue_summary(()) == "no jobs: + scales up"
