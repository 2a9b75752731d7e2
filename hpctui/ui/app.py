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
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer

from hpctui.core.context import LaunchContext
from hpctui.core.kinds import KINDS
from hpctui.core.logbuffer import LogBuffer
from hpctui.ui.layout import GRID_MIN_SIZE, FocusPaneRequested, PaneArea, tab_bar
from hpctui.ui.messages import ApplyProfile, FocusPane, ProfileEdited
from hpctui.ui.panes.base import Pane
from hpctui.ui.panes.logs import LogsPane
from hpctui.ui.panes.network import NetworkPane
from hpctui.ui.panes.queue import QueuePane
from hpctui.ui.panes.slot import PaneSlot
from hpctui.ui.panes.statusbar import StatusBar
from hpctui.ui.panes.workers import WorkersPane
from hpctui.ui.bridge import REDRAW_S, SessionBridge, SessionEventArrived

DIAGNOSE_S = 1.0  # how often diagnosis may run when new signals arrived
from hpctui.ui.screens.help import HelpScreen
from hpctui.ui.screens.quit import QuitScreen
from hpctui.ui.screens.scale import ScaleScreen


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


class FindingsUpdated(Message):
    """Diagnosis ran (in a worker) on the signals gathered so far."""

    def __init__(self, findings: list) -> None:
        super().__init__()
        self.findings = findings


class LeftoversFound(Message):
    """Jobs recorded by an earlier hpctui that died without cancelling them."""

    def __init__(self, leftovers) -> None:
        super().__init__()
        self.leftovers = leftovers


