"""OpLoop: one background thread running one asyncio loop that runs queued operations in order.

A session's requests (`start`, `scale`, `apply`, `close`) arrive from any thread and must not
wait for the cluster; they are queued here and run one after another on the loop, so two of
them never touch the cluster at once. The loop also runs a session's long-lived background
coroutines (clock ticks, worker-log polling) until the "close" operation has run.

What an operation does is not this module's business: it calls `run_op(op)` with the queued
tuple (its first item names it) and hands any exception to `on_error(name, exc)`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

# Seconds the tasks still pending when a loop ends get to finish their cancellation.
FINISH_SECONDS = 10.0


def finish_loop(loop: asyncio.AbstractEventLoop, seconds: float = FINISH_SECONDS) -> None:
    """Close `loop` as asyncio.run does: the tasks still pending are cancelled and given their
    turn to end (up to `seconds`), then async generators are shut down. A task left pending (a
    cancelled background coroutine, a batch query cancelled mid-way) would otherwise be
    collected after the loop closed: "Task was destroyed but it is pending!", and its
    subprocess transport's __del__ prints "RuntimeError: Event loop is closed" on the user's
    terminal once the child exits."""
    try:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.wait(pending, timeout=seconds))
            for task in pending:  # retrieved, so none is "never retrieved" on collection
                if task.done() and not task.cancelled():
                    task.exception()
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()


# The operation after which the loop stops (its background coroutines are cancelled).
LAST_OP = "close"


class OpLoop:
    """Start the thread with `start()`, queue operations with `submit(op)` from any thread."""

    def __init__(
        self,
        run_op: Callable[[tuple], Awaitable[None]],
        on_error: Callable[[str, Exception], None],
        background: list[Callable[[], Coroutine[Any, Any, None]]],
        *,
        name: str = "hpctui-session",
    ) -> None:
        self._run_op = run_op
        self._on_error = on_error
        self._background = background
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._ops: asyncio.Queue | None = None
        self._scale_queued = False  # loop thread only

    def start(self) -> None:
        self.thread.start()

    def submit(self, op: tuple) -> None:
        """Queue `op`; returns at once. RuntimeError once the loop has closed."""
        self.loop.call_soon_threadsafe(self._enqueue, op)

    def _enqueue(self, op: tuple) -> None:
        assert self._ops is not None
        # Scale requests that pile up collapse into one: the operation reads the newest N.
        if op[0] == "scale":
            if self._scale_queued:
                return
            self._scale_queued = True
        self._ops.put_nowait(op)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self._ops = asyncio.Queue()
        runner = self.loop.create_task(self._serve())
        try:
            self.loop.run_until_complete(runner)
        finally:
            finish_loop(self.loop)

    async def _serve(self) -> None:
        assert self._ops is not None
        tasks = [asyncio.create_task(make()) for make in self._background]
        while True:
            op = await self._ops.get()
            if op[0] == "scale":
                self._scale_queued = False
            try:
                await self._run_op(op)
                if op[0] == LAST_OP:
                    for task in tasks:
                        task.cancel()
                    return
            except Exception as e:  # a bug here must reach the user, and the loop must go on
                self._on_error(op[0], e)
