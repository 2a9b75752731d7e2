"""One tracker Snapshot onto the queue and workers panes: the redraw the app's 100 ms timer runs.

Kept apart from the app so the big-refresh benchmark (benchmarks/big_refresh.py) times the
very code the app runs, with no session behind it.
"""

from __future__ import annotations

NOT_CONNECTED = "started, not connected"  # hpctui.core.batch.tracker.JobPhase.NOT_CONNECTED's value


def draw_snapshot(queue, workers, snap, now: float, time_limit: str = "") -> None:
    """Redraw `queue` (QueuePane) and `workers` (WorkersPane) from `snap`
    (hpctui.core.batch.tracker.Snapshot); `now` is time.monotonic(), `time_limit` the walltime."""
    schedulers = getattr(snap, "scheduler_jobs", ())
    queue.update_jobs(snap.jobs, now, time_limit, schedulers)
    # JobPhase is a str Enum: comparing with its value skips `.value`, costly at 10,000 jobs.
    # (The scheduler's job is never NOT_CONNECTED: the tracker keeps it out of that phase.)
    stuck = [j.job_id for j in snap.jobs if j.phase == NOT_CONNECTED]
    workers.update_workers(snap.workers, snap.expected_workers, stuck)
