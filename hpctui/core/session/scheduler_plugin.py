"""A scheduler plugin that reports worker joins and leaves the moment the scheduler has them.

The scheduler runs in this process (dask-jobqueue starts it here), so the plugin's hooks run on
the session's loop synchronously inside `Scheduler.add_worker`/`remove_worker`: no polling, and
no Client (whose cached `scheduler_info()` has empty workers in distributed 2026.8). The hooks
only read the WorkerState and hand plain values to callbacks, which must not block.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from distributed.diagnostics.plugin import SchedulerPlugin


@dataclass(frozen=True)
class JoinFact:
    name: str
    address: str
    host: str
    threads: int
    memory: int
    registered_at: float  # time.perf_counter() in the hook


@dataclass(frozen=True)
class LeaveFact:
    address: str
    reason: str


# A stimulus id's prefix says who removed the worker (distributed's own naming).
_REASONS = (
    ("retire-workers", "retired by the cluster (scale down or close)"),
    ("worker-close", "closed by the worker"),
    ("close-worker", "closed by the scheduler"),
    ("handle-worker-cleanup", "connection to the worker lost"),
    ("worker-stream", "connection to the worker lost"),
    ("check-worker-ttl", "worker stopped sending heartbeats"),
    ("remove-worker", "removed by the scheduler"),
    ("scheduler-close", "scheduler closing"),
)


def leave_reason(stimulus_id: str, status: str = "") -> str:
    """What the user reads for a worker that left, from the scheduler's stimulus id."""
    base = next((text for prefix, text in _REASONS if stimulus_id.startswith(prefix)), "")
    if not base and status == "closing_gracefully":
        base = "retired by the cluster (scale down or close)"
    base = base or "removed by the scheduler"
    return f"{base} [{stimulus_id}]" if stimulus_id else base


class WorkerEventsPlugin(SchedulerPlugin):
    """Calls `on_join(JoinFact)` and `on_leave(LeaveFact)` from the scheduler's hooks."""

    name = "hpctui-worker-events"

    def __init__(self, on_join: Callable[[JoinFact], None],
                 on_leave: Callable[[LeaveFact], None]) -> None:
        self._on_join = on_join
        self._on_leave = on_leave

    def add_worker(self, scheduler, worker: str) -> None:  # type: ignore[override]
        t = time.perf_counter()
        ws = scheduler.workers.get(worker)
        if ws is None:
            return
        self._on_join(JoinFact(name=str(ws.name), address=worker, host=ws.host,
                               threads=int(ws.nthreads), memory=int(ws.memory_limit or 0),
                               registered_at=t))

    def remove_worker(self, scheduler, worker: str, *, stimulus_id: str, **kwargs) -> None:  # type: ignore[override]
        ws = scheduler.workers.get(worker)
        status = getattr(getattr(ws, "status", None), "name", "") if ws is not None else ""
        self._on_leave(LeaveFact(address=worker, reason=leave_reason(stimulus_id, status)))
