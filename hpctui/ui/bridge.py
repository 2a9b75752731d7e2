"""From the cluster session's events to the app: messages for facts, a dirty flag for floods.

The session delivers events on its own thread. Log lines go straight into the app's
thread-safe LogBuffer, and job/worker changes only set a flag: the app redraws the queue,
workers and logs panes from a timer (every REDRAW_S), so a flood of events costs one
redraw. Events the user must see (cluster started, a rejected submission, queue errors)
are posted as messages.
"""

from __future__ import annotations

import threading

from textual.message import Message

from hpctui.core.logs.buffer import LogBuffer

REDRAW_S = 0.1  # well under the 250 ms from a worker's registration to it being on screen



class SessionEventArrived(Message):
    """An event of the cluster session that the app shows or acts on."""

    def __init__(self, event) -> None:
        super().__init__()
        self.event = event


class SessionBridge:
    """Subscribes to a session; `take_dirty()` tells the app's timer what to redraw."""

    def __init__(self, app, session, logs: LogBuffer) -> None:
        # Imported here, not at the top: the session starts after the first frame.
        from hpctui.core.session import events as ev

        self._ev = ev
        # Events that become messages (everything else only marks the picture dirty).
        self._posted = (ev.ClusterStarted, ev.ClusterStartFailed, ev.SubmitFailed, ev.QueueError,
                        ev.JobsCancelled, ev.SessionFailed, ev.JobReplacing)
        self._app = app
        self._logs = logs
        self._lock = threading.Lock()
        self._snapshot_dirty = True
        self._log_keys: set[str] = set()
        self.last_worker_event_at: float | None = None  # perf_counter of the newest registration
        self.session = session
        self._unsubscribe = session.subscribe(self._on_event)

    def _on_event(self, event) -> None:
        # On the session's delivery thread: hand off quickly.
        ev = self._ev
        if isinstance(event, ev.LogLinesAppended):
            stream = "err" if event.stream in ("stderr", "err") else "out"
            self._logs.add(event.job_id, event.lines, stream=stream)
            with self._lock:
                self._log_keys.add(event.job_id)
            return
        with self._lock:
            self._snapshot_dirty = True
            if isinstance(event, (ev.WorkerJoined, ev.WorkerLeft)) and hasattr(event, "registered_at"):
                self.last_worker_event_at = event.registered_at
        if isinstance(event, self._posted):
            self._app.post_message(SessionEventArrived(event))

    def take_dirty(self) -> tuple[bool, set[str]]:
        """(queue/workers changed, job ids with new log lines) since the last call."""
        with self._lock:
            dirty, keys = self._snapshot_dirty, self._log_keys
            self._snapshot_dirty, self._log_keys = False, set()
        return dirty, keys

    def mark_dirty(self) -> None:
        with self._lock:
            self._snapshot_dirty = True

    def close(self) -> None:
        self._unsubscribe()
