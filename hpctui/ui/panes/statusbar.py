"""The status bar: batch system, config file, scheduler and dashboard address, last notice
(one line, with the count of notices not yet read in the notice log)."""

from __future__ import annotations

import os

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static


def short_path(path: str, limit: int = 48) -> str:
    """`path` with the home folder as ~ and, if still long, its start elided."""
    home = os.path.expanduser("~")
    if home not in ("", "/") and path.startswith(home + os.sep):
        path = "~" + path[len(home):]
    return path if len(path) <= limit else "…" + path[-(limit - 1):]


class StatusBar(Static):
    """One or two lines docked at the bottom; the app sets its reactive fields."""

    DEFAULT_CSS = """
    /* Not docked: the Footer docks at the bottom, and two docked widgets would overlap. */
    StatusBar {
        height: auto;
        max-height: 2;
        background: $panel;
        color: $text;
        padding: 0 1;
        /* Each line one row, cut with an ellipsis: a wrapped first line pushed the notice
           line out of the bar's two rows. */
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    kind_label: reactive[str] = reactive("", layout=True)
    config_path: reactive[str] = reactive("", layout=True)
    scheduler_address: reactive[str] = reactive("", layout=True)
    dashboard: reactive[str] = reactive("", layout=True)
    tunnel_command: reactive[str] = reactive("", layout=True)
    notice: reactive[str] = reactive("", layout=True)
    unread_notices: reactive[int] = reactive(0, layout=True)  # since the notice log was opened

    def __init__(self) -> None:
        super().__init__(id="status-bar")

    def render(self) -> Text:
        parts = [self.kind_label, f"config: {short_path(self.config_path)}"]
        if self.scheduler_address:
            parts.append(f"scheduler: {self.scheduler_address}")
        if self.dashboard:
            parts.append(f"dashboard: {self.dashboard}")
        first = " │ ".join(p for p in parts if p)
        second = (f"laptop: {self.tunnel_command}" if self.tunnel_command else "")
        text = Text(first, no_wrap=True, overflow="ellipsis")
        if self.notice:
            # One line whatever the notice's length; the notice log (`n`) has it whole. The
            # count goes first so the ellipsis never cuts it.
            text.append("\n")
            if self.unread_notices > 1:
                text.append(f"[{self.unread_notices} notices, n] ", style="bold")
            text.append(self.notice.splitlines()[0] if self.notice.strip() else "")
        elif second:
            text.append("\n" + second)
        return text
