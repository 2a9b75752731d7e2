"""Deliver session events to subscribers, each on its own thread, never blocking the publisher.

The publisher is the session's event loop, which also runs the Dask scheduler: if a subscriber
(the UI, a logger) is slow, the scheduler must not wait. So `publish` only appends to each
subscriber's bounded queue and returns; a delivery thread per subscriber calls it. When a queue
is full the oldest events are dropped and the subscriber gets one `EventsDropped(count)` before
the next event, so it knows its picture may be stale (and can ask `snapshot()`).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

from hpctui.core.session.events import EventsDropped, SessionEvent

log = logging.getLogger(__name__)

Callback = Callable[[SessionEvent], None]


class _Subscriber:
    def __init__(self, callback: Callback, maxlen: int, name: str) -> None:
        self.callback = callback
        self.maxlen = maxlen
        self.queue: deque[SessionEvent] = deque()
        self.dropped = 0
        self.cond = threading.Condition()
        self.stopped = False
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def put(self, event: SessionEvent) -> None:
        with self.cond:
            if self.stopped:
                return
            if len(self.queue) >= self.maxlen:
                self.queue.popleft()
                self.dropped += 1
            self.queue.append(event)
            self.cond.notify()

    def stop(self) -> None:
        with self.cond:
            self.stopped = True
            self.cond.notify()

    def _run(self) -> None:
        while True:
            with self.cond:
                while not self.queue and not self.stopped:
                    self.cond.wait()
                if not self.queue:  # stopped and drained
                    return
                batch = list(self.queue)
                self.queue.clear()
                dropped, self.dropped = self.dropped, 0
            if dropped:
                self._call(EventsDropped(count=dropped))
            for event in batch:
                self._call(event)

    def _call(self, event: SessionEvent) -> None:
        try:
            self.callback(event)
        except Exception:  # one broken subscriber must not stop the others, nor its own thread
            log.exception("event subscriber %r failed on %r", self.callback, type(event).__name__)


class EventBus:
    """Fan-out of events to subscribers; `publish` is safe from any thread and never blocks
    on a subscriber."""

    def __init__(self, maxlen: int = 10_000) -> None:
        if not isinstance(maxlen, int) or maxlen < 1:
            raise ValueError(f"EventBus maxlen must be a positive integer, got {maxlen!r}")
        self.maxlen = maxlen
        self._lock = threading.Lock()
        self._subs: list[_Subscriber] = []

    def subscribe(self, callback: Callback, *, maxlen: int | None = None) -> Callable[[], None]:
        """Call `callback(event)` on a new delivery thread for every event from now on.
        Returns a function that unsubscribes (events already queued are still delivered)."""
        sub = _Subscriber(callback, maxlen or self.maxlen,
                          name=f"hpctui-events-{getattr(callback, '__name__', 'subscriber')}")
        with self._lock:
            self._subs.append(sub)

        def unsubscribe() -> None:
            with self._lock:
                if sub in self._subs:
                    self._subs.remove(sub)
            sub.stop()

        return unsubscribe

    def publish(self, event: SessionEvent) -> None:
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            sub.put(event)

    def close(self, timeout: float = 5.0) -> None:
        """Stop every delivery thread after it has delivered what is queued."""
        with self._lock:
            subs, self._subs = self._subs, []
        for sub in subs:
            sub.stop()
        for sub in subs:
            if sub.thread is not threading.current_thread():
                sub.thread.join(timeout)
