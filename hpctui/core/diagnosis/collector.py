"""Gathers a session's events into `Signals`, so diagnosis can run at any moment.

A `SignalCollector` subscribes to a `ClusterSession` (or is fed events by hand) and keeps,
bounded, what the rules read: submission failures, the latest queue rows, the last lines of
each job's logs, worker joins and leaves, the scheduler's address. `signals(profile)` makes
the immutable `Signals` for `diagnose()`. Thread-safe: events arrive on the session's
delivery thread, `signals()` is called from wherever diagnosis runs.

It also remembers, per job, when the queue first showed it RUNNING, whether a worker of it
ever connected and how much its logs said: a job running with no worker past the caller's
patience becomes a `QuietJob`, so diagnosis can state plainly what is known about it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

from hpctui.core.session import events as ev
from hpctui.core.diagnosis.signals import (AdaptFacts, CancelledJob, QuietJob, Signals, WorkerEvent,
                                          WorkerLog)
from hpctui.core.jobscript.rejection import SubmitRejection
from hpctui.schedulers.base import JobRow, JobState

LOG_LINES_PER_JOB = 400  # the rules look for signs near the end of a log
MAX_JOBS_WITH_LOGS = 50
MAX_WORKER_EVENTS = 500
MAX_FAILURES = 20
# The tracker's phase for "running too long with no worker" (batch.tracker.JobPhase): the
# session's own patience, so the statement appears when the queue pane flags the job.
NOT_CONNECTED = "started, not connected"
_OVER = ("ending", "ended")


@dataclass
class _JobFacts:
    """What the collector knows of one job beyond its queue row."""

    submitted_at: float | None = None  # event.at of JobSubmitted
    running_since: float | None = None  # event.at of the first RUNNING state
    phase: str = ""
    nodes: str = ""
    had_worker: bool = False
    log_lines: int = 0
    log_seen: bool = False
    last_line: str | None = None
    last_line_at: float | None = None


class SignalCollector:
    """Accumulates session events; `signals()` snapshots them for diagnosis."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: deque[SubmitRejection] = deque(maxlen=MAX_FAILURES)
        self._errors: deque[str] = deque(maxlen=MAX_FAILURES)
        self._queue: dict[str, JobRow] = {}
        self._logs: dict[str, deque[str]] = {}
        self._log_source: dict[str, str] = {}
        self._worker_events: deque[WorkerEvent] = deque(maxlen=MAX_WORKER_EVENTS)
        self._scheduler_address: str | None = None
        self._listen_address: str | None = None
        self._connected = 0
        self._submitted = 0
        self._scheduler_jobs: dict[str, None] = {}  # the scheduler's own job(s), not workers'
        # When the scheduler answered (events' clock). With the scheduler in a job, worker
        # jobs submitted with it may run before: they wait for it, they are not silent.
        self._scheduler_up_at: float | None = None
        self._jobs: dict[str, _JobFacts] = {}
        self._adapt: AdaptFacts | None = None
        self._cancelled: deque[CancelledJob] = deque(maxlen=MAX_WORKER_EVENTS)
        self._connect_times: deque[float] = deque(maxlen=100)
        self.version = 0  # bumped at every change: callers re-diagnose only when it moved

    def reset(self) -> None:
        """Forget the previous attempt (after an apply: a new cluster, new jobs)."""
        with self._lock:
            self.__init__()  # type: ignore[misc]

    def on_event(self, event: ev.SessionEvent) -> None:
        """Feed one session event (a `ClusterSession.subscribe` callback)."""
        with self._lock:
            self.version += 1
            if isinstance(event, ev.SubmitFailed):
                e = event.error
                self._failures.append(SubmitRejection(command=e.command, exit_code=e.exit_code,
                                                      stdout=e.stdout, stderr=e.stderr or e.message))
            elif isinstance(event, ev.ClusterStartFailed):
                self._errors.append(event.message)
            elif isinstance(event, ev.ClusterStarted):
                self._scheduler_up_at = event.at
                self._scheduler_address = event.scheduler_address
                self._listen_address = getattr(event, "listen_address", "") or None
            elif isinstance(event, ev.JobSubmitted):
                if event.role == "scheduler":
                    self._scheduler_jobs[event.job_id] = None
                    self._scheduler_up_at = None  # a new one (apply, reattach) starts now
                else:
                    self._submitted += 1
                self._queue[event.job_id] = JobRow(event.job_id, JobState.PENDING, "submitted")
                self._facts(event.job_id).submitted_at = event.at
            elif isinstance(event, ev.JobsCancelled):
                self._jobs_cancelled(event)
            elif isinstance(event, ev.ScalingModeChanged):
                self._adapt = None if event.mode != "adaptive" else AdaptFacts(
                    event.minimum, event.maximum, event.unit, event.interval, event.wait_count,
                    event.target_duration, event.workers_per_job)
            elif isinstance(event, ev.JobStateChanged):
                old = self._queue.get(event.job_id)
                state = JobState(event.queue_state) if event.queue_state in JobState._value2member_map_ \
                    else (old.state if old else JobState.UNKNOWN)
                self._queue[event.job_id] = JobRow(event.job_id, state, event.new, reason=event.reason)
                facts = self._facts(event.job_id)
                facts.phase = event.new
                facts.nodes = event.nodes or facts.nodes
                if event.queue_state == JobState.RUNNING.value and facts.running_since is None:
                    facts.running_since = event.at
            elif isinstance(event, ev.WorkerJoined):
                if event.job_id:
                    self._facts(event.job_id).had_worker = True
                if event.submit_to_join is not None:
                    self._connect_times.append(event.submit_to_join)
                self._connected += 1
                self._worker_events.append(WorkerEvent("joined", event.name or event.address,
                                                       job_id=event.job_id))
            elif isinstance(event, ev.WorkerLeft):
                self._connected = max(0, self._connected - 1)
                self._worker_events.append(WorkerEvent("left", event.name or event.address,
                                                       reason=event.reason, job_id=event.job_id))
            elif isinstance(event, ev.LogLinesAppended):
                self._add_log(event.job_id, event.path, event.lines)
                facts = self._facts(event.job_id)
                facts.log_seen = True
                if event.lines:
                    facts.log_lines += len(event.lines)
                    facts.last_line = event.lines[-1]
                    facts.last_line_at = event.at
            else:
                self.version -= 1  # nothing the rules read

    def _jobs_cancelled(self, event) -> None:
        if event.why not in ("adapt", "scale"):  # close, apply, signals: not a loop's doing
            return
        for job_id in event.job_ids:
            f = self._jobs.get(job_id)
            if f is not None and not f.had_worker and f.submitted_at is not None:
                self._cancelled.append(CancelledJob(job_id, f.submitted_at, event.at, event.why))

    def _facts(self, job_id: str) -> _JobFacts:
        facts = self._jobs.get(job_id)
        if facts is None:
            if len(self._jobs) >= MAX_JOBS_WITH_LOGS * 20:  # bounded: forget the oldest
                del self._jobs[next(iter(self._jobs))]
            facts = self._jobs[job_id] = _JobFacts()
        return facts

    def _waiting_for_scheduler(self) -> bool:
        """The scheduler's job was submitted and its scheduler has not answered yet."""
        return bool(self._scheduler_jobs) and self._scheduler_up_at is None

    def _quiet_jobs(self, quiet_after: float | None, now: float) -> tuple[QuietJob, ...]:
        out = []
        if self._waiting_for_scheduler():
            return ()
        for job_id, f in self._jobs.items():
            if (f.running_since is None or f.had_worker or f.phase in _OVER
                    or job_id in self._scheduler_jobs):  # it runs no worker by design
                continue
            since = f.running_since if not self._scheduler_jobs else max(
                f.running_since, self._scheduler_up_at or f.running_since)
            running_for = max(0.0, now - since)
            if f.phase != NOT_CONNECTED and (quiet_after is None or running_for < quiet_after):
                continue
            out.append(QuietJob(job_id, round(running_for, 1), f.nodes, f.log_lines, f.log_seen,
                                f.last_line, None if f.last_line_at is None
                                else round(max(0.0, now - f.last_line_at), 1)))
        return tuple(out)

    def has_job_without_worker(self) -> bool:
        """True while a worker job runs (the queue said so) and none of its workers has
        connected: the UI then looks again as time passes, not only when an event arrives."""
        with self._lock:
            return not self._waiting_for_scheduler() and any(
                f.running_since is not None and not f.had_worker and f.phase not in _OVER
                and job_id not in self._scheduler_jobs for job_id, f in self._jobs.items())

    def _add_log(self, job_id: str, source: str, lines) -> None:
        if job_id not in self._logs:
            if len(self._logs) >= MAX_JOBS_WITH_LOGS:
                oldest = next(iter(self._logs))
                del self._logs[oldest]
                self._log_source.pop(oldest, None)
            self._logs[job_id] = deque(maxlen=LOG_LINES_PER_JOB)
        self._logs[job_id].extend(lines)
        self._log_source[job_id] = source

    def signals(self, profile=None, *, quiet_after: float | None = None,
                now: float | None = None, **extra) -> Signals:
        """The facts gathered so far, as `Signals` (`extra` adds probe, stacks, interfaces...).

        `quiet_jobs` holds the jobs running with no worker that the session's tracker marked
        "started, not connected", and, with `quiet_after`, every job running with no worker
        for at least that many seconds (0 at the end of a doctor round: all of them).
        `now` is time.time() (the events' clock), for tests."""
        now = time.time() if now is None else now
        with self._lock:
            return Signals(
                profile=profile,
                submit_failures=tuple(self._failures),
                errors=tuple(self._errors),
                queue=tuple(self._queue.values()),
                scheduler_jobs=tuple(self._scheduler_jobs),
                worker_logs=tuple(WorkerLog(self._log_source.get(j, f"job {j}"), tuple(lines), j)
                                  for j, lines in self._logs.items()),
                worker_events=tuple(self._worker_events),
                scheduler_address=self._scheduler_address,
                scheduler_listen_address=self._listen_address,
                workers_connected=self._connected,
                jobs_submitted=self._submitted,
                jobs_cancelled_unstarted=len(self._cancelled),
                adaptive=self._adapt is not None,
                adapt=self._adapt,
                cancelled_unstarted=tuple(self._cancelled),
                connect_times=tuple(self._connect_times),
                quiet_jobs=self._quiet_jobs(quiet_after, now),
                **extra,
            )
