"""The logs pane: the selected job's stdout and stderr, live, with a filter and marked lines.

Lines live in the app's bounded LogBuffer (state down); this pane only draws the selected
job's lines from it. Warnings and errors are coloured and also prefixed, so they read the
same with NO_COLOR; lines that matter for diagnosis (connection time-outs, `Waiting to
connect to`, tracebacks, ...) carry a "▶" marker and the mark's name.
"""

from __future__ import annotations

from collections.abc import Hashable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, RichLog, Static

from hpctui.core.logbuffer import LogBuffer, line_matcher
from hpctui.ui.panes.base import Pane

MAX_SHOWN = 5_000  # lines kept on screen; the buffer holds what there is to filter from


def styled_line(stream: str, text: str) -> Text:
    """One log line as styled text: level colour, a prefix for errors, a marker for signs."""
    from hpctui.core.logmarks import Level, classify_line  # its regexes compile on first use

    cls = classify_line(text)
    prefix = "▶ " if cls.matters else "  "
    style = ""
    if cls.level is Level.ERROR:
        style = "bold red"
    elif cls.level is Level.WARNING:
        style = "yellow"
    line = Text(prefix + ("err│" if stream == "err" else "out│") + text, style=style)
    if cls.matters:
        line.append("  ← " + ", ".join(m.name for m in cls.marks), style="bold")
    return line


class LogsPane(Pane):
    """Shows one job's logs; the app calls `show_job` and `lines_added`."""

    PANE_ID = "logs"
    PANE_TITLE = "Logs"
    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("f", "toggle_follow", "Follow on/off"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]
    DEFAULT_CSS = """
    LogsPane > #logs-title { height: 1; color: $text-muted; }
    LogsPane > #logs-filter { display: none; height: 3; }
    LogsPane > #logs-filter.-open { display: block; }
    LogsPane > RichLog { height: 1fr; }
    """

    def __init__(self, buffer: LogBuffer) -> None:
        super().__init__()
        self._buffer = buffer
        self.job_key: Hashable | None = None
        self.job_label = ""
        self.follow = True
        self.pattern = ""
        self._last_seq = -1  # newest buffer entry already drawn

    def compose(self) -> ComposeResult:
        yield Static("no job selected: pick one in the queue pane", id="logs-title")
        yield Input(placeholder="filter (substring; Enter applies, Esc clears)", id="logs-filter")
        yield RichLog(id="logs-view", max_lines=MAX_SHOWN, wrap=True, auto_scroll=True)

    @property
    def view(self) -> RichLog:
        return self.query_one("#logs-view", RichLog)

    def show_job(self, key: Hashable, label: str) -> None:
        """Switch to another job's lines (redraws from the buffer)."""
        self.job_key = key
        self.job_label = label
        self._redraw()

    def lines_added(self) -> None:
        """The buffer has new lines for the shown job: draw the ones not drawn yet."""
        if self.job_key is None:
            return
        self._draw(self._buffer.lines(self.job_key))

    def _draw(self, entries) -> None:
        match = line_matcher(self.pattern) if self.pattern else None
        fresh = [e for e in entries if e.seq > self._last_seq][-MAX_SHOWN:]
        for entry in fresh:
            if match is None or match(entry.text):
                self.view.write(styled_line(entry.stream, entry.text), scroll_end=self.follow)
        if fresh:
            self._last_seq = fresh[-1].seq

    def _redraw(self) -> None:
        self.view.clear()
        self._last_seq = -1
        self._update_title()
        if self.job_key is None:
            return
        self._draw(self._buffer.lines(self.job_key))

    def _update_title(self) -> None:
        if self.job_key is None:
            text = "no job selected: pick one in the queue pane"
        else:
            text = f"{self.job_label}  follow:{'on' if self.follow else 'off'}"
            if self.pattern:
                text += f"  filter:{self.pattern!r}"
        self.query_one("#logs-title", Static).update(text)

    def action_filter(self) -> None:
        box = self.query_one("#logs-filter", Input)
        box.add_class("-open")
        box.value = self.pattern
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.pattern = event.value
        event.input.remove_class("-open")
        self.view.focus()
        self._redraw()

    def action_clear_filter(self) -> None:
        self.pattern = ""
        self.query_one("#logs-filter", Input).remove_class("-open")
        self._redraw()

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow
        self.view.auto_scroll = self.follow
        self._update_title()
