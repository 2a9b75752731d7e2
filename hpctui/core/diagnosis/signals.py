"""The input of diagnosis: `Signals`, every fact hpctui has gathered, all optional.

Rules read whatever is there: a submission failure alone is enough for the rejection rules,
worker logs alone for the network and start-up rules. The session, the probe, the sampler and
`hpctui doctor` fill it in; tests build it from captured text.
"""

from __future__ import annotations

from dataclasses import dataclass

from hpctui.core.stacks import hangsites
from hpctui.core.stacks.startup_view import StartupProcess
from hpctui.core.network.facts import InterfaceFacts
from hpctui.core.network.probe_verdict import ProbeResult
from hpctui.core.config.profile import Profile
from hpctui.core.jobscript.rejection import SubmitRejection
from hpctui.schedulers.base import JobRow


@dataclass(frozen=True)
class WorkerLog:
    """Lines of one worker's log (its .err/.out, or the batch system's slurm-<id>.out)."""

    source: str  # the file name, or "job 17" when there is no file
    lines: tuple[str, ...]
    job_id: str | None = None


@dataclass(frozen=True)
class WorkerEvent:
    """A worker joining or leaving the scheduler."""

    what: str  # "joined" or "left"
    worker: str  # name or address
    reason: str = ""  # distributed's close reason ("scheduler-close", "worker-close", ...)
    job_id: str | None = None


@dataclass(frozen=True)
class StackReport:
    """What the stack sampler concluded about one worker process (hpctui/core/stacks/hangsites.py)."""

    source: str  # "job 17 (cn01)"
    finding: hangsites.Finding
    job_id: str | None = None


@dataclass(frozen=True)
class QuietJob:
    """A job the queue showed RUNNING, long enough, with no worker of it ever connected: what
    is known about it, so diagnosis can say so plainly when nothing explains it."""

    job_id: str
    running_for: float  # seconds since hpctui saw it RUNNING (or its scheduler answer, if later)
    nodes: str = ""  # where the queue says it runs
    log_lines: int = 0  # lines its log files have had so far
    log_seen: bool = False  # a log file of it exists (maybe empty)
    last_line: str | None = None
    silent_for: float | None = None  # seconds since its last log line (None: no line at all)


@dataclass(frozen=True)
class Versions:
    """Package versions in one Python (the login node's or a worker's)."""

    where: str  # "login node", "job 17"
    python: str | None = None
    dask: str | None = None
    distributed: str | None = None
    dask_jobqueue: str | None = None

    def key(self) -> tuple:
        return (self.python, self.dask, self.distributed)


@dataclass(frozen=True)
class CancelledJob:
    """A job this session cancelled (scaling or adapt) before any worker of it connected."""

    job_id: str
    submitted_at: float  # time.time()
    cancelled_at: float
    why: str = ""  # "adapt" or "scale"


@dataclass(frozen=True)
class AdaptFacts:
    """The session's adaptive mode, as it announced it (ScalingModeChanged)."""

    minimum: int
    maximum: int
    unit: str  # "jobs" or "workers"
    interval: float
    wait_count: int
    target_duration: float
    workers_per_job: int = 1


@dataclass(frozen=True)
class Signals:
    """Everything hpctui knows about the current attempt; every field may be empty."""

    profile: Profile | None = None
    # The profile being edited, when it is not the one the attempt runs (the TUI): rules
    # about the configuration itself (skip entries) check this one, so their findings
    # follow each edit before anything is applied.
    pending_profile: Profile | None = None
    submit_failures: tuple[SubmitRejection, ...] = ()
    # Errors raised in hpctui's own process (dask-jobqueue's ValueErrors, a missing command).
    errors: tuple[str, ...] = ()
    queue: tuple[JobRow, ...] = ()
    # The ids of `queue` rows that run the scheduler (`scheduler-placement: job`), not workers.
    scheduler_jobs: tuple[str, ...] = ()
    worker_logs: tuple[WorkerLog, ...] = ()
    worker_events: tuple[WorkerEvent, ...] = ()
    # Lines logged in hpctui's process by the scheduler (dashboard port, TLS refusals).
    scheduler_log: tuple[str, ...] = ()
    scheduler_address: str | None = None  # "tcp://192.0.2.2:41735"
    scheduler_listen_address: str | None = None  # what it is bound to: "tcp://0.0.0.0:41735"
    workers_connected: int | None = None
    jobs_submitted: int = 0
    jobs_cancelled_unstarted: int = 0  # cancelled before any worker of theirs connected
    adaptive: bool = False
    adapt: AdaptFacts | None = None  # the adaptive settings the session ran with
    cancelled_unstarted: tuple[CancelledJob, ...] = ()  # each, with its timing
    connect_times: tuple[float, ...] = ()  # seconds from submission to a worker joining
    probe: ProbeResult | None = None
    stacks: tuple[StackReport, ...] = ()  # the sampler's findings per worker process
    # Each watched worker process's start-up (hpctui/core/stacks/startup_view.py): phases,
    # slowest imports, and where it is stuck, from the start-up watcher and the sampler.
    startup: tuple[StartupProcess, ...] = ()
    login_versions: Versions | None = None
    worker_versions: tuple[Versions, ...] = ()
    login_python: str | None = None  # sys.executable of hpctui's process
    login_interfaces: tuple[InterfaceFacts, ...] = ()
    partitions: tuple[str, ...] = ()  # queues/partitions the batch system lists; default first
    lsf_unit_for_limits: str | None = None  # LSF_UNIT_FOR_LIMITS from lsf.conf, when read
    # Jobs running with no worker for longer than the caller's patience (collector.signals).
    quiet_jobs: tuple[QuietJob, ...] = ()

    @property
    def worker_queue(self) -> tuple[JobRow, ...]:
        """The queue rows of jobs that run workers (the scheduler's own job left out)."""
        return tuple(r for r in self.queue if r.job_id not in self.scheduler_jobs)

    def __post_init__(self):
        # Callers often have lists; a lone string where a sequence belongs is a bug that would
        # otherwise be read one character per "line", so it is refused by name.
        for name, value in vars(self).items():
            if self.__dataclass_fields__[name].default == ():
                if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)):
                    raise TypeError(f"Signals.{name}: expected a sequence, got {value!r}")
                object.__setattr__(self, name, tuple(value))
        for name in ("profile", "pending_profile"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Profile):
                raise TypeError(f"Signals.{name}: expected a Profile, got {value!r}")

    @property
    def kind(self) -> str | None:
        return self.profile.kind if self.profile else None
