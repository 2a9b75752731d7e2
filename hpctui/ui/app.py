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

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer

from hpctui.core.session.context import LaunchContext
from hpctui.core.batch.kinds import KINDS
from hpctui.core.logs.buffer import LogBuffer
from hpctui.ui.layout import GRID_MIN_SIZE, LOGS_MIN_WIDTH, FocusPaneRequested, PaneArea, tab_bar
from hpctui.ui.app_adapt import AdaptMixin
from hpctui.ui.app_diagnosis import DiagnosisMixin
from hpctui.ui.app_editing import EditingMixin
from hpctui.ui.app_preflight import PreflightMixin
from hpctui.ui.app_messages import (  # noqa: F401 - re-exported for tests and callers
    ApplyPrepared,
    ConfigWritten,
    FindingsUpdated,
    LeftoversFound,
    WorkspaceFailed,
    WorkspaceLoaded,
)
from hpctui.ui.app_session import SessionMixin
from hpctui.ui.messages import FocusPane
from hpctui.ui.panes.base import Pane
from hpctui.ui.panes.logs import LogsPane
from hpctui.ui.panes.network import NetworkPane
from hpctui.ui.panes.queue import QueuePane
from hpctui.ui.panes.slot import PaneSlot
from hpctui.ui.panes.statusbar import StatusBar
from hpctui.ui.panes.workers import WorkersPane
from hpctui.ui.bridge import SessionBridge
from hpctui.ui.screens.help import HelpScreen


NOTICE_S = 20.0  # seconds a notice holds the status bar's second line
NOTICES_KEPT = 200  # the notice log's length


