"""Ties batch jobs to Dask workers: which job runs which workers, and what phase each job is in.

dask-jobqueue never asks the queue (dask-jobqueue#11), so nothing else knows that job 1234 is
the one whose worker never connected. The tracker is fed three kinds of facts: a submission
(job id and the worker names it will run), queue rows (from the poller) and worker joins and
leaves (from the scheduler plugin), and returns the events that follow from them. No clock and
no I/O inside: every method takes `now` (time.monotonic() seconds), so tests drive it exactly.
Thread-safe: the session's loop and the poller's thread both feed it.
"""

from __future__ import annotations

import threading
from operator import attrgetter
from dataclasses import dataclass, replace
from enum import Enum

from hpctui.core.session.events import JobStateChanged, SessionEvent, WorkerJoined, WorkerLeft
from hpctui.schedulers.base import JobRow, JobState

DEFAULT_NOT_CONNECTED_AFTER = 60.0


class JobPhase(str, Enum):
    """Where a job is, as the user thinks of it (the queue's state plus its workers)."""

    SUBMITTED = "submitted"  # sbatch returned an id; the queue hasn't shown it yet
    PENDING = "pending"
    STARTING = "starting"  # running, no worker yet, within the grace period
    NOT_CONNECTED = "started, not connected"  # running for the grace period, still no worker
    CONNECTED = "connected"  # at least one of its workers is registered
    ENDING = "ending"  # completing, or cancel asked
    ENDED = "ended"  # done, failed or cancelled
    UNKNOWN = "unknown"


