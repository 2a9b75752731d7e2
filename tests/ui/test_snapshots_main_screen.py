"""SVG snapshots of the whole main screen at 80x24, 120x40 and 160x48: workers connected, a
failure with its findings, and a submission the batch system refused.

Built from deterministic inputs (tests/ui/main_screen.py: the core's dataclasses, logs captured
on the testbed, diagnose() over recorded fixtures, SLURM's own refusal); HOME is the test's
temp folder. Regenerate with `--snapshot-update` after an intended change and look at the SVGs.
"""

from __future__ import annotations

import pytest

from findings_inputs import real_findings
from main_screen import (CONNECTED_JOBS, CONNECTED_WORKERS, FAILING_JOBS, REJECTION,
                         MainScreen, Scene, make_workspace)
from hpctui.ui.screens.rejection import RejectionScreen
from waits import pilot_until

SIZES = [(80, 24), (120, 40), (160, 48)]
IDS = lambda s: f"{s[0]}x{s[1]}"  # noqa: E731


async def _drawn(pilot) -> None:
    await pilot_until(pilot, lambda: pilot.app.ready, "the scene drawn")
    await pilot.pause()


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    return make_workspace(tmp_path)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_main_screen_workers_connected(snap_compare, workspace, size):
    scene = Scene(jobs=CONNECTED_JOBS, workers=CONNECTED_WORKERS, expected=2, log_job="4101",
                  log_file="testbed_healthy.err")

    async def shown(pilot):
        await _drawn(pilot)
        pilot.app.area.show("workers")  # the tab at 80x24; the grid shows it anyway
        await pilot.pause()

    assert snap_compare(MainScreen(workspace, scene), terminal_size=size, run_before=shown)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_main_screen_failure_with_findings(snap_compare, workspace, size):
    scene = Scene(jobs=FAILING_JOBS, expected=2, not_connected=["4103"], log_job="4103",
                  findings=real_findings(workspace.pending), side="findings")

    async def shown(pilot):
        await _drawn(pilot)
        pilot.app.pane("findings").select_rule("workers-cannot-reach-scheduler")
        await pilot.pause()

    assert snap_compare(MainScreen(workspace, scene), terminal_size=size, run_before=shown)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_main_screen_rejected_submission(snap_compare, workspace, size):
    async def refused(pilot):
        await _drawn(pilot)
        header = [h.text for h in workspace.preview().header]
        pilot.app.pane("script").flag_lines(["#SBATCH -p debug"])
        await pilot.app.push_screen(RejectionScreen(REJECTION, header))
        await pilot.pause()

    assert snap_compare(MainScreen(workspace, Scene()), terminal_size=size,
                        run_before=refused)
