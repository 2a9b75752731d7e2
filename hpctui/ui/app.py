"""The hpctui Textual application: wires the panes together; each pane owns its handlers.

The app receives everything it works on through its constructor (the launch context, and a
factory for the cluster session), so tests build it on the local backend or the SLURM
testbed. Shared state (the Workspace being edited, the log buffer, the session) lives here
and flows down to the panes; panes send messages up. Slow work (loading the config, writing
it, starting the cluster) runs in workers and comes back as messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Tabs

from hpctui.core.context import LaunchContext
from hpctui.core.kinds import KINDS
from hpctui.core.logbuffer import LogBuffer
from hpctui.ui.layout import GRID_MIN_SIZE, PaneArea, tab_bar
from hpctui.ui.messages import ApplyProfile, FocusPane, ProfileEdited
from hpctui.ui.panes.base import Pane
from hpctui.ui.panes.logs import LogsPane
from hpctui.ui.panes.network import NetworkPane
from hpctui.ui.panes.queue import QueuePane
from hpctui.ui.panes.slot import PaneSlot
from hpctui.ui.panes.statusbar import StatusBar
from hpctui.ui.panes.workers import WorkersPane
from hpctui.ui.screens.help import HelpScreen
from hpctui.ui.screens.quit import QuitScreen


class WorkspaceLoaded(Message):
    """The config was read (in a worker): the editing panes can be filled."""

    def __init__(self, workspace) -> None:
        super().__init__()
        self.workspace = workspace


class WorkspaceFailed(Message):
    """Reading the config failed in a way the Workspace could not report itself."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class ApplyPrepared(Message):
    """The apply preview (script diff, config diff, problems) is ready."""

    def __init__(self, preview) -> None:
        super().__init__()
        self.preview = preview


class ConfigWritten(Message):
    """The config file was written (or refused); `outcome` says which."""

    def __init__(self, outcome) -> None:
        super().__init__()
        self.outcome = outcome


