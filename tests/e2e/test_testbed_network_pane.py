"""The network pane on the testbed: `p` probes from the compute node, ib0 is recommended, Enter
on it writes `interface: ib0` through preview -> write -> apply, and workers then connect."""

from __future__ import annotations

import subprocess
import uuid

import pytest
from testbed_profiles import app_on, quit_app, write_profile
from waits import pilot_until

from hpctui.ui.screens.apply import ApplyScreen

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(240)]


async def test_probe_recommends_ib0_and_picking_it_connects_workers(tmp_path, testbed):
    job_name = f"tui-probe-{uuid.uuid4().hex[:6]}"
    path = write_profile(tmp_path / "site.yaml", job_name, comment="probe test")
    app = app_on(path)
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot_until(pilot, lambda: app.session is not None, "the session", 30)
            app.show_pane("network")
            network = app.pane("network")
            await pilot_until(pilot, lambda: bool(network.facts), "the interfaces", 20)
            await pilot.press("p")
            await pilot_until(pilot, lambda: network.probe is not None, "the probe's verdict", 90)
            assert network.probe.verdict == "reachable", network.probe.message
            assert network.probe.recommendation.interface == "ib0"
            words = {t.login_interface: t.status for t in network.probe.targets}
            assert words["ib0"] == "ok" and words[next(
                f.name for f in network.facts if testbed.default_addr in f.ipv4_addresses)] != "ok"
            network.pick("ib0")
            await pilot_until(pilot, lambda: isinstance(app.screen, ApplyScreen),
                              "the apply view", 20)
            await pilot.press("y")
            await pilot_until(pilot, lambda: app.workspace.applied.get("interface") == "ib0",
                              "the applied interface", 20)
            await pilot.press("plus")
            await pilot_until(pilot, lambda: app.session.snapshot().connected_workers == 1,
                              "a worker connected over ib0", 90)
            await quit_app(pilot, app)
        assert app.shutdown(60)
    finally:
        subprocess.run(["scancel", f"--name={job_name}"], capture_output=True, timeout=20)
    assert "interface: ib0" in path.read_text() and "# probe test" in path.read_text()
