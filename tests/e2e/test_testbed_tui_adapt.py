"""The TUI on both real batch systems (SLURM and Grid Engine), adaptive 0..4: the demo workload
from the palette's action, jobs rise, the tasks finish, jobs fall back to 0; the Workers pane
shows each decision; `q` leaves nothing in the batch system's queue."""

from __future__ import annotations

from pathlib import Path

import pytest
from waits import pilot_until

from hpctui.core.session.context import LaunchContext
from hpctui.core.session.workspace import Workspace
from hpctui.ui.app import HpcTuiApp
from hpctui.ui.screens.quit import QuitScreen

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(300)]


def _config(tmp_path: Path, batch, name: str) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(
        "jobqueue:\n"
        f"  {batch.kind}:\n"
        f"    name: {name}\n"
        f"    queue: {batch.queue}\n"
        "    cores: 1\n"
        "    memory: 1GB\n"
        "    interface: ib0\n"
        "    walltime: '00:10:00'\n"
        f"    log-directory: {tmp_path / 'logs'}\n"
        "    scheduler-options: {dashboard_address: '127.0.0.1:0'}\n"
        "    worker-extra-args: ['--dashboard-address', '127.0.0.1:0']\n"
        "    adapt: {maximum: 4, interval: 250ms, wait-count: 2, target-duration: 0.5s}\n")
    return path


async def test_adaptive_0_4_demo_load_through_the_tui(batch, tmp_path):
    name = batch.name("tui-adapt")
    path = _config(tmp_path, batch, name)
    app = HpcTuiApp(LaunchContext(batch.kind, "test", path, True),
                    workspace_loader=lambda: Workspace.from_config(batch.kind, path, paths=[],
                                                                   environ={}))
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot_until(pilot, lambda: app.adapt_view is not None
                              and app.adapt_view.adaptive, "the adaptive session")
            block = app.pane("workers").adapt_status
            await pilot_until(pilot, lambda: "adaptive 0..4 jobs" in block.text, "the mode")
            app.action_demo_load()
            await pilot_until(pilot, lambda: "▲ up to" in block.text, "a scale-up decision")
            await pilot_until(pilot, lambda: app.session.snapshot().connected_workers >= 2,
                              "workers on the compute node", timeout=120)
            await pilot_until(pilot, lambda: "300/300 tasks — finished" in block.text,
                              "the demo load finished", timeout=180)
            await pilot_until(pilot, lambda: "▼ down" in block.text, "a scale-down decision")
            await pilot_until(pilot, lambda: not [j for j in app.session.snapshot().jobs
                                                  if j.phase.value not in ("ended", "ending")],
                              "jobs back to the minimum (0)", timeout=120)
            await pilot.press("q")
            if isinstance(app.screen, QuitScreen):
                await pilot.press("y")
        assert app.shutdown(timeout=90)
        assert batch.wait_queue_empty(name, 30) == []
    finally:
        batch.cancel_name(name)
