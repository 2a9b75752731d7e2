"""New lines from the in-memory logs of connected workers (what `Client.get_worker_logs` shows).

A connected worker keeps its recent log records in memory (`distributed.admin.log-length`,
10,000 by default). They say the same things as its .err file, but are there even when the
batch system's log files are on a file system hpctui cannot read, and for nannies too.

`Client.get_worker_logs()` returns every record every time; polled, that would repeat them
all. `WorkerLogTracker` asks each worker only for the records created since the last one it
saw (the workers' `get_logs` handler takes a `start` time; the comparison uses each worker's
own timestamps, so clock skew between nodes does not matter) and drops the ones at that
boundary instant it already delivered. `fetch_worker_logs` asks all workers through the
scheduler in at most two broadcasts; the caller decides how often (one message per worker).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class WorkerLogRecord:
    """One record of a worker's in-memory log, formatted as the worker formats it."""

    created: float  # the worker's clock, seconds since the epoch
    level: str  # "INFO", "WARNING", ...
    text: str


@dataclass(frozen=True)
class WorkerLogLines:
    """Records of one worker (or nanny) not delivered before, oldest first."""

    worker: str  # the worker's (or nanny's) address
    records: list[WorkerLogRecord]

    @property
    def lines(self) -> list[str]:
        return [r.text for r in self.records]


@dataclass
class _Seen:
    last_created: float = 0.0
    # Texts already delivered whose timestamp is `last_created`: several records can share
    # one timestamp, and asking from `last_created` returns them again.
    at_last: set[str] = field(default_factory=set)


class WorkerLogTracker:
    """Remembers, per worker, how far its in-memory log has been delivered."""

    def __init__(self) -> None:
        self._seen: dict[str, _Seen] = {}

    def request(self, workers: list[str]) -> dict[str, Any]:
        """The `get_logs` message for `workers`: records since the oldest point still needed
        (the very first one if any of them was never seen)."""
        seen = [self._seen.get(w) for w in workers]
        start = 0.0 if not seen or None in seen else min(s.last_created for s in seen)  # type: ignore[union-attr]
        return {"op": "get_logs", "start": start, "timestamps": True}

    def split_new(self, workers: list[str]) -> tuple[list[str], list[str]]:
        """(workers never seen, workers seen before): they are asked from different times."""
        new = [w for w in workers if w not in self._seen]
        return new, [w for w in workers if w in self._seen]

    def update(self, reply: dict[str, Any]) -> list[WorkerLogLines]:
        """New records per worker from a broadcast reply {address: [(created, level, text)]}.

        Replies that are not lists (a worker that failed to answer, with on_error="return")
        are skipped: that worker is asked again next time.
        """
        out = []
        for worker, records in reply.items():
            if not isinstance(records, (list, tuple)):
                continue
            seen = self._seen.setdefault(worker, _Seen())
            fresh = []
            # Workers return newest first.
            for created, level, text in sorted(records, key=lambda r: r[0]):
                if created < seen.last_created:
                    continue
                if created == seen.last_created:
                    if text in seen.at_last:
                        continue
                    seen.at_last.add(text)
                else:
                    seen.last_created = created
                    seen.at_last = {text}
                fresh.append(WorkerLogRecord(created, level, text))
            if fresh:
                out.append(WorkerLogLines(worker, fresh))
        return out

    def forget(self, worker: str) -> None:
        """Drop what is known about a worker that left."""
        self._seen.pop(worker, None)


async def _worker_addresses(scheduler: Any) -> list[str]:
    workers = getattr(scheduler, "workers", None)
    if isinstance(workers, dict):  # the in-process Scheduler
        return list(workers)
    # An rpc: in distributed 2026.8 an async client's scheduler_info() cache has no workers.
    return list((await scheduler.identity(n_workers=-1))["workers"])


async def fetch_worker_logs(
    scheduler: Any,
    tracker: WorkerLogTracker,
    *,
    workers: list[str] | None = None,
    nanny: bool = False,
) -> list[WorkerLogLines]:
    """New in-memory log records of the workers (default: all) or their nannies.

    `scheduler` is the in-process `distributed.Scheduler` or an asynchronous client's
    `client.scheduler` (both have `broadcast`). A worker that does not answer is left out and
    asked again next time. Workers seen for the first time are asked for everything, the
    others only for what is newer than what was delivered. With `nanny=True` the replies are
    keyed by nanny address: use a tracker of its own for nannies (their logs are short, and
    are asked in full each time).
    """
    if workers is None:
        workers = await _worker_addresses(scheduler)
    updates: list[WorkerLogLines] = []
    for group in tracker.split_new(workers):
        if group:
            reply = await scheduler.broadcast(msg=tracker.request(group), workers=group,
                                              nanny=nanny, on_error="ignore")
            updates += tracker.update(reply)
    return updates
