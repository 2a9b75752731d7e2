"""The network pane on the testbed: `p` probes from the compute node, ib0 is recommended, Enter
on it writes `interface: ib0` through preview -> write -> apply, and workers then connect."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import pytest

from hpctui.core.session.context import LaunchContext
from hpctui.core.session.workspace import Workspace
from hpctui.ui.app import HpcTuiApp
from hpctui.ui.screens.apply import ApplyScreen
from hpctui.ui.screens.quit import QuitScreen

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(240)]


async def _wait(pilot, condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        await pilot.pause(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


async def test_probe_recommends_ib0_and_picking_it_connects_workers(tmp_path, testbed):
    job_name = f"tui-probe-{uuid.uuid4().hex[:6]}"
    path = tmp_path / "site.yaml"
    path.write_text(
        "# probe test\n"
        "jobqueue:\n  slurm:\n"
        f"    name: {job_name}\n    cores: 1\n    memory: 1GB\n"
        f"    log-directory: {tmp_path / 'logs'}\n"
        "    scheduler-options: {dashboard_address: '127.0.0.1:0'}\n"
        "    worker-extra-args: ['--dashboard-address', '127.0.0.1:0']\n")
    app = HpcTuiApp(LaunchContext("slurm", "test", path, True),
                    workspace_loader=lambda: Workspace.from_config("slurm", path, paths=[],
                                                                   environ={}))
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await _wait(pilot, lambda: app.session is not None, 30, "the session")
            app.show_pane("network")
            network = app.pane("network")
            await _wait(pilot, lambda: bool(network.facts), 20, "the interfaces")
            await pilot.press("p")
            await _wait(pilot, lambda: network.probe is not None, 90, "the probe's verdict")
            assert network.probe.verdict == "reachable", network.probe.message
            assert network.probe.recommendation.interface == "ib0"
            words = {t.login_interface: t.status for t in network.probe.targets}
            assert words["ib0"] == "ok" and words[next(
                f.name for f in network.facts if testbed.default_addr in f.ipv4_addresses)] != "ok"
            network.pick("ib0")
            await _wait(pilot, lambda: isinstance(app.screen, ApplyScreen), 20, "the apply view")
            await pilot.press("y")
            await _wait(pilot, lambda: app.workspace.applied.get("interface") == "ib0", 20,
                        "the applied interface")
            await pilot.press("plus")
            await _wait(pilot, lambda: app.session.snapshot().connected_workers == 1, 90,
                        "a worker connected over ib0")
            await pilot.press("q")
            await pilot.pause(0.3)
            if isinstance(app.screen, QuitScreen):
                await pilot.press("y")
        assert app.shutdown(60)
    finally:
        subprocess.run(["scancel", f"--name={job_name}"], capture_output=True, timeout=20)
    assert "interface: ib0" in path.read_text() and "# probe test" in path.read_text()
