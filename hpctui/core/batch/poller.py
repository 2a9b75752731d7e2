"""Adaptive polling of the batch queue for this session's jobs.

Two parts:

- `PollPolicy`: pure and deterministic (no clock, no I/O). Given the last known rows, which jobs
  have a connected worker and the time, it says how long to wait before the next query, or None
  to pause. About every 2 s while any job is pending, starting (running with no worker yet),
  ending or unknown; doubling up to 60 s while every job runs with its worker connected (the
  scheduler tells us about workers directly, so the queue then only confirms that nothing
  ended); 10 s when nothing has changed for 5 minutes of waiting (a job pending all afternoon
  must not hit the controller 30 times a minute: sites ask users not to poll every few seconds);
  paused when no job is active. `poke()` asks for a query soon and resets the back-off.

- `QueuePoller`: runs the policy in ONE background thread (chosen over an asyncio task so the
  session, the UI and tests can all use it without sharing a loop; the status command is a
  blocking subprocess anyway). One thread means never two queries in flight. Every query has a
  timeout; a hung, failing or missing command becomes a `QueuePollFailed` with a line for the user
  ("squeue timed out after 10 s", "squeue not found") and polling carries on, backing off.
  Results go to callbacks on the poller's thread: keep them short (hand over to your own loop).

Call `poke()` after a submit, a cancel or a worker leaving: the queue has news.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace

from hpctui.core.batch.commands import DEFAULT_TIMEOUT, CommandResult, run_command
from hpctui.schedulers.base import JobRow, JobState, ParseError, merge_rows

log = logging.getLogger(__name__)

_BUSY = (JobState.PENDING, JobState.COMPLETING, JobState.UNKNOWN)
# How often a job in one state is asked about with the detail command while the answer says
# nothing of it (Grid Engine writes a pending job's scheduling info at its next scheduler run).
DETAIL_TRIES = 3


@dataclass
class PollPolicy:
    """When to ask the queue next. Mutable only in its own back-off memory; no clock inside."""

    fast: float = 2.0  # while anything is waiting or changing
    slow: float = 60.0  # ceiling of the back-off when all jobs run connected
    factor: float = 2.0
    poke_delay: float = 0.5  # after poke(): soon, but let sbatch's job reach the controller
    patience: float = 300.0  # waiting this long with nothing changing...
    patient: float = 10.0  # ...slows the fast interval to this
    _steady: float = field(default=0.0, repr=False)  # current back-off while all is steady
    _poked: bool = field(default=False, repr=False)
    _picture: tuple = field(default=(), repr=False)
    _since: float | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for name in ("fast", "slow", "poke_delay", "patience", "patient"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"PollPolicy.{name} must be > 0 seconds, got {value!r}")
        if self.slow < self.fast:
            raise ValueError(f"PollPolicy.slow ({self.slow!r}) must be >= fast ({self.fast!r})")
        if self.factor < 1:
            raise ValueError(f"PollPolicy.factor must be >= 1, got {self.factor!r}")

    def poke(self) -> None:
        """Something happened (submit, cancel, worker left): poll soon and start fast again."""
        self._poked = True
        self._steady = 0.0

    @property
    def poked(self) -> bool:
        """A poke is waiting to be acted on."""
        return self._poked

    def take_poke(self) -> bool:
        """True (once) if poked: for a runner that acts on the poke while it sleeps."""
        poked, self._poked = self._poked, False
        return poked

    @staticmethod
    def active_ids(job_ids: Iterable[str], rows: Mapping[str, JobRow]) -> list[str]:
        """The jobs worth asking about: all but those already seen ending."""
        return [j for j in job_ids if not (j in rows and rows[j].state.is_final)]

    def next_delay(
        self, job_ids: Collection[str], rows: Mapping[str, JobRow], connected: Collection[str],
        now: float,
    ) -> float | None:
        """Seconds until the next query, or None when there is nothing to watch.

        `job_ids`: this session's jobs; `rows`: last known row per job id; `connected`: job ids
        with at least one worker connected to the scheduler; `now`: any monotonic time.
        """
        active = self.active_ids(job_ids, rows)
        poked, self._poked = self._poked, False
        if not active:
            self._steady = 0.0
            self._picture, self._since = (), None
            return None
        picture = tuple((j, rows[j].state if j in rows else None, j in connected) for j in active)
        if picture != self._picture:
            self._picture, self._since = picture, now
        if poked:
            return self.poke_delay
        waiting = any(
            j not in rows or rows[j].state in _BUSY
            or (rows[j].state is JobState.RUNNING and j not in connected)
            for j in active
        )
        if waiting:
            self._steady = 0.0
            if self._since is not None and now - self._since >= self.patience:
                return max(self.fast, self.patient)
            return self.fast
        self._steady = min(self.slow, self._steady * self.factor if self._steady else self.fast * self.factor)
        return self._steady

    def after_failure(self, failures: int) -> float:
        """Delay after `failures` consecutive failed queries: fast, doubling, up to `slow`
        (a controller that is down or a command that hangs must not be hammered)."""
        return min(self.slow, self.fast * self.factor ** max(0, failures - 1))


@dataclass(frozen=True)
class QueueRefreshed:
    """A query succeeded: the current rows of all of this session's jobs."""

    kind: str
    rows: tuple[JobRow, ...]
    asked: tuple[str, ...]  # the ids the command asked about (the active ones)
    duration: float  # seconds the command took
    at: float  # the poller's clock when it finished


