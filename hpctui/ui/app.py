"""The hpctui Textual application: wires the panes together; each pane owns its handlers.

The app receives everything it works on through its constructor (the launch context, and the
session factory), so tests build it on the local backend or the SLURM testbed. Shared state
lives here and flows down to the panes; panes send messages up.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Tabs

from hpctui.core.context import LaunchContext
from hpctui.core.kinds import KINDS
from hpctui.core.logbuffer import LogBuffer
from hpctui.ui.layout import GRID_MIN_SIZE, PaneArea, tab_bar
from hpctui.ui.messages import FocusPane
from hpctui.ui.panes.base import Pane
from hpctui.ui.panes.logs import LogsPane
from hpctui.ui.panes.network import NetworkPane
from hpctui.ui.panes.statusbar import StatusBar
from hpctui.ui.screens.help import HelpScreen
from hpctui.ui.screens.quit import QuitScreen


class HpcTuiApp(App):
    """hpctui's main application."""

    TITLE = "hpctui"
    # Absolute, so subclasses defined elsewhere (tests, benchmarks) find it too.
    CSS_PATH = Path(__file__).parent / "hpctui.tcss"
    BINDINGS = [
        Binding("q", "request_quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        *(Binding(str(i), f"show_pane({i})", f"Pane {i}", show=False) for i in range(1, 10)),
    ]

    def __init__(self, context: LaunchContext) -> None:
        super().__init__()
        self.context = context
        self.logs = LogBuffer()
        self.sub_title = f"{KINDS[context.kind].label} · {context.config_path}"
        self._panes: list[Pane] = self._make_panes()

    def _make_panes(self) -> list[Pane]:
        return [LogsPane(self.logs), NetworkPane()]

    # -- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield tab_bar(self._panes)
        yield PaneArea(self._panes)
        yield StatusBar()
        yield Footer()

    def on_mount(self) -> None:
        status = self.query_one(StatusBar)
        status.kind_label = KINDS[self.context.kind].label
        status.config_path = str(self.context.config_path)
        self._apply_size(self.size.width, self.size.height)
        self.query_one(PaneArea).show(self._panes[0].PANE_ID)

    def on_resize(self, event: Resize) -> None:
        self._apply_size(event.size.width, event.size.height)

    def _apply_size(self, width: int, height: int) -> None:
        area = self.query_one(PaneArea)
        area.set_grid(width >= GRID_MIN_SIZE[0] and height >= GRID_MIN_SIZE[1])

    @property
    def pane_area(self) -> PaneArea:
        return self.query_one(PaneArea)

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tab is None or event.tab.id is None:
            return
        pane_id = event.tab.id.removeprefix("tab-")
        self.pane_area.show(pane_id)

    def show_pane(self, pane_id: str) -> None:
        """Show a pane (tab and grid alike) and focus it."""
        self.query_one(Tabs).active = f"tab-{pane_id}"
        self.pane_area.show(pane_id)
        pane = self.pane_area.pane(pane_id)
        focusable = [w for w in pane.query("*") if w.focusable]
        if focusable:
            focusable[0].focus()

    def action_show_pane(self, number: int) -> None:
        if 1 <= number <= len(self._panes):
            self.show_pane(self._panes[number - 1].PANE_ID)

    def on_focus_pane(self, message: FocusPane) -> None:
        self.show_pane(message.pane_id)

    # -- help, palette, quit -----------------------------------------------------------

    def action_help(self) -> None:
        sections = [("Everywhere", list(self.BINDINGS))]
        sections += [(p.PANE_TITLE, list(p.BINDINGS)) for p in self._panes]
        self.push_screen(HelpScreen(sections))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help: list every key", "Show the help screen", self.action_help)
        for pane in self._panes:
            yield SystemCommand(
                f"Show pane: {pane.PANE_TITLE}", f"Switch to the {pane.PANE_TITLE} pane",
                lambda pid=pane.PANE_ID: self.show_pane(pid),
            )

    def jobs_to_cancel(self) -> int:
        """How many jobs quitting would cancel."""
        return 0

    def action_request_quit(self) -> None:
        n_jobs = self.jobs_to_cancel()
        if n_jobs == 0:
            self.exit()
            return

        def answered(quit_now: bool | None) -> None:
            if quit_now:
                self.exit()

        self.push_screen(QuitScreen(n_jobs), answered)
