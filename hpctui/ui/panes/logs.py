"""The logs pane: the selected job's stdout and stderr, live, with a filter and marked lines.

Lines live in the app's bounded LogBuffer (state down); this pane only draws the selected
job's lines from it, compact by default (`hpctui/core/logs/compact.py`: `07:20:39 I worker
...`), or raw (`r`) exactly as written with their stream. The filter always runs on the raw
text. Warnings and errors are coloured and also prefixed, so they read the same with
NO_COLOR; lines that matter for diagnosis (connection time-outs, tracebacks, ...) carry a "▶"
marker and the mark's name while the sign is still true for the job (a `Waiting to connect
to` line is not one once the job's worker connected), and a legend line says what the marks
shown mean.

The view (`hpctui/ui/logview.py`) renders only the rows on screen; styling a line still costs
(its marks are regexes), so a flood is drawn at most DRAW_BUDGET lines at a time, with a
frame in between: the newest lines arrive a few frames late, and keys are never kept waiting.
"""

from __future__ import annotations

from collections.abc import Hashable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from hpctui.core.logs.buffer import LogBuffer, line_matcher
from hpctui.core.logs.compact import CompactState
from hpctui.ui.logview import LogView
from hpctui.ui.panes.base import Pane
from hpctui.ui.panes.logs_style import RAW_PREFIX_CELLS, compact_indent, styled_line

MAX_SHOWN = 5_000  # lines kept on screen; the buffer holds what there is to filter from
DRAW_BUDGET = 200  # lines styled per step (~15 ms); the rest after the next frame


