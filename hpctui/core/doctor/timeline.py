"""A doctor run's timeline: session events turned into entries and progress lines."""

from __future__ import annotations

import threading
import time

from hpctui.core.doctor.types import Progress, TimelineEntry
from hpctui.core.session import events as ev

class Timeline:
    """Turns session events into timeline entries and progress lines (delivery thread)."""

    def __init__(self, t0: float, progress: Progress | None) -> None:
        self.t0 = t0
        self.round = 0
        self.entries: list[TimelineEntry] = []
        self.job_ids: list[str] = []
        self.failed = 0
        self.start_failed: str | None = None
        self.ran: set[str] = set()  # job ids seen running
        self._progress = progress
        self._lock = threading.Lock()

    def add(self, what: str, job_id: str | None = None, detail: str = "") -> None:
        entry = TimelineEntry(self.round, round(time.monotonic() - self.t0, 2), what, job_id, detail)
        with self._lock:
            self.entries.append(entry)
        if self._progress is not None:
            job = f" job {job_id}" if job_id else ""
            self._progress(f"[{entry.at:7.1f}s] round {entry.round}:{job} {what}"
                           + (f" ({detail})" if detail else ""))

    def on_event(self, event: ev.SessionEvent) -> None:
        if isinstance(event, ev.ClusterStarted):
            where = (f" (in batch job {event.scheduler_job_id})"
                     if getattr(event, "placement", "login") == "job" else "")
            self.add("scheduler started", detail=event.scheduler_address + where)
        elif isinstance(event, ev.ClusterStartFailed):
            self.start_failed = event.message
            self.add("cluster could not start", detail=event.message)
        elif isinstance(event, ev.JobSubmitted):
            self.job_ids.append(event.job_id)
            self.add("scheduler job submitted" if getattr(event, "role", "") == "scheduler"
                     else "submitted", event.job_id)
        elif isinstance(event, ev.SubmitFailed):
            self.failed += 1
            self.add("submission refused", detail=event.error.summary())
        elif isinstance(event, ev.JobStateChanged):
            if event.old == event.new:  # only the queue's state moved: no new phase to tell
                if event.queue_state == "RUNNING":
                    self.ran.add(event.job_id)
                return
            detail = event.queue_state + (f": {event.reason}" if event.reason else "")
            if event.queue_state == "RUNNING" or event.new in RAN_PHASES:
                self.ran.add(event.job_id)
            self.add(event.new, event.job_id, detail)
        elif isinstance(event, ev.WorkerJoined):
            self.add("worker joined", event.job_id, f"{event.name} from {event.host}")
        elif isinstance(event, ev.WorkerLeft):
            self.add("worker left", event.job_id, f"{event.name}: {event.reason}")
        elif isinstance(event, ev.JobsCancelled):
            self.add("cancelled" if event.ok else "cancel failed", None,
                     ", ".join(event.job_ids) + (f": {event.detail}" if event.detail else ""))
        elif isinstance(event, ev.SessionFailed):
            self.add("session failed", detail=event.message)
        else:
            line = adapt_line(event)
            if line is not None:
                self.add(*line)


def adapt_line(event: ev.SessionEvent) -> tuple[str, str | None, str] | None:
    """(what, job id, detail) for adaptive scaling's events (the TUI's timeline says the same)."""
    from hpctui.core.session.demo_load import DemoLoadProgressed

    if isinstance(event, ev.ScalingModeChanged):
        if event.mode == "fixed":  # every plain session says so: only adaptive is news here
            return None
        return ("adaptive", None, f"{event.minimum}..{event.maximum} {event.unit}, interval "
                f"{event.interval:g}s, wait-count {event.wait_count}, target-duration "
                f"{event.target_duration:g}s")
    if isinstance(event, ev.AdaptDecided):
        if event.action == "up":
            return ("adapt: scale up", None,
                    f"to {event.target} worker(s), {event.jobs} job(s): {event.why}")
        return ("adapt: scale down", None, f"retire {', '.join(event.workers)} "
                f"({event.jobs} job(s)): {event.why}")
    if isinstance(event, ev.JobReplacing):
        return ("ended by itself; adapt replaces it" if event.by == "adapt" else
                "submitted again", event.job_id, event.why)
    if isinstance(event, DemoLoadProgressed) and (event.finished or event.error or event.done == 0):
        what = ("demo load finished" if event.finished else "demo load stopped" if event.error
                else "demo load started")
        return what, None, f"{event.done}/{event.total} tasks" + (
            f": {event.error}" if event.error and event.error != "stopped" else "")
    return None


# Job phases (tracker.JobPhase values) that mean the job's worker process existed.
RAN_PHASES = ("starting", "started, not connected", "connected")

