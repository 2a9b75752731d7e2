"""The data of a doctor run: what it was asked (`DoctorOptions`), each round, and the report.

Plain frozen dataclasses, shared by the run, its sampler round and the report's rendering,
so none of them needs to import another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hpctui.core.diagnosis import Finding
from hpctui.core.diagnosis.early import DEFAULT_GRACE
from hpctui.core.doctor import motive, stacks as ds
from hpctui.core.doctor.silence import SILENT_AFTER

EXIT_CONNECTED = 0
EXIT_NOT_CONNECTED = 1
EXIT_BAD_INPUT = 2


class DoctorInputError(Exception):
    """Bad input (unknown scheduler, unreadable or malformed config, invalid profile): exit 2."""


@dataclass(frozen=True)
class DoctorOptions:
    """What `hpctui doctor` was asked to do."""

    kind: str | None = None  # None: detect the batch system
    config_path: str | None = None
    workers: int = 1
    timeout: float = 300.0  # seconds each round waits for the workers
    fix: bool = False
    max_rounds: int = 4
    probe: bool = True  # run the network probe when workers do not connect and nothing says why
    probe_timeout: float | None = None  # default: `timeout`
    # Seconds a job may run with no worker connected before the probe goes, during the round
    # (None: only after a round that failed unexplained). Needs `probe`.
    early_grace: float | None = DEFAULT_GRACE
    cancel_wait: float = 30.0  # seconds to wait for cancelled jobs to leave the queue
    # TLS with dask-jobqueue's temporary certificates, kept in a 0700 directory under the
    # log directory (shared with the compute nodes, as the logs are).
    tls: bool = False
    # The stack sampler: "auto" (a round runs under it after one that failed unexplained),
    # "always" (--sample: from the first round), "never" (--no-sample).
    sample: str = ds.SAMPLE_AUTO
    # Seconds a job may run with no worker and silent logs (once the probe answered) before
    # the round ends and the observation round starts (None: wait for the round's time-out).
    observe_after: float | None = SILENT_AFTER

    def __post_init__(self):
        if self.sample not in ds.SAMPLE_MODES:
            raise DoctorInputError(f"sample: expected one of {', '.join(ds.SAMPLE_MODES)}, "
                                   f"got {self.sample!r}")
        if not isinstance(self.workers, int) or self.workers < 1:
            raise DoctorInputError(f"--workers: expected a whole number >= 1, got {self.workers!r}")
        if self.early_grace is not None and not (isinstance(self.early_grace, (int, float))
                                                 and self.early_grace >= 0):
            raise DoctorInputError(f"--probe-after: expected seconds >= 0, got "
                                   f"{self.early_grace!r}")
        if self.observe_after is not None and not (
                isinstance(self.observe_after, (int, float)) and self.observe_after >= 0):
            raise DoctorInputError(f"--observe-after: expected seconds >= 0, got "
                                   f"{self.observe_after!r}")
        if not self.timeout > 0:
            raise DoctorInputError(f"--timeout: expected seconds > 0, got {self.timeout!r}")
        if not isinstance(self.max_rounds, int) or self.max_rounds < 1:
            raise DoctorInputError(f"max_rounds: expected a whole number >= 1, got {self.max_rounds!r}")


@dataclass(frozen=True)
class InterfaceLine:
    """One login-node interface, as the report shows it."""

    name: str
    ipv4: tuple[str, ...]
    up: bool
    default_route: bool


@dataclass(frozen=True)
class Environment:
    """Where doctor ran: versions, batch system, interfaces."""

    python: str
    python_executable: str
    dask: str | None
    distributed: str | None
    dask_jobqueue: str | None
    hpctui: str
    host: str
    batch_system: str
    batch_system_reason: str
    interfaces: tuple[InterfaceLine, ...]


@dataclass(frozen=True)
class TimelineEntry:
    """Something that happened, `at` seconds after doctor started."""

    round: int
    at: float
    what: str  # "scheduler started", "submitted", "PENDING", "RUNNING", "worker joined", ...
    job_id: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class Change:
    """A fix applied between rounds."""

    round: int  # the round whose findings it came from
    rule_id: str
    title: str
    summary: str  # the change in words
    written: bool  # True: in the config file; False: in memory only (no --fix)
    message: str  # the write's outcome ("wrote F (queue); previous version in F.bak")
    because: str = ""  # the finding that asked for it: title, rule id, first evidence


@dataclass(frozen=True)
class Round:
    """One attempt: the profile it submitted and what came of it."""

    number: int
    job_script: str
    workers_wanted: int
    workers_connected: int
    connected: bool
    ended: str  # why the round stopped waiting, in words
    scheduler_address: str | None
    job_ids: tuple[str, ...]
    left_in_queue: tuple[str, ...]  # job ids still queued after cancelling: should be empty
    findings: tuple[Finding, ...]
    probe_verdict: str | None = None  # the probe's message, when it ran
    duration: float = 0.0
    jobs_ran: int = 0  # jobs the queue showed running (a worker process existed to look at)
    sampler: ds.SamplerRun | None = None  # set when the workers ran under the stack sampler
    preflight: str | None = None  # the batch system's refusal, when pre-flight ended the round

    @property
    def sampled(self) -> bool:
        return self.sampler is not None


@dataclass(frozen=True)
class DoctorReport:
    """Everything `hpctui doctor` found; rendered by `hpctui.core.doctor.report`."""

    kind: str
    config_path: str | None
    fix_mode: bool
    workers_wanted: int
    environment: Environment
    problems: tuple[str, ...]  # the starting profile's warnings (validation, skip entries)
    rounds: tuple[Round, ...]
    timeline: tuple[TimelineEntry, ...]
    changes: tuple[Change, ...]
    notes: tuple[str, ...]
    exit_code: int

    @property
    def connected(self) -> bool:
        return self.exit_code == EXIT_CONNECTED

    def _failed_findings(self) -> tuple[Finding, ...]:
        seen: dict[str, Finding] = {}
        for rnd in self.rounds:
            if not rnd.connected:
                for f in rnd.findings:
                    seen.setdefault(f.rule_id, f)
        return tuple(seen.values())

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every distinct finding of the rounds that failed that can explain why (first seen
        first); the others are `also_seen`."""
        return tuple(f for f in self._failed_findings() if motive.is_cause(f))

    @property
    def also_seen(self) -> tuple[Finding, ...]:
        """Findings true of the setup but not why no worker connected (TLS, the dashboard)."""
        return tuple(f for f in self._failed_findings() if not motive.is_cause(f))

    @property
    def left_in_queue(self) -> tuple[str, ...]:
        return tuple(j for r in self.rounds for j in r.left_in_queue)


Progress = Callable[[str], None]