class LogsPane(Pane):
    """Shows one job's logs; the app calls `show_job` and `lines_added`."""

    PANE_ID = "logs"
    PANE_TITLE = "Logs"
    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("f", "toggle_follow", "Follow on/off"),
        Binding("r", "toggle_raw", "Raw/compact"),
        Binding("w", "toggle_wrap", "Wrap on/off"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]
    DEFAULT_CSS = """
    LogsPane > #logs-title { height: 1; color: $text-muted; }
    LogsPane > #logs-legend { display: none; height: auto; max-height: 2; color: $text-muted; }
    LogsPane > #logs-legend.-marks { display: block; }
    LogsPane > #logs-filter { display: none; height: 3; }
    LogsPane > #logs-filter.-open { display: block; }
    LogsPane > LogView { height: 1fr; }
    """

    def __init__(self, buffer: LogBuffer) -> None:
        super().__init__()
        self._buffer = buffer
        self.job_key: Hashable | None = None
        self.job_label = ""
        self.follow = True
        self.pattern = ""
        self.compact = True  # `r`: False shows each line exactly as written
        self.wrap = True  # `w`: False keeps each line on one row, scrolled sideways
        self.connected = False  # a worker of the shown job is connected (ends some marks)
        self._state = CompactState()  # the compact rendering's context (date, traceback)
        self._marks: dict[str, object] = {}  # the marks on the lines drawn, by name (legend)
        self._last_seq = -1  # newest buffer entry already drawn
        self._backlog: list = []  # entries waiting for their turn to be drawn
        self._draining = False

    def compose(self) -> ComposeResult:
        yield Static("no job selected: pick one in the queue pane", id="logs-title")
        yield Static("", id="logs-legend")
        # Disabled while closed: a hidden Input could still take the focus (and the keys).
        yield Input(placeholder="filter (substring; Enter applies, Esc clears)", id="logs-filter",
                    disabled=True)
        yield LogView(max_lines=MAX_SHOWN, indent=compact_indent(), id="logs-view")

    @property
    def view(self) -> LogView:
        return self.query_one("#logs-view", LogView)

    def shown_lines(self) -> list[str]:
        """The lines on the view (plain text), oldest first."""
        return self.view.plain_lines()

    def show_job(self, key: Hashable, label: str) -> None:
        """Switch to another job's lines (redraws from the buffer)."""
        self.job_key = key
        self.job_label = label
        self.connected = False  # until the app says otherwise (`set_connected`)
        self._redraw()

    def set_connected(self, connected: bool) -> None:
        """Whether a worker of the shown job is connected now: the marks that last only
        until then (`Waiting to connect to`) come and go with it."""
        if connected != self.connected:
            self.connected = connected
            if self.job_key is not None:
                self._redraw()

    def lines_added(self) -> None:
        """The buffer has new lines for the shown job: draw the ones not drawn yet."""
        if self.job_key is None:
            return
        self._draw(self._buffer.since(self.job_key, self._last_seq))

    def _draw(self, entries) -> None:
        match = line_matcher(self.pattern) if self.pattern else None
        fresh = [e for e in entries if e.seq > self._last_seq]
        if not fresh:
            return
        self._last_seq = fresh[-1].seq
        if match is not None:
            fresh = [e for e in fresh if match(e.text)]
        # Lines beyond what the view keeps would be dropped at once: don't style them.
        self._backlog = (self._backlog + fresh)[-MAX_SHOWN:]
        if not self._draining:  # else the step already scheduled takes them
            self._drain()

    def _drain(self) -> None:
        self._draining = False
        if not self._backlog or not self.children_ready:
            return
        step, self._backlog = self._backlog[:DRAW_BUDGET], self._backlog[DRAW_BUDGET:]
        state = self._state if self.compact else None
        texts = []
        for e in step:
            text, marks = styled_line(e.stream, e.text, state, self.connected)
            texts.append(text)
            for m in marks:
                if m.name not in self._marks:
                    self._marks[m.name] = m
                    self._update_legend()
        self.view.write_lines(texts)
        if self._backlog:
            self._draining = True
            self.call_after_refresh(self._drain)

    def _redraw(self) -> None:
        self.view.clear()
        self._backlog = []
        self._last_seq = -1
        self._state.reset()
        self._marks = {}
        self._update_legend()
        self._update_title()
        if self.job_key is None:
            return
        self._draw(self._buffer.lines(self.job_key))

    def _update_title(self) -> None:
        if self.job_key is None:
            text = "no job selected: pick one in the queue pane"
        else:
            text = (f"{self.job_label}  {'compact' if self.compact else 'raw'}"
                    f"  follow:{'on' if self.follow else 'off'}"
                    f"  wrap:{'on' if self.wrap else 'off'}")
            if self.pattern:
                text += f"  filter:{self.pattern!r}"
        self.query_one("#logs-title", Static).update(text)

    def action_filter(self) -> None:
        box = self.query_one("#logs-filter", Input)
        box.disabled = False
        box.add_class("-open")
        box.value = self.pattern
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.pattern = event.value
        event.input.remove_class("-open")
        event.input.disabled = True
        self.view.focus()
        self._redraw()

    def action_clear_filter(self) -> None:
        self.pattern = ""
        box = self.query_one("#logs-filter", Input)
        box.remove_class("-open")
        box.disabled = True
        self._redraw()

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow
        self.view.auto_scroll = self.follow
        self._update_title()

    def action_toggle_raw(self) -> None:
        """Compact rendering, or each line exactly as written (the file never changes)."""
        self.compact = not self.compact
        self.view.set_indent(compact_indent() if self.compact else RAW_PREFIX_CELLS)
        self._redraw()

    def action_toggle_wrap(self) -> None:
        """Long lines wrapped at the edge, or one row each with horizontal scrolling."""
        self.wrap = not self.wrap
        self.view.set_wrap(self.wrap)
        self._update_title()

    def _update_legend(self) -> None:
        from hpctui.core.logs.marks import legend

        box = self.query_one("#logs-legend", Static)
        # A traceback says what it is; the legend is for the failure signs.
        text = legend(m for m in self._marks.values() if m.failure_mode is not None)
        box.set_class(bool(text), "-marks")
        box.update(Text("▶ still true for this job: " + text if text else "", overflow="ellipsis"))