class HpcTuiApp(App):
    """hpctui's main application."""

    TITLE = "hpctui"
    # Absolute, so subclasses defined elsewhere (tests, benchmarks) find it too.
    CSS_PATH = Path(__file__).parent / "hpctui.tcss"
    BINDINGS = [
        Binding("q", "request_quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("A", "apply", "Apply"),
        Binding("ctrl+t", "toggle_auto_apply", "Auto-apply on/off", show=False),
        *(Binding(str(i), f"show_pane({i})", f"Pane {i}", show=False) for i in range(1, 10)),
    ]

    def __init__(self, context: LaunchContext, *,
                 workspace_loader: Callable[[], object] | None = None) -> None:
        super().__init__()
        self.context = context
        self.logs = LogBuffer()
        self.workspace = None
        self._workspace_loader = workspace_loader or self._default_loader
        self.sub_title = KINDS[context.kind].label
        self._panes: list[Pane] = self._make_panes()

    def _default_loader(self):
        from hpctui.core.workspace import Workspace

        return Workspace.from_config(self.context.kind, self.context.config_path)

    def _make_panes(self) -> list[Pane]:
        return [
            PaneSlot("script", "Job script", "hpctui.ui.panes.jobscript:JobScriptPane"),
            QueuePane(),
            WorkersPane(),
            LogsPane(self.logs),
            PaneSlot("settings", "Settings", "hpctui.ui.panes.settings:SettingsPane"),
            NetworkPane(),
        ]

    # -- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield tab_bar(self._panes)
        yield PaneArea(self._panes)
        yield StatusBar()
        yield Footer()

    def on_mount(self) -> None:
        status = self.query_one(StatusBar)
        status.kind_label = KINDS[self.context.kind].label
        status.config_path = str(self.context.config_path or "(finding it…)")
        self._apply_size(self.size.width, self.size.height)
        self.pane_area.show(self._panes[0].PANE_ID)
        # After the first frame: importing dask in a thread still takes the GIL from the UI.
        self.call_after_refresh(self._load_workspace)

    def on_resize(self, event: Resize) -> None:
        self._apply_size(event.size.width, event.size.height)

    def _apply_size(self, width: int, height: int) -> None:
        self.pane_area.set_grid(width >= GRID_MIN_SIZE[0] and height >= GRID_MIN_SIZE[1])

    @property
    def pane_area(self) -> PaneArea:
        return self.query_one(PaneArea)

    def pane(self, pane_id: str):
        """The widget that does a pane's job (the real pane inside a slot)."""
        pane = self.pane_area.pane(pane_id)
        return pane.inner if isinstance(pane, PaneSlot) else pane

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tab is None or event.tab.id is None:
            return
        self.pane_area.show(event.tab.id.removeprefix("tab-"))

    def show_pane(self, pane_id: str) -> None:
        """Show a pane (tab and grid alike) and focus it."""
        self.query_one(Tabs).active = f"tab-{pane_id}"
        self.pane_area.show(pane_id)
        pane = self.pane_area.pane(pane_id)
        if pane.is_mounted:
            focusable = [w for w in pane.query("*") if w.focusable]
            if focusable:
                focusable[0].focus()

    def action_show_pane(self, number: int) -> None:
        if 1 <= number <= len(self._panes):
            self.show_pane(self._panes[number - 1].PANE_ID)

    def on_focus_pane(self, message: FocusPane) -> None:
        self.show_pane(message.pane_id)
        if message.pane_id == "script" and message.detail and self.pane("script") is not None:
            self.pane("script").select_header_line(message.detail)

    def notice(self, text: str) -> None:
        """One line in the status bar: the last thing that happened."""
        self.query_one(StatusBar).notice = text

    # -- the workspace (config being edited) -----------------------------------------------

    @work(thread=True, exclusive=True, group="workspace", exit_on_error=False)
    def _load_workspace(self) -> None:
        try:
            workspace = self._workspace_loader()
        except Exception as exc:  # shown in the panes; hpctui keeps running
            self.post_message(WorkspaceFailed(f"{type(exc).__name__}: {exc}"))
            return
        # Render once here so the panes' first draw doesn't import dask-jobqueue on the pump,
        # and import the editing panes' modules here too, off the pump.
        workspace.preview()
        for pane in self._panes:
            if isinstance(pane, PaneSlot):
                pane.pane_class()
        self.post_message(WorkspaceLoaded(workspace))

    async def on_workspace_loaded(self, message: WorkspaceLoaded) -> None:
        self.workspace = ws = message.workspace
        for pane in self._panes:
            if isinstance(pane, PaneSlot):
                await pane.fill(ws)
        self.query_one(NetworkPane).workspace = ws
        status = self.query_one(StatusBar)
        status.config_path = str(ws.target.path)
        for note in ws.notes():
            self.notice(note)

    def on_workspace_failed(self, message: WorkspaceFailed) -> None:
        for pane in self._panes:
            if isinstance(pane, PaneSlot):
                pane.show_error(f"✗ could not load the config: {message.error}")
        self.notice(f"✗ {message.error}")

    def on_profile_edited(self, message: ProfileEdited) -> None:
        # State down: every pane that shows the profile re-renders from the workspace.
        for pane_id in ("script", "settings"):
            pane = self.pane(pane_id)
            if pane is not None and pane is not message._sender:
                pane.refresh_view()
        self.notice(message.description)
        if self.workspace is not None and self.workspace.auto_apply:
            self.post_message(ApplyProfile())

    # -- apply: preview -> write -> apply -----------------------------------------------

    def action_apply(self) -> None:
        self.post_message(ApplyProfile())

    def action_toggle_auto_apply(self) -> None:
        if self.workspace is not None:
            self.workspace.auto_apply = not self.workspace.auto_apply
            self.notice(f"apply automatically: {'on' if self.workspace.auto_apply else 'off'}")

    def on_apply_profile(self, message: ApplyProfile) -> None:
        if self.workspace is None:
            self.notice("still loading the config")
            return
        self._prepare_apply()

    @work(thread=True, exclusive=True, group="apply-preview", exit_on_error=False)
    def _prepare_apply(self) -> None:
        # Reads the target file: not on the message pump.
        self.post_message(ApplyPrepared(self.workspace.apply_preview()))

    def on_apply_prepared(self, message: ApplyPrepared) -> None:
        preview = message.preview
        if preview.errors:
            self.notice("✗ " + "; ".join(p.message for p in preview.errors))
            return
        if self.workspace.auto_apply:
            self._write_config()
            return

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._write_config()

        from hpctui.ui.screens.apply import ApplyScreen

        self.push_screen(ApplyScreen(preview, self.workspace), answered)

    @work(thread=True, exclusive=True, group="apply-write", exit_on_error=False)
    def _write_config(self) -> None:
        self.post_message(ConfigWritten(self.workspace.write()))

    def on_config_written(self, message: ConfigWritten) -> None:
        outcome = message.outcome
        self.notice(("✓ " if outcome.ok else "✗ ") + outcome.message)
        if outcome.ok:
            self.apply_to_cluster(outcome.profile)

    def apply_to_cluster(self, profile) -> None:
        """Re-submit with `profile` (the session does it; see hpctui.ui.bridge)."""
        self.workspace.mark_applied(profile)

    # -- help, palette, quit -----------------------------------------------------------

    def action_help(self) -> None:
        sections = [("Everywhere", list(self.BINDINGS))]
        sections += [(p.PANE_TITLE, p.help_bindings()) for p in self._panes]
        self.push_screen(HelpScreen(sections))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help: list every key", "Show the help screen", self.action_help)
        yield SystemCommand("Apply: write the config and re-submit", "Preview, write, apply",
                            self.action_apply)
        yield SystemCommand("Apply automatically: on/off", "Skip the apply confirmation",
                            self.action_toggle_auto_apply)
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
