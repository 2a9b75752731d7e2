"""Live samples over time: each connected worker's rounds kept for a window, summarized.

A round of live sampling (``LiveSamples``, hpctui/core/stacks/live.py) covers about a second of
each worker. ``LiveWindow`` keeps each worker's samples of the last ``window`` seconds and
builds the same ``StacksSummary`` the sampler's files give (a ``SampleFile`` labelled
``live <worker name>``), so stuck detection, hang sites and the hot tree apply unchanged.
It also remembers since when a worker has not answered: a worker whose event loop is blocked
cannot answer, and ``silent_finding`` says so. Not thread-safe: one thread feeds and reads it.
No Textual here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from hpctui.core.stacks import hangsites
from hpctui.core.stacks.live import LiveSamples, WorkerLive
from hpctui.core.stacks.samples import Sample, SampleFile, StacksSummary, summarize

LABEL_PREFIX = "live "
MAX_SAMPLES = 5_000  # per worker: 30 s at 20 Hz is 600; a bound whatever the window


def live_label(name: str, address: str) -> str:
    """How lists name a live worker: ``live <worker name>`` (its address when it has none)."""
    return LABEL_PREFIX + (name or address)


@dataclass(frozen=True)
class LiveWorker:
    """What the stacks pane shows for one live worker."""

    label: str
    address: str
    name: str
    job_id: str | None
    summary: StacksSummary  # over the window's samples (none yet: current is None)
    answered: bool  # in the latest round
    silent_since: float | None  # first round without an answer, while none came since
    timeout: float  # what each round waited
    error: str = ""  # the latest round's error, if it answered with one
    host: str = ""
    pid: int = 0

    def silent_for(self, now: float | None = None) -> float | None:
        """Seconds without an answer (up to ``now``), or None when the last round answered."""
        if self.silent_since is None:
            return None
        return (time.time() if now is None else now) - self.silent_since

    def describe(self, now: float | None = None) -> str:
        """One line: where it is, or why there is nothing to show."""
        where = f"worker {self.name or self.address}" + (f" (job {self.job_id})" if self.job_id else "")
        if self.error:
            return f"! {where} answered with an error: {self.error}"
        silent = self.silent_for(now)
        if silent is not None:
            return (f"? {where}: no answer in {self.timeout:.0f} s, silent for {silent:.0f} s: "
                    "event loop blocked?")
        return f"live: {where} at {self.address}" + (f", pid {self.pid} on {self.host}" if self.pid else "")


@dataclass
class _Held:
    address: str
    name: str = ""
    job_id: str | None = None
    samples: list[Sample] = field(default_factory=list)
    host: str = ""
    pid: int = 0
    answered: bool = False
    silent_since: float | None = None
    error: str = ""
    rate: float = 0.0


class LiveWindow:
    """Each live worker's samples of the last ``window`` seconds; see the module docstring."""

    def __init__(self, window: float = 30.0, stuck_after: float = 5.0) -> None:
        if not window > 0:
            raise ValueError(f"window: must be > 0 seconds, got {window!r}")
        if not stuck_after > 0:
            raise ValueError(f"stuck_after: must be > 0 seconds, got {stuck_after!r}")
        self.window = window
        self.stuck_after = stuck_after
        self._held: dict[str, _Held] = {}  # by address
        self._timeout = 0.0

    def add(self, live: LiveSamples) -> None:
        """Take one round in. Workers missing from it have left: they are dropped."""
        self._timeout = live.timeout
        present = {w.address for w in live.workers}
        for address in list(self._held):
            if address not in present:
                del self._held[address]
        for w in live.workers:
            held = self._held.setdefault(w.address, _Held(w.address))
            self._take(held, w, live)

    def _take(self, held: _Held, w: WorkerLive, live: LiveSamples) -> None:
        held.name, held.job_id, held.rate = w.name, w.job_id, live.rate
        held.answered, held.error = w.answered, w.error
        if w.answered:
            held.silent_since = None
        elif held.silent_since is None:
            held.silent_since = live.time
        if w.pid:
            held.host, held.pid = w.host, w.pid
        if w.samples:
            last = held.samples[-1].time if held.samples else float("-inf")
            # A late answer can repeat nothing we hold: keep only what is newer.
            held.samples.extend(s for s in w.samples if s.time > last)
        end = max(live.time, held.samples[-1].time if held.samples else live.time)
        keep_from = end - self.window
        i = 0
        while i < len(held.samples) and held.samples[i].time < keep_from:
            i += 1
        del held.samples[:max(i, len(held.samples) - MAX_SAMPLES)]

    def view(self) -> dict[str, LiveWorker]:
        """Every live worker of the latest round, by label."""
        out: dict[str, LiveWorker] = {}
        for held in self._held.values():
            label = live_label(held.name, held.address)
            file = SampleFile(Path(label), host=held.host, pid=held.pid, rate=held.rate,
                              argv=[], started=held.samples[0].time if held.samples else 0.0,
                              samples=list(held.samples))
            # Judged by the samples alone (now=None): between rounds nothing is known.
            summary = summarize(file, self.window, self.stuck_after, None)
            out[label] = LiveWorker(label, held.address, held.name, held.job_id, summary,
                                    held.answered, held.silent_since, self._timeout,
                                    held.error, held.host, held.pid)
        return out


def silent_finding(worker: LiveWorker, now: float | None = None) -> hangsites.Finding | None:
    """A finding for a worker that does not answer, else None."""
    silent = worker.silent_for(now)
    if silent is None:
        return None
    return hangsites.Finding(
        "no-answer", None, "worker's event loop not answering",
        f"Worker {worker.name or worker.address} did not answer a live stack sample within "
        f"{worker.timeout:.0f} s (silent for {silent:.0f} s). Its event loop is blocked: a task "
        "or callback running on the loop itself, a long GIL hold, or a hung file system. The "
        "samples it sends once it answers again show where it was blocked; its sampler file "
        "(s: sampler on) shows it meanwhile.",
        silent, None)


def findings(worker: LiveWorker, now: float | None = None) -> list[hangsites.Finding]:
    """The hang sites in the worker's samples, and its silence if it does not answer."""
    found = hangsites.diagnose(worker.summary)
    silent = silent_finding(worker, now)
    return ([silent] if silent else []) + found
