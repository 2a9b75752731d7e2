"""The app's diagnosis half: findings from the session's signals (in a worker), and the
stacks pane's sources (the workers' sampler files, or hpctui's own scheduler loop).

A mixin of HpcTuiApp: Textual dispatches `on_*` handlers found anywhere in the app's MRO.
"""

from __future__ import annotations

from textual import work

from hpctui.ui.app_messages import FindingsUpdated


class DiagnosisMixin:
    """Findings and stacks; see the module docstring."""

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