class HpcTuiApp(EditingMixin, PreflightMixin, SessionMixin, AdaptMixin, DiagnosisMixin, App):
    """hpctui's main application."""

    TITLE = "hpctui"
    # Absolute, so subclasses defined elsewhere (tests, benchmarks) find it too.
    CSS_PATH = Path(__file__).parent / "hpctui.tcss"
    BINDINGS = [
        Binding("q", "request_quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("A", "apply", "Apply"),
        Binding("plus", "scale_by(1)", "+1 worker"),
        Binding("minus", "scale_by(-1)", "-1 worker"),
        Binding("S", "scale_to", "Scale to N"),
        Binding("K", "sample_scheduler", "Sample the scheduler (hpctui itself)", show=False),
        Binding("ctrl+t", "toggle_auto_apply", "Auto-apply on/off", show=False),
        Binding("z", "zoom", "Zoom pane"),
        Binding("n", "notices", "Notices"),
        *(Binding(str(i), f"show_pane({i})", f"Pane {i}", show=False) for i in range(1, 10)),
    ]

    def __init__(self, context: LaunchContext, *,
                 workspace_loader: Callable[[], object] | None = None,
                 session_factory: Callable[[str, dict], object] | None = None,
                 early_grace: float | None = ...,
                 attach_on_start: bool | None = None) -> None:
        super().__init__()
        # Reattach to this profile's cluster left running (scheduler-placement: job); by
        # default only with the real session (a test's factory makes its own).
        self._attach_on_start = session_factory is None if attach_on_start is None \
            else attach_on_start
        self._attach = None  # the state.ClusterState to reattach to, once looked for
        self.context = context
        self.logs = LogBuffer()
        self.workspace = None
        self.session = None
        self.bridge: SessionBridge | None = None
        self.selected_job: str | None = None
        self.rejections_shown: set[int] = set()  # cluster generations whose rejection was shown
        self.collector = None  # hpctui.core.diagnosis.collector.SignalCollector, with the session
        # Seconds a job runs with no worker before the network probe goes by itself (None:
        # never; ...: the core's default). The EarlyCheck is made with the session.
        self.early_grace = early_grace
        self.early = None
        self._diagnosed_version = -1
        self._generation = 0
        self.notices: list[tuple[str, str]] = []  # (HH:MM:SS, whole text), oldest first
        self._pane_waiting: dict[str, list[Callable]] = {}  # pane id -> uses (`_with_pane`)
        self._workspace_loader = workspace_loader or self._default_loader
        self._session_factory = session_factory or self._default_session
        self.sub_title = KINDS[context.kind].label
        self._panes: list[Pane] = self._make_panes()

    def _default_loader(self):
        from hpctui.core.session.workspace import Workspace

        return Workspace.from_config(self.context.kind, self.context.config_path)

    def _default_session(self, kind: str, cluster_kwargs: dict):
        from hpctui.core.session.cluster import ClusterSession

        # The config file names the cluster's state (scheduler-placement: job).
        config = str(self.workspace.target.path) if self.workspace is not None else None
        return ClusterSession(kind, cluster_kwargs, config_path=config, attach=self._attach)

    def _make_panes(self) -> list[Pane]:
        return [
            PaneSlot("script", "Job script", "hpctui.ui.panes.jobscript:JobScriptPane"),
            QueuePane(),
            WorkersPane(),
            LogsPane(self.logs),
            PaneSlot("settings", "Settings", "hpctui.ui.panes.settings:SettingsPane"),
            NetworkPane(),
            PaneSlot("findings", "Findings", "hpctui.ui.panes.findings:FindingsPane"),
            PaneSlot("stacks", "Stacks", "hpctui.ui.panes.stacks:StacksPane"),
        ]

    # -- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # Kept as attributes: `self.query_one` searches the top screen, which is a modal
        # (help, apply, rejection) whenever one is open.
        self._tabs = tab_bar(self._panes)
        self._area = PaneArea(self._panes)
        self._status = StatusBar()
        yield self._tabs
        yield self._area
        yield self._status
        yield Footer()

    def on_mount(self) -> None:
        status = self._status
        status.kind_label = KINDS[self.context.kind].label
        status.config_path = str(self.context.config_path or "(finding it…)")
        self._apply_size(self.size.width, self.size.height)
        self.pane_area.show(self._panes[0].PANE_ID)
        self.call_after_refresh(self.pane_area.mount_the_rest)
        # After the first frame: importing dask in a thread still takes the GIL from the UI.
        self.call_after_refresh(self._load_workspace)
        self.call_after_refresh(self._find_leftovers)

    def on_resize(self, event: Resize) -> None:
        self._apply_size(event.size.width, event.size.height)

    def _apply_size(self, width: int, height: int) -> None:
        self.pane_area.set_grid(width >= GRID_MIN_SIZE[0] and height >= GRID_MIN_SIZE[1],
                                wide_logs=width / 3 < LOGS_MIN_WIDTH)

    @property
    def pane_area(self) -> PaneArea:
        return self._area

    def pane(self, pane_id: str):
        """The widget that does a pane's job (the real pane inside a slot)."""
        pane = self.pane_area.pane(pane_id)
        return pane.inner if isinstance(pane, PaneSlot) else pane

    def on_focus_pane_requested(self, message: FocusPaneRequested) -> None:
        self.show_pane(message.pane_id)

    def show_pane(self, pane_id: str) -> None:
        """Show a pane (tab and grid alike) and focus it; another pane than the zoomed one
        ends the zoom."""
        if self.pane_area.zoomed not in (None, pane_id):
            self._set_zoom(None)
        self._tabs.set_active(pane_id)
        self.pane_area.show(pane_id)
        pane = self.pane_area.pane(pane_id)
        if pane.is_mounted:
            focusable = [w for w in pane.query("*") if w.focusable]
            if focusable:
                focusable[0].focus()

    def action_zoom(self) -> None:
        """The focused pane (else the active one) fills the screen; again: back."""
        if self.pane_area.zoomed is not None:
            self._set_zoom(None)
            return
        pane_id = self.pane_area.active
        for node in (self.focused.ancestors_with_self if self.focused else ()):
            if isinstance(node, Pane) and node.parent is self.pane_area:
                pane_id = node.PANE_ID
                break
        self._set_zoom(pane_id)
        self.show_pane(pane_id)

    def _set_zoom(self, pane_id: str | None) -> None:
        self.pane_area.zoom(pane_id)
        self._tabs.display = pane_id is None  # the zoomed pane takes the tab bar's row too

    def action_show_pane(self, number: int) -> None:
        if 1 <= number <= len(self._panes):
            self.show_pane(self._panes[number - 1].PANE_ID)

    def on_focus_pane(self, message: FocusPane) -> None:
        self.show_pane(message.pane_id)
        if message.pane_id == "script" and message.detail and self.pane("script") is not None:
            self.pane("script").select_header_line(message.detail)

    def notice(self, text: str) -> None:
        """One line in the status bar: the last thing that happened (its first line, with how
        many came since the log was last opened); the whole text goes to the notice log (`n`).
        After NOTICE_S the line goes back to the `ssh -L` command for the dashboard."""
        import time

        self.notices.append((time.strftime("%H:%M:%S"), text))
        del self.notices[:-NOTICES_KEPT]
        status = getattr(self, "_status", None)
        if status is None:  # before the first frame: the log has it
            return
        status.unread_notices += 1
        status.notice = text
        timer = getattr(self, "_notice_timer", None)
        if timer is not None:
            timer.stop()
        self._notice_timer = self.set_timer(NOTICE_S, self._clear_notice)

    def _clear_notice(self) -> None:
        self._status.notice = ""

    def notify(self, message, *, title: str = "", severity: str = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Textual's toasts cover the panes: what hpctui or Textual itself would toast is a
        notice instead (status line, notice log)."""
        from rich.errors import MarkupError
        from rich.text import Text

        try:
            plain = Text.from_markup(message).plain if markup else str(message)
        except MarkupError:  # brackets that are text ("['lo', 'eth0']")
            plain = str(message)
        mark = {"warning": "! ", "error": "✗ "}.get(severity, "")
        self.notice(mark + (f"{title}: " if title else "") + plain)

    def action_notices(self) -> None:
        from hpctui.ui.screens.notices import NoticeLogScreen

        self._status.unread_notices = 0
        self.push_screen(NoticeLogScreen(self.notices))

    # -- help, palette, quit -----------------------------------------------------------

    def action_help(self) -> None:
        sections = [("Everywhere", list(self.BINDINGS))]
        sections += [(p.PANE_TITLE, p.help_bindings()) for p in self._panes]
        self.push_screen(HelpScreen(sections))

    def get_system_commands(self, screen: Screen) -> Iterable:
        """The command palette lists every action: the app's, then each pane's (by its keys)."""
        from textual.app import SystemCommand  # the palette's module loads when it opens

        yield from super().get_system_commands(screen)
        for b in self.BINDINGS:
            if b.action.startswith("show_pane"):
                continue
            yield SystemCommand(f"{b.description} ({b.key_display or b.key})", b.description,
                                lambda action=b.action: self.run_action(action))
        for pane in self._panes:
            yield SystemCommand(
                f"Show pane: {pane.PANE_TITLE}", f"Switch to the {pane.PANE_TITLE} pane",
                lambda pid=pane.PANE_ID: self.show_pane(pid),
            )
            for b in pane.help_bindings():
                if b.key == "escape":
                    continue
                yield SystemCommand(
                    f"{pane.PANE_TITLE}: {b.description} ({b.key})", f"In the {pane.PANE_TITLE} pane",
                    lambda pid=pane.PANE_ID, action=b.action: self._run_pane_action(pid, action),
                )

    def _run_pane_action(self, pane_id: str, action: str) -> None:
        self.show_pane(pane_id)
        pane = self.pane(pane_id)
        if pane is not None and pane.is_mounted:
            self.call_later(pane.run_action, action)
