"""Pilot tests of the stacks pane's start-up part, on recorded start-up watcher files
(tests/fixtures/startup): a process stuck in a .pth is listed though it has no samples, with
its phase, file, line and blocking call; a normal start-up shows every phase per process."""

from __future__ import annotations

import shutil
from pathlib import Path

from textual.widgets import DataTable, Static

from editing_apps import make_workspace
from hpctui.ui.panes.stacks import StacksPane

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "startup"


def _text(app, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


async def _watched(tmp_path, name: str, pilot, app, count: int):
    out = tmp_path / "hpctui-stacks"
    shutil.copytree(FIXTURES / name, out)
    pane = app.query_one(StacksPane)
    pane.watch_directory(out, interval=0.2)
    for _ in range(100):  # until the worker thread has read them: a state, not a delay
        await pilot.pause(0.1)
        if len(pane.summaries) >= count:
            break
    return pane


async def test_a_pth_hang_is_listed_with_its_line_and_call(tmp_path):
    from findings_inputs import recording_app

    app = recording_app(StacksPane, make_workspace(tmp_path))
    async with app.run_test(size=(140, 44)) as pilot:
        pane = await _watched(tmp_path, "pth-sleep", pilot, app, 1)
        [label] = pane.summaries
        assert label.endswith("(main process)") and label in pane.startup
        assert app.query_one("#stacks-list", DataTable).get_row_at(0)[0] == "!"
        assert _text(app, "#stacks-state").startswith("✗ stuck 4 s in interpreter start-up")
        section = _text(app, "#stacks-startup")
        assert "start-up 4.2 s (ended by SIGABRT)" in section
        assert "zz_slow.pth` line 1 (`import time; time.sleep(3600)`)" in section
        assert "blocked in `clock_nanosleep`" in section
        assert pane.startup_processes()[0].stuck is not None


async def test_a_normal_start_up_shows_its_phases_per_process(tmp_path):
    from findings_inputs import recording_app

    app = recording_app(StacksPane, make_workspace(tmp_path))
    async with app.run_test(size=(140, 44)) as pilot:
        pane = await _watched(tmp_path, "normal", pilot, app, 2)
        labels = sorted(pane.startup)
        assert [lb.split("(")[1] for lb in labels] == ["main process)", "worker process)"]
        pane.select(next(lb for lb in labels if "worker process" in lb))
        await pilot.pause()
        section = _text(app, "#stacks-startup")
        for phase in ("interpreter + site", "imports", "worker start", "connect"):
            assert phase in section
        assert "slowest imports: distributed" in section and "✗" not in section
