"""The app's adaptive-scaling half: the Workers pane's scaling block (core `AdaptView`), `S`
answered with a fixed N or adaptive bounds, and the demo workload started from the palette.

A mixin of HpcTuiApp, like app_session.py; nothing here blocks the message pump (the demo
workload runs on its own thread, the session's requests return at once).
"""

from __future__ import annotations

from collections.abc import Iterable


class AdaptMixin:
    """See the module docstring."""

    adapt_view = None
    _adapt_drawn = -1

    def _start_adapt_view(self) -> None:
        """With the session: the view of its scaling events (its own delivery thread)."""
        from hpctui.core.session.adapt_view import AdaptView

        self.adapt_view = AdaptView()
        self._adapt_drawn = -1
        self.session.subscribe(self.adapt_view.on_event)

    def _redraw_adapt(self) -> None:
        """From the redraw timer: the Workers pane's scaling block, when it changed."""
        view, pane = self.adapt_view, self.pane("workers")
        if view is None or not self._pane_ready(pane):
            return
        version, lines = view.lines()
        if version != self._adapt_drawn:
            self._adapt_drawn = version
            pane.adapt_status.show(lines)

    def _profile_adapt(self):
        """The applied profile's `adapt` settings (None when it has none or they are bad)."""
        from hpctui.core.session.adapt_settings import parse_adapt

        try:
            return parse_adapt(self.workspace.applied.get("adapt")) if self.workspace else None
        except ValueError:
            return None

    def _scale_answered(self, value) -> None:
        from hpctui.core.session.adapt_settings import AdaptSettings

        if value is None or self.session is None:
            return
        if isinstance(value, AdaptSettings):
            self.session.adapt(value)
            self.notice(f"scaling adaptively: {value.bounds_text()}")
        else:
            self.session.scale(value)
            self.notice(f"scaling to {value} worker(s)")

    def action_demo_load(self) -> None:
        """Start the demo workload (a few hundred short tasks, then idle) on the cluster."""
        if self.session is None:
            self.notice("the cluster is still starting")
            return
        try:
            load = self.session.start_demo_load()
        except RuntimeError as exc:
            self.notice(f"✗ {exc}")
            return
        self.notice(f"demo load: {load.tasks} tasks of {load.seconds:g} s"
                    + ("" if self.adapt_view is not None and self.adapt_view.adaptive
                       else " (S with MIN..MAX scales adaptively)"))

    def get_system_commands(self, screen) -> Iterable:
        from textual.app import SystemCommand

        yield from super().get_system_commands(screen)
        yield SystemCommand("Start the demo workload",
                            "A few hundred short tasks, then idle: watch adaptive scaling",
                            self.action_demo_load)
