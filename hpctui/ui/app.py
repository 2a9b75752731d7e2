"""The hpctui Textual application: wires the panes together; each pane owns its handlers."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static

from hpctui import __version__
from hpctui.core.context import LaunchContext
from hpctui.core.kinds import KINDS


class StatusBar(Static):
    """One line at the bottom: batch system and config file in use."""

    def __init__(self, context: LaunchContext) -> None:
        super().__init__(id="status-bar")
        self._launch = context

    def render(self) -> str:
        kind = KINDS[self._launch.kind].label
        return f" {kind} │ config: {self._launch.config_path}"


class HpcTuiApp(App):
    """hpctui's main application. The launch context (and later the session) is injected."""

    TITLE = "hpctui"
    CSS_PATH = "hpctui.tcss"
    BINDINGS = [Binding("q", "quit", "Quit")]

    def __init__(self, context: LaunchContext) -> None:
        super().__init__()
        self.context = context
        self.sub_title = f"{KINDS[context.kind].label} · {context.config_path}"

    def compose(self) -> ComposeResult:
        kind = KINDS[self.context.kind]
        yield Static(
            f"[b]hpctui {__version__}[/b]\n\n"
            f"Batch system: [b]{kind.label}[/b] ({self.context.detection_reason})\n"
            f"Config file:  [b]{self.context.config_path}[/b]\n",
            id="welcome",
        )
        yield StatusBar(self.context)
        yield Footer()