_FINAL = (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


@dataclass(frozen=True)
class JobInfo:
    """One batch job of this session."""

    job_id: str
    spec_name: str
    worker_names: tuple[str, ...]
    job_name: str
    phase: JobPhase
    queue_state: str  # JobState value, "" until the queue has shown the job
    reason: str
    nodes: str
    submitted_at: float
    running_since: float | None  # first seen RUNNING (or its first worker joining)
    connected: tuple[str, ...]  # names of its workers registered now
    role: str = "worker"  # "scheduler": the job runs the scheduler (`scheduler-placement: job`)


@dataclass(frozen=True)
class WorkerInfo:
    """One Dask worker the scheduler knows (or knew) about."""

    name: str
    address: str
    host: str
    threads: int
    memory: int
    job_id: str | None
    joined_at: float
    start_to_join: float | None
    submit_to_join: float | None


@dataclass(frozen=True)
class Snapshot:
    """An immutable picture for the UI: jobs, connected workers, expected vs connected."""

    jobs: tuple[JobInfo, ...]
    workers: tuple[WorkerInfo, ...]
    expected_workers: int  # workers of jobs not ended
    connected_workers: int
    # The scheduler's own job(s) (`scheduler-placement: job`), also in `jobs`: shown and
    # marked, never counted as a worker job (kept apart so no one scans 10,000 jobs for it).
    scheduler_jobs: tuple[JobInfo, ...] = ()

    def job(self, job_id: str) -> JobInfo | None:
        return next((j for j in self.jobs if j.job_id == job_id), None)


class JobTracker:
    """See the module docstring."""

    def __init__(self, not_connected_after: float = DEFAULT_NOT_CONNECTED_AFTER) -> None:
        if not isinstance(not_connected_after, (int, float)) or not_connected_after <= 0:
            raise ValueError(
                f"not_connected_after must be a positive number of seconds, got {not_connected_after!r}")
        self.not_connected_after = float(not_connected_after)
        self._lock = threading.Lock()
        self._jobs: dict[str, JobInfo] = {}
        self._job_of_worker: dict[str, str] = {}  # worker name -> job id
        self._workers: dict[str, WorkerInfo] = {}  # address -> info (connected now)
        self._scheduler_ids: dict[str, None] = {}  # the scheduler's job(s), in order
        # The workers sorted by name, kept until one joins or leaves: the UI takes a snapshot
        # on every redraw, and sorting 20,000 names each time cost milliseconds of its frame.
        self._sorted_workers: tuple[WorkerInfo, ...] | None = None

    # ------------------------------------------------------------------ facts in

    def job_submitted(self, job_id: str, spec_name: str, worker_names: tuple[str, ...],
                      job_name: str, now: float, role: str = "worker") -> None:
        with self._lock:
            self._jobs[job_id] = JobInfo(
                job_id=job_id, spec_name=spec_name, worker_names=tuple(worker_names),
                job_name=job_name, phase=JobPhase.SUBMITTED, queue_state="", reason="",
                nodes="", submitted_at=now, running_since=None, connected=(), role=role)
            for w in worker_names:
                self._job_of_worker[w] = job_id
            if role == "scheduler":
                self._scheduler_ids[job_id] = None

    def cancel_requested(self, job_ids: list[str], now: float) -> list[SessionEvent]:
        with self._lock:
            return [e for j in job_ids if j in self._jobs
                    for e in self._set(j, JobPhase.ENDING, reason="cancel requested")]

    def queue_rows(self, rows: list[JobRow] | tuple[JobRow, ...], now: float) -> list[SessionEvent]:
        """Rows from the poller; events for the jobs whose phase changed."""
        out: list[SessionEvent] = []
        with self._lock:
            for row in rows:
                job = self._jobs.get(row.job_id)
                if job is None:
                    continue
                running_since = job.running_since
                if row.state is JobState.RUNNING and running_since is None:
                    running_since = now
                moved = job.queue_state != row.state.value
                self._jobs[row.job_id] = job = replace(
                    job, queue_state=row.state.value, reason=row.reason or "",
                    nodes=row.nodes or job.nodes, running_since=running_since)
                # The queue's own state is a fact too: a worker often joins before the
                # queue shows its job RUNNING, and without this event whoever keeps queue
                # rows (the diagnosis collector) would hold it PENDING for ever.
                out += self._set(row.job_id, self._phase(job, now), reason=row.reason or "",
                                 force_event=moved)
        return out

    def tick(self, now: float) -> list[SessionEvent]:
        """Time passing: jobs running too long without a worker become NOT_CONNECTED."""
        out: list[SessionEvent] = []
        with self._lock:
            for job in list(self._jobs.values()):
                if job.phase is JobPhase.STARTING:
                    out += self._set(job.job_id, self._phase(job, now),
                                     reason=f"running {self.not_connected_after:g} s with no worker")
        return out

    def worker_joined(self, name: str, address: str, host: str, threads: int, memory: int,
                      now: float, registered_at: float) -> list[SessionEvent]:
        with self._lock:
            job_id = self._job_of_worker.get(name)
            job = self._jobs.get(job_id) if job_id else None
            start_to_join = submit_to_join = None
            if job is not None:
                submit_to_join = now - job.submitted_at
                if job.running_since is not None:
                    start_to_join = now - job.running_since
            info = WorkerInfo(name=name, address=address, host=host, threads=threads,
                              memory=memory, job_id=job_id, joined_at=now,
                              start_to_join=start_to_join, submit_to_join=submit_to_join)
            self._workers[address] = info
            self._sorted_workers = None
            out: list[SessionEvent] = [WorkerJoined(
                name=name, address=address, host=host, threads=threads, memory=memory,
                job_id=job_id, start_to_join=start_to_join, submit_to_join=submit_to_join,
                registered_at=registered_at)]
            if job is not None:
                # A worker can only join from a running job, whatever the (slower) queue says.
                self._jobs[job_id] = job = replace(
                    job, connected=tuple(sorted({*job.connected, name})),
                    running_since=job.running_since if job.running_since is not None else now)
                out += self._set(job_id, self._phase(job, now), reason="worker joined")
            return out

    def scheduler_up(self, job_id: str, now: float) -> list[SessionEvent]:
        """The scheduler job's scheduler answers: its job counts as connected (it has no
        workers of its own, so nothing else would ever say so)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return []
            self._jobs[job_id] = job = replace(
                job, connected=("scheduler",),
                running_since=job.running_since if job.running_since is not None else now)
            return self._set(job_id, self._phase(job, now), reason="scheduler listening")

    def worker_left(self, address: str, reason: str, now: float) -> list[SessionEvent]:
        with self._lock:
            info = self._workers.pop(address, None)
            if info is None:
                return [WorkerLeft(name="", address=address, job_id=None, reason=reason)]
            self._sorted_workers = None
            job = self._jobs.get(info.job_id) if info.job_id else None
            if job is not None and job.phase is JobPhase.ENDING:
                reason = f"its job is being cancelled by this session ({reason})"
            out: list[SessionEvent] = [WorkerLeft(name=info.name, address=address,
                                                  job_id=info.job_id, reason=reason)]
            if job is not None:
                self._jobs[job.job_id] = job = replace(
                    job, connected=tuple(n for n in job.connected if n != info.name))
                out += self._set(job.job_id, self._phase(job, now), reason=f"worker left: {reason}")
            return out

    def forget(self, job_ids: list[str]) -> None:
        """Drop jobs (and their worker names) after a new cluster replaced them."""
        with self._lock:
            for j in job_ids:
                job = self._jobs.pop(j, None)
                self._scheduler_ids.pop(j, None)
                if job:
                    for w in job.worker_names:
                        if self._job_of_worker.get(w) == j:
                            del self._job_of_worker[w]

    # ------------------------------------------------------------------ facts out

    def job_ids(self) -> list[str]:
        with self._lock:
            return list(self._jobs)

    def live_job_ids(self) -> list[str]:
        """Jobs not known to have ended: what a cancel must cover."""
        with self._lock:
            return [j.job_id for j in self._jobs.values() if j.phase is not JobPhase.ENDED]

    def connected_job_ids(self) -> frozenset[str]:
        with self._lock:
            return frozenset(j.job_id for j in self._jobs.values() if j.connected)

    def snapshot(self) -> Snapshot:
        with self._lock:
            jobs = tuple(self._jobs.values())
            if self._sorted_workers is None:
                self._sorted_workers = tuple(sorted(self._workers.values(),
                                                    key=attrgetter("name")))
            workers = self._sorted_workers
            schedulers = tuple(self._jobs[j] for j in self._scheduler_ids if j in self._jobs)
        expected = sum(len(j.worker_names) for j in jobs if j.phase is not JobPhase.ENDED)
        return Snapshot(jobs=jobs, workers=workers, expected_workers=expected,
                        connected_workers=len(workers), scheduler_jobs=schedulers)

    # ------------------------------------------------------------------ inside

    def _phase(self, job: JobInfo, now: float) -> JobPhase:
        qs = job.queue_state
        if qs in {s.value for s in _FINAL}:
            return JobPhase.ENDED
        if job.phase is JobPhase.ENDING:  # cancel asked: only the queue saying so ends it
            return JobPhase.ENDING
        if job.connected:
            return JobPhase.CONNECTED
        if qs == JobState.COMPLETING.value:
            return JobPhase.ENDING
        if qs == JobState.PENDING.value:
            return JobPhase.PENDING
        if job.running_since is not None:
            # The scheduler's job never has a worker of its own: it is not "not connected".
            if now - job.running_since >= self.not_connected_after and job.role != "scheduler":
                return JobPhase.NOT_CONNECTED
            return JobPhase.STARTING
        if qs == JobState.UNKNOWN.value:
            return JobPhase.UNKNOWN
        return job.phase

    def _set(self, job_id: str, phase: JobPhase, reason: str,
             force_event: bool = False) -> list[SessionEvent]:
        job = self._jobs[job_id]
        if job.phase is phase and not force_event:
            return []
        self._jobs[job_id] = replace(job, phase=phase)
        return [JobStateChanged(job_id=job_id, old=job.phase.value, new=phase.value,
                                queue_state=job.queue_state, reason=reason, nodes=job.nodes)]
