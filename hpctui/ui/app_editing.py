"""The app's editing half: loading the config (in a worker), profile edits from the panes,
the apply path (preview -> confirm -> write -> re-submit), and leftovers of an earlier run.

A mixin of HpcTuiApp: Textual dispatches `on_*` handlers found anywhere in the app's MRO.
"""

from __future__ import annotations

from textual import work

from hpctui.ui.app_messages import (
    ApplyPrepared,
    ConfigWritten,
    LeftoversFound,
    WorkspaceFailed,
    WorkspaceLoaded,
)
from hpctui.ui.messages import ApplyProfile, ProfileEdited
from hpctui.ui.panes.slot import PaneSlot


class EditingMixin:
    """Workspace loading, edits, and apply; see the module docstring."""

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
        attach, note = self._find_cluster(workspace)
        self.post_message(WorkspaceLoaded(workspace, attach, note))

    def _find_cluster(self, workspace):
        """This profile's cluster left running, if any (one queue query: worker thread only)."""
        if not self._attach_on_start:
            return None, ""
        from hpctui.core.session.attach import find_cluster

        try:
            return find_cluster(workspace.kind, workspace.target.path)
        except Exception as exc:  # a broken record must not keep hpctui from starting
            return None, f"could not look for a cluster left running: {exc}"

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
        if message.attach_note:
            self.notice(message.attach_note)
        self._attach = message.attach
        self._start_preflight()
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
        self._maybe_diagnose()  # findings about the profile itself follow the edit at once
        self._request_preflight(edited=True)
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
            self.session.apply(profile.kind, profile.session_kwargs())
            self._watch_stacks()
        self.notice(f"applied: re-submitting {self.session.workers_wanted} worker(s)")

    # -- jobs an earlier hpctui left behind ----------------------------------------------

    @work(thread=True, exclusive=True, group="leftovers", exit_on_error=False)
    def _find_leftovers(self) -> None:
        from hpctui.core.batch.cleanup import find_leftovers

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
        from hpctui.core.batch.cleanup import cancel_leftovers

        results = cancel_leftovers(leftovers)
        text = "; ".join(("cancelled " if r.ok else "could not cancel ") + ", ".join(r.job_ids)
                         + (f" ({r.detail})" if r.detail else "") for r in results)
        self.call_from_thread(self.notice, text)
