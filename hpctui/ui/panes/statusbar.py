"""The status bar: batch system, config file, scheduler and dashboard address, last event."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static


class StatusBar(Static):
    """One or two lines docked at the bottom; the app sets its reactive fields."""

    DEFAULT_CSS = """
    StatusBar {
        dock: bottom;
        height: auto;
        max-height: 2;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    """

    kind_label: reactive[str] = reactive("")
    config_path: reactive[str] = reactive("")
    scheduler_address: reactive[str] = reactive("")
    dashboard: reactive[str] = reactive("")
    tunnel_command: reactive[str] = reactive("")
    notice: reactive[str] = reactive("")

    def __init__(self) -> None:
        super().__init__(id="status-bar")

    def render(self) -> str:
        parts = [self.kind_label, f"config: {self.config_path}"]
        if self.scheduler_address:
            parts.append(f"scheduler: {self.scheduler_address}")
        if self.dashboard:
            parts.append(f"dashboard: {self.dashboard}")
        first = " │ ".join(p for p in parts if p)
        second = self.notice or (f"laptop: {self.tunnel_command}" if self.tunnel_command else "")
        return first + ("\n" + second if second else "")