class HpcTuiApp(App):
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
        *(Binding(str(i), f"show_pane({i})", f"Pane {i}", show=False) for i in range(1, 10)),
    ]

    def __init__(self, context: LaunchContext, *,
                 workspace_loader: Callable[[], object] | None = None,
                 session_factory: Callable[[str, dict], object] | None = None) -> None:
        super().__init__()
        self.context = context
        self.logs = LogBuffer()
        self.workspace = None
        self.session = None
        self.bridge: SessionBridge | None = None
        self.selected_job: str | None = None
        self.rejections_shown: set[int] = set()  # cluster generations whose rejection was shown
        self.collector = None  # hpctui.core.diagnosis.collector.SignalCollector, with the session
        self._diagnosed_version = -1
        self._generation = 0
        self._workspace_loader = workspace_loader or self._default_loader
        self._session_factory = session_factory or self._default_session
        self.sub_title = KINDS[context.kind].label
        self._panes: list[Pane] = self._make_panes()

    def _default_loader(self):
        from hpctui.core.workspace import Workspace

        return Workspace.from_config(self.context.kind, self.context.config_path)

    @staticmethod
    def _default_session(kind: str, cluster_kwargs: dict):
        from hpctui.core.session import ClusterSession

        return ClusterSession(kind, cluster_kwargs)

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
        self.pane_area.set_grid(width >= GRID_MIN_SIZE[0] and height >= GRID_MIN_SIZE[1])

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
        """Show a pane (tab and grid alike) and focus it."""
        self._tabs.set_active(pane_id)
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
        self._status.notice = text

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
        self.pane_area.pane("network").workspace = ws
        status = self._status
        status.config_path = str(ws.target.path)
        for note in ws.notes():
            self.notice(note)
        self._start_session()

    def on_workspace_failed(self, message: WorkspaceFailed) -> None:
        for pane in self._panes:
            if isinstance(pane, PaneSlot):
                pane.show_error(f"✗ could not load the config: {message.error}")
        self.notice(f"✗ {message.error}")

    def on_profile_edited(self, message: ProfileEdited) -> None:
        # State down: every pane that shows the profile re-renders from the workspace.
        for pane_id in ("script", "settings", "stacks"):
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
        """Re-submit with `profile`: the session cancels its jobs, starts a new cluster and
        scales back to the same number of workers."""
        self.workspace.mark_applied(profile)
        script = self.pane("script")
        if script is not None:
            script.flag_lines([])
            script.refresh_view()
        if self.session is None:
            self._start_session()
        else:
            if self.collector is not None:
                self.collector.reset()  # findings are about the attempt now being made
            self.session.apply(profile.kind, profile.cluster_kwargs())
            self._watch_stacks()
        self.notice(f"applied: re-submitting {self.session.workers_wanted} worker(s)")

    # -- jobs an earlier hpctui left behind ----------------------------------------------

    @work(thread=True, exclusive=True, group="leftovers", exit_on_error=False)
    def _find_leftovers(self) -> None:
        from hpctui.core.cleanup import find_leftovers

        leftovers = find_leftovers()
        if leftovers:
            self.post_message(LeftoversFound(leftovers))

    def on_leftovers_found(self, message: LeftoversFound) -> None:
        from hpctui.ui.screens.leftovers import LeftoversScreen

        def answered(cancel: bool | None) -> None:
            if cancel:
                self._cancel_leftovers(message.leftovers)

        self.push_screen(LeftoversScreen(message.leftovers), answered)

    @work(thread=True, exclusive=True, group="leftovers", exit_on_error=False)
    def _cancel_leftovers(self, leftovers) -> None:
        from hpctui.core.cleanup import cancel_leftovers

        results = cancel_leftovers(leftovers)
        text = "; ".join(("cancelled " if r.ok else "could not cancel ") + ", ".join(r.job_ids)
                         + (f" ({r.detail})" if r.detail else "") for r in results)
        self.call_from_thread(self.notice, text)

    # -- the cluster session ------------------------------------------------------------

    def _start_session(self) -> None:
        """Start the cluster for the applied profile (the scheduler runs in this process)."""
        if self.session is not None or self.workspace is None:
            return
        profile = self.workspace.applied
        try:
            self.session = self._session_factory(profile.kind, profile.cluster_kwargs())
        except ValueError as exc:
            self.notice(f"✗ cannot start the cluster: {exc}")
            return
        self.bridge = SessionBridge(self, self.session, self.logs)
        from hpctui.core.diagnosis.collector import SignalCollector

        self.collector = SignalCollector()
        self.session.subscribe(self.collector.on_event)
        self.session.start()
        self.set_interval(REDRAW_S, self._redraw_session)
        self.set_interval(DIAGNOSE_S, self._maybe_diagnose)
        self._watch_stacks()

    @staticmethod
    def _pane_ready(pane) -> bool:
        # Mounted and composed: the redraw timer may fire between the two.
        return pane is not None and pane.is_mounted and bool(pane.children)

    def _redraw_session(self) -> None:
        import time

        if self.bridge is None:
            return
        if not (self._pane_ready(self.pane("queue")) and self._pane_ready(self.pane("workers"))):
            return  # the flags stay set: drawn at the next tick
        dirty, log_keys = self.bridge.take_dirty()
        if dirty:
            snap = self.session.snapshot()
            walltime = self.workspace.applied.get("walltime") if self.workspace else None
            self.pane("queue").update_jobs(snap.jobs, time.monotonic(), str(walltime or ""))
            stuck = [j.job_id for j in snap.jobs if j.phase.value == "started, not connected"]
            self.pane("workers").update_workers(snap.workers, snap.expected_workers, stuck)
            if self.selected_job is None and snap.jobs:
                self._select_job(snap.jobs[0].job_id)
        logs = self.pane("logs")
        if self._pane_ready(logs) and logs.job_key in log_keys:
            logs.lines_added()

    # -- diagnosis and stacks -----------------------------------------------------------

    def _maybe_diagnose(self) -> None:
        if self.collector is None or self.workspace is None:
            return
        if self.collector.version == self._diagnosed_version:
            return
        self._diagnosed_version = self.collector.version
        stacks = self.pane("stacks")
        network = self.pane("network")
        extra = {
            "stacks": tuple(stacks.stack_reports() if self._pane_ready(stacks) else ()),
            # The interfaces let the network rules name the one that reaches the nodes.
            "login_interfaces": tuple(network.facts),
            "probe": network.probe,
        }
        self._diagnose(self.workspace.applied, extra)

    @work(thread=True, exclusive=True, group="diagnose", exit_on_error=False)
    def _diagnose(self, profile, extra: dict) -> None:
        import sys

        from hpctui.core.diagnosis import diagnose

        signals = self.collector.signals(profile, login_python=sys.executable, **extra)
        self.post_message(FindingsUpdated(diagnose(signals)))

    def on_findings_updated(self, message: FindingsUpdated) -> None:
        findings = self.pane("findings")
        if findings is not None:
            findings.update_findings(message.findings)
        slot = self.pane_area.pane("findings")
        slot.border_title = f"Findings ({len(message.findings)})" if message.findings else "Findings"
        if message.findings:
            self.notice(f"! {message.findings[0].title} (pane 7: Findings)")

    def action_sample_scheduler(self) -> None:
        """Sample the scheduler's event loop in this process, for "the scheduler is slow"."""
        if self.session is None or self.session.loop_thread_id is None:
            self.notice("the cluster is still starting")
            return
        if getattr(self, "_self_sampler", None) is not None:
            self.show_pane("stacks")
            return
        from hpctui.core.cleanup import state_dir
        from hpctui.probe.sampler import start_sampler

        out = state_dir() / "self-stacks"
        self._self_sampler = start_sampler(str(out), rate=10.0,
                                           thread_id=self.session.loop_thread_id)
        stacks = self.pane("stacks")
        if stacks is not None:
            stacks.watch_directory(out)
        self.show_pane("stacks")
        self.notice(f"sampling the scheduler's event loop into {out}")

    def _watch_stacks(self) -> None:
        """Read the sampler's files when the applied profile runs the workers under it."""
        from hpctui.core.sampler_toggle import sampler_on
        from hpctui.core.sampler_wiring import placement_for

        stacks = self.pane("stacks")
        profile = self.workspace.applied if self.workspace else None
        if stacks is None or profile is None or not sampler_on(profile):
            return
        try:
            stacks.watch_directory(placement_for(dict(profile.settings)).out_dir)
        except ValueError as exc:
            self.notice(f"✗ {exc}")

    def _select_job(self, job_id: str) -> None:
        """A job picked (in the queue, or the first one): its logs and its workers."""
        self.selected_job = job_id
        logs = self.pane("logs")
        if self._pane_ready(logs):
            logs.show_job(job_id, f"job {job_id}")
        workers = self.pane("workers")
        if self._pane_ready(workers):
            workers.select_job(job_id)

    def on_queue_pane_job_selected(self, message: QueuePane.JobSelected) -> None:
        if message.job_id != self.selected_job:
            self._select_job(message.job_id)

    def on_session_event_arrived(self, message: SessionEventArrived) -> None:
        from hpctui.core import events as ev

        event = message.event
        if isinstance(event, ev.ClusterStarted):
            self._generation = event.generation
            status = self._status
            status.scheduler_address = event.scheduler_address
            self._show_dashboard(event.dashboard_link)
            self.notice(f"scheduler listening at {event.scheduler_address}")
            self._explain_scheduler_address(event)
        elif isinstance(event, ev.ClusterStartFailed):
            self.notice(f"✗ the cluster did not start: {event.message}")
        elif isinstance(event, ev.SubmitFailed):
            self._show_rejection(event)
        elif isinstance(event, ev.QueueError):
            self.notice(f"! {event.message} (retrying in {event.retry_in:.0f} s)")
        elif isinstance(event, ev.JobsCancelled):
            what = "cancelled" if event.ok else "could not cancel"
            self.notice(f"{what} job(s) {', '.join(event.job_ids)} ({event.why}) {event.detail}")
        elif isinstance(event, ev.SessionFailed):
            self.notice(f"✗ {event.message}")

    def _explain_scheduler_address(self, event) -> None:
        """Which address the scheduler listens on and advertises, from which setting, and the
        warning when it listens everywhere without TLS: shown in the network pane."""
        if not event.listen_address or self.workspace is None:
            return
        from hpctui.core.scheduler_address import describe_scheduler_address

        network = self.pane("network")
        facts = describe_scheduler_address(event.listen_address, event.scheduler_address,
                                           dict(self.workspace.applied.settings),
                                           list(network.facts) or None)
        network.show_scheduler(facts)
        for warning in facts.warnings:
            self.notify(warning, severity="warning", timeout=15)

    def _show_dashboard(self, link: str) -> None:
        if not link:
            return
        from hpctui.core.tunnel import bound_dashboard_link, dashboard_access

        options = (self.workspace.applied.get("scheduler-options") or {}) if self.workspace else {}
        link = bound_dashboard_link(link, options.get("dashboard_address"))
        try:
            access = dashboard_access(link)
        except ValueError:
            return
        status = self._status
        status.dashboard = access.url_on_login_node
        status.tunnel_command = f"{access.ssh_command}  then open {access.laptop_url}"
        network = self.pane("network")
        network.show_access(
            f"Dashboard: {access.url_on_login_node}\n"
            f"From your laptop: {access.ssh_command}  then open {access.laptop_url}\n"
            f"On a JupyterHub with jupyter-server-proxy: {access.proxy_path}",
            access.ssh_command,
        )

    def _show_rejection(self, event) -> None:
        # One rejection view per cluster generation: the same script fails the same way.
        if self._generation in self.rejections_shown or self.workspace is None:
            self.notice(f"✗ submission refused: {event.error.summary()}")
            return
        self.rejections_shown.add(self._generation)
        from hpctui.core.rejection import SubmitRejection
        from hpctui.ui.screens.rejection import RejectionScreen

        err = event.error
        rejection = SubmitRejection(command=err.command, exit_code=err.exit_code,
                                    stdout=err.stdout, stderr=err.stderr or err.message)
        header = self.workspace.header_texts(self.workspace.applied)

        def answered(line: str | None) -> None:
            if line:
                self.show_pane("script")
                script = self.pane("script")
                if script is not None:
                    script.flag_lines([line])
                    script.select_header_line(line)

        self.push_screen(RejectionScreen(rejection, header), answered)

    def action_scale_by(self, delta: int) -> None:
        if self.session is None:
            self.notice("the cluster is still starting")
            return
        self.session.scale(max(0, self.session.workers_wanted + delta))
        self.notice(f"scaling to {self.session.workers_wanted} worker(s)")

    def action_scale_to(self) -> None:
        if self.session is None:
            self.notice("the cluster is still starting")
            return

        def answered(n: int | None) -> None:
            if n is not None:
                self.session.scale(n)
                self.notice(f"scaling to {n} worker(s)")

        self.push_screen(ScaleScreen(self.session.workers_wanted), answered)

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

    def jobs_to_cancel(self) -> int:
        """How many jobs quitting would cancel."""
        if self.session is None:
            return 0
        return sum(1 for j in self.session.snapshot().jobs if j.phase.value != "ended")

    def action_request_quit(self) -> None:
        n_jobs = self.jobs_to_cancel()
        if n_jobs == 0:
            self._quit()
            return

        def answered(quit_now: bool | None) -> None:
            if quit_now:
                self._quit()

        self.push_screen(QuitScreen(n_jobs), answered)

    def _stop_self_sampler(self) -> None:
        sampler = getattr(self, "_self_sampler", None)
        if sampler is not None:
            sampler.stop()
            self._self_sampler = None

    def _quit(self) -> None:
        self._stop_self_sampler()
        # The session cancels the jobs on its own thread; `shutdown()` (called once the app
        # has exited) waits for it, so quitting never leaves a job in the queue.
        if self.session is not None:
            self.session.close()
        self.exit()

    def shutdown(self, timeout: float = 60.0) -> bool:
        """Close the session (cancelling its jobs) and wait; call after the app has exited."""
        if self.session is None:
            return True
        self.session.close()
        return self.session.wait_closed(timeout)
