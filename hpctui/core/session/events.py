"""Everything a ClusterSession tells its subscribers, as one set of frozen dataclasses.

Facts are named `NounPastVerb`. Every event carries `at` (wall-clock seconds, `time.time()`)
so a subscriber that receives it late still knows when it happened. Subscribers receive them on
their own delivery thread (see `hpctui/core/session/eventbus.py`), in the order they were published.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from hpctui.core.jobscript.submit_errors import SubmitError


def _now() -> float:
    return time.time()


@dataclass(frozen=True, kw_only=True)
class SessionEvent:
    """Base of every session event."""

    at: float = field(default_factory=_now)


@dataclass(frozen=True, kw_only=True)
class ClusterStarted(SessionEvent):
    """The scheduler of a (new) cluster is running in this process."""

    kind: str
    generation: int  # 1 for the first cluster, +1 for each apply
    scheduler_address: str
    dashboard_link: str
    cluster_name: str
    # What the scheduler is bound to ("tcp://0.0.0.0:8786" is every interface); "" if unknown.
    listen_address: str = ""
    # "login": the scheduler runs in this process; "job": in the batch job below.
    placement: str = "login"
    scheduler_job_id: str = ""
    scheduler_file: str = ""  # where a Client finds it (`Client(scheduler_file=...)`)
    tls_directory: str = ""  # the certificates a Client needs, when TLS is on
    attached: bool = False  # True: reattached to a cluster that was already running


@dataclass(frozen=True, kw_only=True)
class ClusterStartFailed(SessionEvent):
    """The cluster object could not be created (bad keyword, port in use...)."""

    kind: str
    generation: int
    message: str  # "TypeError: ..." as the user reads it


@dataclass(frozen=True, kw_only=True)
class JobSubmitted(SessionEvent):
    """The submit command succeeded and its output gave this job id."""

    job_id: str
    spec_name: str  # dask-jobqueue's name for the job, e.g. "SLURMCluster-3"
    worker_names: tuple[str, ...]  # the Dask workers this job will run
    job_name: str  # the batch job's name (`job-name`), used in log file names
    submit_output: str
    role: str = "worker"  # "scheduler": the scheduler's own job (`scheduler-placement: job`)


@dataclass(frozen=True, kw_only=True)
class SubmitFailed(SessionEvent):
    """The submit command failed, or its output held no job id (`error.id_not_parsed`)."""

    spec_name: str
    error: SubmitError


@dataclass(frozen=True, kw_only=True)
class JobStateChanged(SessionEvent):
    """A job moved to another phase (from the queue, a worker joining, or waiting too long)."""

    job_id: str
    old: str  # a JobPhase value ("" for the first); == new when only the queue state moved
    new: str  # a JobPhase value
    queue_state: str  # the normalized queue state (JobState value), "" if never seen
    reason: str  # the queue's reason (Priority, Resources...), or why the phase changed
    nodes: str = ""  # where the queue says it runs ("cn01"), "" until it does


@dataclass(frozen=True, kw_only=True)
class WorkerJoined(SessionEvent):
    """The scheduler registered a worker (from a scheduler plugin, not polling)."""

    name: str
    address: str
    host: str
    threads: int
    memory: int  # bytes, the worker's memory limit (0 when unlimited)
    job_id: str | None  # None when the worker belongs to no job of this session
    start_to_join: float | None  # seconds from the job first seen RUNNING to this join
    submit_to_join: float | None  # seconds from submission to this join
    registered_at: float  # time.perf_counter() when the scheduler told us, for latency


@dataclass(frozen=True, kw_only=True)
class WorkerLeft(SessionEvent):
    """The scheduler removed a worker."""

    name: str
    address: str
    job_id: str | None
    reason: str  # "retired", "closed by the worker", "connection lost", ... and the stimulus id


@dataclass(frozen=True, kw_only=True)
class LogLinesAppended(SessionEvent):
    """New lines in one job's stdout or stderr file."""

    job_id: str
    path: str
    stream: str  # "stdout", "stderr", or "log" (one file for both), from the file name
    lines: tuple[str, ...]
    notice: str = ""  # "appeared", "truncated", "rotated", "unreadable" (see hpctui/core/logs/follow.py)


