"""Test helper: collect a ClusterSession's events and wait for the ones a test expects."""

from __future__ import annotations

import threading
import time


class EventLog:
    """A subscriber that keeps every event and lets a test wait for a condition on them."""

    def __init__(self) -> None:
        self.events: list = []
        self._cond = threading.Condition()

    def __call__(self, event) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def of(self, cls) -> list:
        with self._cond:
            return [e for e in self.events if isinstance(e, cls)]

    def wait_for(self, cls, pred=lambda e: True, count: int = 1, timeout: float = 60.0) -> list:
        """The first `count` events of type `cls` matching `pred`; AssertionError on timeout,
        listing what did arrive."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [e for e in self.events if isinstance(e, cls) and pred(e)]
                if len(found) >= count:
                    return found[:count]
                left = deadline - time.monotonic()
                if left <= 0:
                    names = [type(e).__name__ for e in self.events]
                    raise AssertionError(
                        f"timed out after {timeout} s waiting for {count} x {cls.__name__}; "
                        f"got {len(found)}; all events: {names}")
                self._cond.wait(left)