@dataclass(frozen=True)
class QueuePollFailed:
    """A query failed; `message` is the line to show ("squeue timed out after 10 s")."""

    kind: str
    message: str
    result: CommandResult | None  # None when the failure was in parsing, see `message`
    consecutive: int  # failures in a row, this one included
    at: float
    retry_in: float  # seconds until the next try


class QueuePoller:
    """Polls the queue for this session's jobs in one background thread; see the module doc.

    `job_ids_fn()` -> this session's job ids (called on the poller's thread each round);
    `on_rows(QueueRefreshed)` and `on_error(QueuePollFailed)` are called on the poller's thread;
    `connected_fn()` -> job ids that have a worker connected. `command_fn(ids)` defaults to the
    batch system's `status_command`.
    """

    def __init__(
        self,
        kind: str,
        job_ids_fn: Callable[[], Iterable[str]],
        on_rows: Callable[[QueueRefreshed], None],
        on_error: Callable[[QueuePollFailed], None],
        connected_fn: Callable[[], Collection[str]] = frozenset,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        policy: PollPolicy | None = None,
        command_fn: Callable[[list[str]], list[str]] | None = None,
        idle_check: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from hpctui import schedulers

        if timeout <= 0:
            raise ValueError(f"QueuePoller timeout must be > 0 seconds, got {timeout!r}")
        self.kind = kind
        self._sched = schedulers.get(kind)
        self._job_ids_fn = job_ids_fn
        self._on_rows = on_rows
        self._on_error = on_error
        self._connected_fn = connected_fn
        self.timeout = timeout
        self.policy = policy or PollPolicy()
        self._command_fn = command_fn or self._sched.status_command
        self._idle_check = idle_check  # how often a paused poller re-reads job_ids_fn (no query)
        self._clock = clock
        self._rows: dict[str, JobRow] = {}
        self._detail: dict[str, tuple[str, str]] = {}  # job id -> (raw state, reason) asked
        self._tries: dict[str, int] = {}  # job id -> times asked in its current state
        self._failures = 0
        self._wake = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.queries = 0  # commands run so far, for benchmarks and the status bar
        self.next_delay: float | None = None  # what the policy last decided (None: paused)

    @property
    def rows(self) -> dict[str, JobRow]:
        """A copy of the last known row per job id."""
        return dict(self._rows)

    def start(self) -> None:
        """Start the thread; the first query runs at once if there are jobs."""
        if self._thread is not None:
            raise RuntimeError("QueuePoller already started")
        self._thread = threading.Thread(target=self._run, name=f"hpctui-poll-{self.kind}", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """Query soon (after a submit, cancel, or a worker leaving). Returns at once."""
        with self._wake:
            self.policy.poke()
            self._wake.notify()

    def stop(self, timeout: float | None = None) -> None:
        """Stop polling; waits for a query in flight (at most its own timeout) unless `timeout`."""
        with self._wake:
            self._stopping = True
            self._wake.notify()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(self.timeout + 5 if timeout is None else timeout)

    def _sleep(self, delay: float | None) -> None:
        """Wait `delay` seconds (None: paused, re-check the job list every `idle_check`); a poke
        cuts the wait short to the policy's poke delay; stop() ends it at once."""
        deadline = None if delay is None else time.monotonic() + delay
        with self._wake:
            while not self._stopping:
                if self.policy.take_poke():
                    self._wake.wait(self.policy.poke_delay)
                    return
                if deadline is None:
                    self._wake.wait(self._idle_check)
                    if not self.policy.poked:
                        return
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._wake.wait(remaining)

    def _run(self) -> None:
        delay: float | None = 0.0
        while True:
            if delay != 0.0:
                self._sleep(delay)
            if self._stopping:
                return
            try:
                job_ids = [str(j) for j in self._job_ids_fn()]
            except Exception as e:  # the session's bug must not end polling silently
                log.exception("job_ids_fn failed")
                delay = self._failed(f"could not list this session's jobs: {e!r}", None)
                continue
            active = PollPolicy.active_ids(job_ids, self._rows)
            if active:
                delay = self._query(job_ids, active)
            else:
                delay = self._next_delay(job_ids, ())
            self.next_delay = delay

    def _query(self, job_ids: list[str], active: list[str]) -> float | None:
        try:
            argv = self._command_fn(active)
        except ValueError as e:
            return self._failed(str(e), None)
        result = run_command(argv, timeout=self.timeout)
        self.queries += 1
        if result.ok or (result.exit_code is not None and not result.timed_out
                         and self._sched.means_no_jobs(result.exit_code, result.stdout, result.stderr)):
            # A "some of these jobs are unknown" exit still carries the known ones on stdout.
            try:
                parsed = self._sched.parse_status(result.stdout)
            except ParseError as e:
                return self._failed(f"{result.program} output not understood: {e}", result)
            merged = self._with_detail(merge_rows(self._rows, parsed, active))
            # Swapped, not updated in place, so `rows` can copy it from any thread.
            self._rows = {**self._rows, **{r.job_id: r for r in merged}}
            self._failures = 0
            rows = tuple(self._rows[j] for j in job_ids if j in self._rows)
            self._call(self._on_rows, QueueRefreshed(self.kind, rows, tuple(active), result.duration,
                                                     self._clock()))
            try:
                connected = set(self._connected_fn())
            except Exception:
                log.exception("connected_fn failed; treating no job as connected")
                connected = set()
            return self._next_delay(job_ids, connected)
        return self._failed(result.describe(), result)

    def _with_detail(self, rows: list[JobRow]) -> list[JobRow]:
        """Rows with the reason only a second command knows (Grid Engine's `qstat -j` for a job
        in error), asked once per job and state, not every round: a module that has no such
        command (`wants_detail`) costs nothing. A failed second query leaves the reason as is."""
        wants = getattr(self._sched, "wants_detail", None)
        if wants is None:
            return rows
        # A job the answer said nothing about (a pending job the scheduler has not looked at
        # yet) is asked again on the next polls, DETAIL_TRIES times in all per state.
        need = [r.job_id for r in rows if wants(r) and (
            self._detail.get(r.job_id, ("", ""))[0] != r.raw_state
            or (not self._detail[r.job_id][1] and self._tries.get(r.job_id, 0) < DETAIL_TRIES))]
        if need:
            result = run_command(self._sched.detail_command(need), timeout=self.timeout)
            self.queries += 1
            found = self._sched.parse_detail(result.stdout) if result.stdout else {}
            by_id = {r.job_id: r for r in rows}
            for j in need:
                same = self._detail.get(j, ("", ""))[0] == by_id[j].raw_state
                self._tries[j] = self._tries.get(j, 0) + 1 if same else 1
                self._detail[j] = (by_id[j].raw_state, found.get(j, ""))
        out = []
        for r in rows:
            raw, reason = self._detail.get(r.job_id, ("", ""))
            out.append(replace(r, reason=reason) if reason and raw == r.raw_state else r)
        return out

    def _next_delay(self, job_ids: list[str], connected: Collection[str]) -> float | None:
        # Under the lock: poke() may set the policy's flag from another thread meanwhile.
        with self._wake:
            return self.policy.next_delay(job_ids, self._rows, connected, self._clock())

    def _failed(self, message: str, result: CommandResult | None) -> float:
        self._failures += 1
        retry = self.policy.after_failure(self._failures)
        self._call(self._on_error,
                   QueuePollFailed(self.kind, message, result, self._failures, self._clock(), retry))
        return retry

    @staticmethod
    def _call(callback: Callable, event: object) -> None:
        # A subscriber's exception is its bug, not the queue's: log it and keep polling.
        try:
            callback(event)
        except Exception:
            log.exception("queue poller callback %r failed on %r", callback, event)