@dataclass(frozen=True, kw_only=True)
class WorkerLogLinesAppended(SessionEvent):
    """New records of a connected worker's in-memory log (what `get_worker_logs` shows),
    for when its log files are on a file system this machine cannot read."""

    name: str
    address: str
    job_id: str | None
    lines: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class QueueError(SessionEvent):
    """Asking the queue failed; the session keeps working."""

    message: str  # "squeue timed out after 10 s"
    retry_in: float


@dataclass(frozen=True, kw_only=True)
class JobsCancelled(SessionEvent):
    """This session asked the batch system to cancel these jobs (close, apply, signal)."""

    job_ids: tuple[str, ...]
    why: str  # "close", "apply", "scale", "SIGTERM"...
    ok: bool
    detail: str = ""  # the cancel command's error, if any


@dataclass(frozen=True, kw_only=True)
class SessionFailed(SessionEvent):
    """Something in the session's own machinery broke; the message says what."""

    message: str


@dataclass(frozen=True, kw_only=True)
class EventsDropped(SessionEvent):
    """This subscriber was too slow: `count` older events were dropped before the next one."""

    count: int


@dataclass(frozen=True, kw_only=True)
class SessionClosed(SessionEvent):
    """The session is closed; no event follows this one."""

    cancelled_job_ids: tuple[str, ...]
    why: str = "close"  # "left running": the cluster's jobs were left to run (detach)


@dataclass(frozen=True, kw_only=True)
class ScalingModeChanged(SessionEvent):
    """The session scales to a fixed number of workers, or adaptively within bounds."""

    mode: str  # "fixed" or "adaptive"
    workers: int = 0  # fixed: the workers asked for
    minimum: int = 0  # adaptive: the bounds, in `unit`
    maximum: int = 0
    unit: str = ""  # "jobs" or "workers"
    interval: float = 0.0  # seconds between adaptive decisions
    wait_count: int = 0
    target_duration: float = 0.0
    workers_per_job: int = 1  # the profile's `processes`


@dataclass(frozen=True, kw_only=True)
class AdaptTargetChanged(SessionEvent):
    """The adaptive target (workers the scheduler wants, within the bounds) or the plan moved."""

    target: int  # workers, after the bounds (and hpctui's rounding to whole jobs)
    wanted: int  # workers the scheduler's adaptive_target asked for, before the bounds
    planned: int  # workers dask-jobqueue plans (jobs submitted or about to be, x processes)
    connected: int  # workers connected
    tasks: int  # tasks waiting or running on the scheduler (-1 when it runs elsewhere)


@dataclass(frozen=True, kw_only=True)
class AdaptDecided(SessionEvent):
    """Adapt scaled up or down (an entry of distributed's `Adaptive.log`), and why."""

    action: str  # "up" or "down"
    target: int  # workers adapt aims at
    workers: tuple[str, ...] = ()  # down: the workers it retires
    jobs: int = 0  # up: jobs after the decision; down: jobs it cancels
    why: str = ""  # in words, from the scheduler's state at the decision


@dataclass(frozen=True, kw_only=True)
class JobReplacing(SessionEvent):
    """A job of the adaptive plan ended by itself (walltime, node failure) and adapt submits
    a replacement (the next JobSubmitted); or (`by="placement"`) a worker submitted with its
    scheduler job gave up waiting for it, and is submitted again once the scheduler runs."""

    job_id: str
    why: str  # "walltime", "ended (DONE)", ...
    by: str = "adapt"  # or "placement" (hpctui/core/session/workers_ahead.py)
