"""What the Workers pane says about scaling: the mode, the bounds, the adaptive target, the last
decisions and the demo workload's progress, as plain lines (no Textual).

`AdaptView.on_event` is a session subscriber (its own delivery thread); `lines()` is read by
the UI's redraw timer, with a version number so an unchanged view costs nothing.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from hpctui.core.session import events as ev
from hpctui.core.session.demo_load import DemoLoadProgressed

KEEP_DECISIONS = 3
WHY_WIDTH = 76  # a decision is cut here (the pane is narrow in the grid): the full text is on the timeline


def _clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))


def _cut(text: str, width: int = WHY_WIDTH) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


class AdaptView:
    """Thread-safe; see the module docstring."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.version = 0
        self.adaptive = False
        self._mode = ""
        self._target = ""
        self._decisions: deque[str] = deque(maxlen=KEEP_DECISIONS)
        self._load = ""
        self.load_running = False

    def on_event(self, event: ev.SessionEvent) -> None:
        line = None
        if isinstance(event, ev.ScalingModeChanged):
            self.adaptive = event.mode == "adaptive"
            self._mode = (f"adaptive {event.minimum}..{event.maximum} {event.unit} (interval "
                          f"{event.interval:g}s, wait-count {event.wait_count}, "
                          f"target-duration {event.target_duration:g}s)" if self.adaptive
                          else f"fixed: {event.workers} worker(s)")
            if not self.adaptive:
                self._target = ""
        elif isinstance(event, ev.AdaptTargetChanged):
            tasks = f" for {event.tasks} task(s)" if event.tasks >= 0 else ""
            self._target = (f"target {event.target} worker(s) (the scheduler asks "
                            f"{event.wanted}{tasks}) · planned {event.planned} · connected "
                            f"{event.connected}")
        elif isinstance(event, ev.AdaptDecided):
            what = (f"▲ up to {event.target} worker(s), {event.jobs} job(s)"
                    if event.action == "up" else
                    f"▼ down: {event.jobs} job(s) ({', '.join(event.workers)})")
            line = f"{_clock(event.at)} {what}: {event.why}"
        elif isinstance(event, ev.JobReplacing) and event.by == "adapt":
            # (A worker submitted with its scheduler job and replaced is a notice: app_session.)
            line = (f"{_clock(event.at)} ⟳ job {event.job_id} ended by itself ({event.why}): "
                    "adapt replaces it")
        elif isinstance(event, DemoLoadProgressed):
            self.load_running = not (event.finished or event.error)
            self._load = (f"demo load: {event.done}/{event.total} tasks"
                          + (" — finished" if event.finished else
                             f" — {event.error}" if event.error else ""))
        else:
            return
        with self._lock:
            if line is not None:
                self._decisions.append(_cut(line))
            self.version += 1

    def lines(self) -> tuple[int, list[str]]:
        """(version, lines); no lines in fixed mode with no demo load (nothing to say)."""
        with self._lock:
            if not self.adaptive and not self._load and not self._decisions:
                return self.version, []
            out = [" · ".join(x for x in (self._mode, self._load) if x)]
            if self._target:
                out.append(self._target)
            out += list(self._decisions)
            return self.version, out
