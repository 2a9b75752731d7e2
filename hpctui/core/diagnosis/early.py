"""The early check: a job RUNNING with no worker for a few seconds sends the network probe at once.

distributed's own verdict on an unreachable scheduler comes late: a nanny dialling an address
the compute node cannot reach writes nothing at all until its connect timeout (30 s by
default), then gives up. The question the user asks ("why aren't my workers connecting?") can
be answered long before: once a job has been RUNNING for `grace` seconds and no worker of the
cluster has connected, the probe (hpctui/core/network/probe_run.py) tries every login-node
address from a compute node, and its rows are evidence diagnosis can quote
(`probe_facts.py`) while the job still runs.

`EarlyTrigger` is the decision, pure: fed session events (their `at` stamps), it says which
jobs are due. `EarlyCheck` subscribes to a session, wakes when the first job comes due, and runs
the probe once per profile on a thread of its own; `on_update(EarlyProbe)` hears when it is
sent, when its network verdict arrives and when it ends. A worker connecting answers the
question, so a probe still running is cancelled then (its batch job too). The TUI and `hpctui
doctor` both use it; neither waits for it. On the local backend the "compute node" is this
machine, where a probe proves nothing, so no probe is sent for a local profile.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from hpctui.core.config.profile import Profile
from hpctui.core.network.probe_verdict import ProbeResult
from hpctui.core.session import events as ev
from hpctui.core.session.loop import finish_loop

# Seconds of RUNNING with no worker before the probe goes. A healthy worker on the testbed
# joins ~1 s after the queue shows RUNNING; the probe's own round trip there is ~2.5-3.5 s, so
# 1.5 s keeps the verdict within 5 s of RUNNING. Where workers start slower (imports from a
# network file system) the probe goes anyway, once per profile, and a worker connecting
# cancels it: one small extra job, against half a minute of silence.
DEFAULT_GRACE = 1.5
REPORT_TIMEOUT = 120.0  # the probe's own job may wait in the queue; then "no report" is said
PYTHON_TIMEOUT = 30.0  # after the network verdict, for the dask import check on the node
_OVER = ("ending", "ended")

ProbeFn = Callable[[Profile, Callable[[ProbeResult], None]], Awaitable[ProbeResult]]


def useful_for(kind: str) -> bool:
    """False for the local backend: its workers run here, a probe from here proves nothing."""
    return kind != "local"


class EarlyTrigger:
    """Which jobs have been RUNNING for `grace` seconds while no worker of the cluster connected.

    Fed session events in order; no clock and no I/O (`now` is time.time(), the events' clock).
    A new cluster (ClusterStarted: an apply, a doctor round) starts afresh. Any worker joining
    answers the question for the cluster: its address is reachable from the nodes."""

    def __init__(self, grace: float = DEFAULT_GRACE) -> None:
        if not isinstance(grace, (int, float)) or grace < 0:
            raise ValueError(f"grace: expected seconds >= 0, got {grace!r}")
        self.grace = float(grace)
        self._running: dict[str, float] = {}  # job id -> when it was first seen RUNNING
        self._over: set[str] = set()
        self.answered = False  # a worker of this cluster connected
        # With the scheduler in a job: its job (never a worker's), and when its scheduler
        # answered. Worker jobs submitted with it may run before that, waiting for it: a
        # worker cannot be late to connect before there is a scheduler to connect to.
        self._scheduler_jobs: set[str] = set()
        self._up_at: float | None = None

    def _reset(self) -> None:
        self._running.clear()
        self._over.clear()
        self._scheduler_jobs.clear()
        self.answered = False

    def feed(self, event: ev.SessionEvent) -> None:
        if isinstance(event, ev.ClusterStarted):
            # With `job` placement the new cluster began at its scheduler job's submission
            # (below), and its workers may be running already.
            if getattr(event, "placement", "login") != "job":
                self._reset()
            self._up_at = event.at
        elif isinstance(event, ev.JobSubmitted) and event.role == "scheduler":
            self._reset()
            self._scheduler_jobs.add(event.job_id)
            self._up_at = None
        elif isinstance(event, ev.WorkerJoined):
            self.answered = True
        elif isinstance(event, ev.JobStateChanged):
            if event.new == "connected":
                self.answered = True
            if event.new in _OVER:
                self._over.add(event.job_id)
                self._running.pop(event.job_id, None)
            elif (event.queue_state == "RUNNING" and event.job_id not in self._running
                  and event.job_id not in self._over
                  and event.job_id not in self._scheduler_jobs):
                self._running[event.job_id] = event.at

    def _since(self) -> dict[str, float]:
        """Job id -> since when it has waited for a worker: RUNNING, and a scheduler up."""
        if self._scheduler_jobs and self._up_at is None:
            return {}
        up = self._up_at if self._scheduler_jobs else None
        return {j: at if up is None else max(at, up) for j, at in self._running.items()}

    def due(self, now: float) -> list[tuple[str, float]]:
        """(job id, seconds waited) of the jobs due now, longest waiting first."""
        if self.answered:
            return []
        due = [(j, now - at) for j, at in self._since().items() if now - at >= self.grace]
        return sorted(due, key=lambda d: -d[1])

    def next_due(self) -> float | None:
        """When the first job comes due (time.time() seconds); None if none can."""
        since = self._since()
        if self.answered or not since:
            return None
        return min(since.values()) + self.grace


@dataclass(frozen=True)
class EarlyProbe:
    """One early probe: why it was sent, and what came of it so far."""

    job_id: str  # the job that had run with no worker
    running_for: float  # for how long, when the probe was sent
    sent_at: float  # time.time()
    result: ProbeResult | None = None  # the network verdict as soon as it is known
    done: bool = False
    stopped: str = ""  # why it was cancelled before its end ("a worker connected"), if so
    error: str = ""  # the probe itself failed (a bug, not a verdict)
    profile: Profile | None = field(default=None, repr=False, compare=False)  # what it probed

    def describe(self) -> str:
        """Why it was sent, in words."""
        return (f"job {self.job_id} ran {self.running_for:.1f} s with no worker connected: "
                "the network probe goes to a compute node now")


def default_probe(report_timeout: float = REPORT_TIMEOUT,
                  python_timeout: float = PYTHON_TIMEOUT) -> ProbeFn:
    """The real probe, built from the profile's own job script."""

    async def probe(profile: Profile, on_verdict: Callable[[ProbeResult], None]) -> ProbeResult:
        from hpctui.core.network.probe_run import run_probe_async

        return await run_probe_async(profile.kind, profile.cluster_kwargs(),
                                     report_timeout=report_timeout,
                                     python_timeout=python_timeout, on_verdict=on_verdict)

    return probe


class EarlyCheck:
    """See the module docstring. `on_event` is a session subscriber; thread-safe."""

    def __init__(self, profile: Callable[[], Profile | None],
                 on_update: Callable[[EarlyProbe], None] | None = None, *,
                 grace: float = DEFAULT_GRACE, probe: ProbeFn | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._profile = profile
        self._on_update = on_update
        self._probe = probe or default_probe()
        self._clock = clock
        self._trigger = EarlyTrigger(grace)
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._timer_at: float | None = None
        self._done: list[tuple[Profile, EarlyProbe]] = []  # one probe per profile
        self._current: EarlyProbe | None = None
        self._current_profile: Profile | None = None
        self._task: tuple[asyncio.AbstractEventLoop, asyncio.Task] | None = None
        self._stop_why = ""
        self._idle = threading.Event()
        self._idle.set()
        self._closed = False

    # -- facts in -------------------------------------------------------------------------

    def on_event(self, event: ev.SessionEvent) -> None:
        with self._lock:
            if self._closed:
                return
            self._trigger.feed(event)
            answered = self._trigger.answered
        if answered:
            self.cancel("a worker connected")
        self._arm()

    def _arm(self) -> None:
        with self._lock:
            due = None if self._closed else self._trigger.next_due()
            if due == self._timer_at:
                return
            if self._timer is not None:
                self._timer.cancel()
            self._timer, self._timer_at = None, due
            if due is None:
                return
            self._timer = threading.Timer(max(0.0, due - self._clock()), self._wake)
            self._timer.daemon = True
            self._timer.start()

    def _wake(self) -> None:
        with self._lock:
            self._timer = self._timer_at = None
            due = self._trigger.due(self._clock())
            if self._closed or not due or self._current is not None:
                return
            profile = self._profile()
            if profile is None or not useful_for(profile.kind) \
                    or any(p == profile for p, _ in self._done):
                return
            job_id, running_for = due[0]
            self._current = EarlyProbe(job_id, round(running_for, 1), self._clock(),
                                       profile=profile)
            self._current_profile = profile
            self._stop_why = ""
            self._idle.clear()
        self._tell(self._current)
        threading.Thread(target=self._run, args=(profile,), name="hpctui-early-probe",
                         daemon=True).start()

    # -- the probe, on its own thread and loop ----------------------------------------------

    def _run(self, profile: Profile) -> None:
        loop = asyncio.new_event_loop()

        def on_verdict(result: ProbeResult) -> None:
            with self._lock:
                if self._current is None:
                    return
                self._current = replace(self._current, result=result)
                current = self._current
            self._tell(current)

        try:
            task = loop.create_task(self._probe(profile, on_verdict))
            with self._lock:
                self._task = (loop, task)
                stop = self._stop_why
            if stop:  # cancelled before the task existed
                task.cancel()
            try:
                result, error = loop.run_until_complete(task), ""
            except asyncio.CancelledError:
                result, error = None, ""
            except Exception as exc:  # noqa: BLE001 - a failed probe is said, never raised
                result, error = None, f"{type(exc).__name__}: {exc}"
        finally:
            finish_loop(loop)
        with self._lock:
            final = replace(self._current, done=True, stopped=self._stop_why, error=error,
                            result=result if result is not None else self._current.result)
            self._done.append((profile, final))
            self._current = self._current_profile = self._task = None
            self._idle.set()
        self._tell(final)
        self._arm()  # a job of a newer profile may have come due meanwhile

    def _tell(self, probe: EarlyProbe) -> None:
        if self._on_update is not None:
            self._on_update(probe)

    # -- facts out ------------------------------------------------------------------------

    def result_for(self, profile: Profile) -> EarlyProbe | None:
        """The probe of `profile`: the one running (with its verdict once known), or done."""
        with self._lock:
            if self._current is not None and self._current_profile == profile:
                return self._current
            return next((p for prof, p in reversed(self._done) if prof == profile), None)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no probe runs; True if none does."""
        return self._idle.wait(timeout)

    # -- stopping -------------------------------------------------------------------------

    def cancel(self, why: str) -> None:
        """Stop the probe that runs, if any (its job is cancelled by the probe itself)."""
        with self._lock:
            if self._current is None or self._stop_why:
                return
            self._stop_why = why
            task = self._task
        if task is not None:
            loop, t = task
            try:
                loop.call_soon_threadsafe(t.cancel)
            except RuntimeError:  # its loop just ended: nothing left to stop
                pass

    def close(self, wait: float | None = 30.0) -> None:
        """No more probes; the running one is cancelled (and waited for, up to `wait` s, so
        its batch job is gone before the caller goes on)."""
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self._timer_at = None
        self.cancel("closed")
        if wait:
            self.wait(wait)
