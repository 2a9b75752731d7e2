"""Panes removed before their children mount or while in use, and panes used before mounting.

On a busy machine the app can begin to exit (or a slot be re-laid out) while a pane that the
config's arrival mounted is still being composed. Textual then mounts none of the pane's
children but still sends it Mount: a pane whose `on_mount` queries a child failed with
NoMatches (seen as `#settings-table` from `SettingsPane.on_mount` under load). Mounting a pane
and removing it in the same step reproduces that order every time, with no load needed.
"""

from __future__ import annotations

import pytest
from textual.app import App

from editing_apps import make_workspace
from findings_inputs import all_summaries, real_findings
from hpctui.ui.app_preflight import PreflightMixin
from hpctui.ui.app_session import SessionMixin
from hpctui.ui.panes.findings import FindingsPane
from hpctui.ui.panes.jobscript import JobScriptPane
from hpctui.ui.panes.network import NetworkPane
from hpctui.ui.panes.settings import SettingsPane
from hpctui.ui.panes.stacks import StacksPane
from waits import pilot_until

PANES = [SettingsPane, JobScriptPane, StacksPane, FindingsPane, NetworkPane]


def _given_before_mounting(pane, workspace) -> None:
    # Data the app may hand a pane before it is mounted (kept, and drawn on mount).
    if isinstance(pane, FindingsPane):
        pane.update_findings(real_findings(workspace.applied))
    if isinstance(pane, StacksPane):
        pane.update_samples(all_summaries())


@pytest.mark.parametrize("pane_class", PANES, ids=lambda c: c.__name__)
async def test_a_pane_removed_before_its_children_mount_does_not_fail(tmp_path, pane_class):
    workspace = make_workspace(tmp_path)
    app = App()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = pane_class(workspace)
        _given_before_mounting(pane, workspace)
        app.screen.mount(pane)
        pane.remove()  # before the pane's own task has composed it
        await pilot_until(pilot, lambda: not pane.is_attached, "the pane removed")
    # run_test re-raises what failed in the app (the NoMatches from on_mount).


@pytest.mark.parametrize("pane_class", [SettingsPane, JobScriptPane, StacksPane],
                         ids=lambda c: c.__name__)
async def test_refresh_before_mounting_waits_for_the_mount(tmp_path, pane_class):
    # The app re-renders the editing panes after every profile edit, and the slot's real pane
    # exists a moment before it is mounted: that call must do nothing, and on_mount draw.
    workspace = make_workspace(tmp_path)
    pane = pane_class(workspace)
    pane.refresh_view()
    app = App()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.screen.mount(pane)
        await pilot_until(pilot, lambda: pane.is_mounted, "the pane mounted")
        assert pane.children_ready
        if isinstance(pane, SettingsPane):
            assert pane.highlighted_key == "cores"  # drawn by on_mount


@pytest.mark.parametrize("pane_class", PANES, ids=lambda c: c.__name__)
async def test_a_pane_being_removed_is_no_longer_ready(tmp_path, pane_class):
    # While a pane is removed (the app exiting), its descendants go one by one while it and
    # its children still count as mounted, and session events still arrive: the app drew the
    # dashboard's address into a network pane whose #net-access was gone (NoMatches). From
    # the moment removal starts the pane is not ready, so nothing draws into it.
    workspace = make_workspace(tmp_path)
    app = App()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = pane_class(workspace)
        await app.screen.mount(pane)
        await pilot_until(pilot, lambda: pane.is_mounted, "the pane mounted")
        assert SessionMixin._pane_ready(pane)
        pane.remove()
        assert not pane.children_ready and not SessionMixin._pane_ready(pane)
        _given_before_mounting(pane, workspace)  # data arriving meanwhile: kept, not drawn
        if hasattr(pane, "refresh_view"):
            pane.refresh_view()
        await pilot_until(pilot, lambda: not pane.is_attached, "the pane removed")


class WaitingApp(SessionMixin, PreflightMixin, App):
    """Just the app's `_with_pane`, over one pane mounted when the test says."""

    def __init__(self, pane) -> None:
        super().__init__()
        self.session = None
        self._pane_waiting = {}
        self._the_pane = pane

    def pane(self, pane_id: str):
        return self._the_pane


async def test_what_waits_for_a_pane_runs_once_it_is_ready_however_late(tmp_path):
    # Session events can come before a lazy pane is mounted: what they draw waits for the
    # pane (a timer that retried for 10 s gave up on a busy machine), then runs in order.
    pane = NetworkPane(make_workspace(tmp_path))
    app = WaitingApp(pane)
    got = []
    async with app.run_test(size=(120, 40)) as pilot:
        app._with_pane("network", lambda p: got.append(("first", p)))
        app._with_pane("network", lambda p: got.append(("second", p)))
        await pilot.pause()
        assert got == []
        await app.screen.mount(pane)
        await pilot_until(pilot, lambda: len(got) == 2, "what waited for the pane")
        assert got == [("first", pane), ("second", pane)]
        app._with_pane("network", lambda p: got.append(("now", p)))  # ready: at once
        assert got[-1] == ("now", pane)
