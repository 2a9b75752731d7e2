"""The TUI through Pilot on both real batch systems: the seed's two failures, fixed from the keyboard.

1. A header line the site refuses (a partition/queue that doesn't exist): the rejection view
   opens on sbatch's (qsub's) real error, `e` jumps to that line, `x` skips it, `A` + `y` write and apply,
   and the job is accepted and its worker connects.
2. No interface: the jobs run but no worker connects, and the logs pane shows the time-outs;
   the user sets `interface` to `ib0` in the settings pane and applies; workers connect, and
   the config file on disk holds `interface: ib0` with its earlier comments intact.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from testbed_profiles import app_on, quit_app, write_profile
from waits import pilot_until

from hpctui.ui.screens.apply import ApplyScreen
from hpctui.ui.screens.rejection import RejectionScreen

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(240)]


def _config(tmp_path: Path, job_name: str, extra: str, kind: str) -> Path:
    return write_profile(tmp_path / "site.yaml", job_name, kind=kind,
                         comment="Our cluster's Dask settings (comment kept by hpctui)",
                         name_comment="unique per test run", extra=extra)


async def test_rejected_header_line_skipped_and_accepted(tmp_path, batch):
    job_name = f"tui-rej-{uuid.uuid4().hex[:6]}"
    path = _config(tmp_path, job_name, "    interface: ib0\n    queue: nosuchpartition\n",
                   batch.kind)
    app = app_on(path, batch.kind)
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot_until(pilot, lambda: app.session is not None, "the session", 30)
            await pilot.press("plus")
            await pilot_until(pilot, lambda: isinstance(app.screen, RejectionScreen),
                              "the rejection view", 60)
            screen_text = " ".join(str(w.render()) for w in app.screen.query("Static"))
            assert ("invalid partition" if batch.kind == "slurm" else "unknown queue") \
                in screen_text.lower()
            assert batch.submit in screen_text
            await pilot.press("e")
            await pilot_until(pilot, lambda: not isinstance(app.screen, RejectionScreen), "e", 5)
            script = app.pane("script")
            assert script.highlighted_line.text == batch.queue_line("nosuchpartition")
            await pilot.press("x")
            assert "nosuchpartition" not in app.workspace.preview().script
            await pilot.press("A")
            await pilot_until(pilot, lambda: isinstance(app.screen, ApplyScreen),
                              "the apply view", 20)
            await pilot.press("y")
            await pilot_until(pilot, lambda: app.session.snapshot().connected_workers == 1,
                              "the worker of the accepted job", 90)
            await quit_app(pilot, app)
        assert app.shutdown(60)
    finally:
        batch.cancel_name(job_name)
    assert "job-directives-skip" in path.read_text()
    assert "# Our cluster's Dask settings" in path.read_text()
    assert batch.wait_queue_empty(job_name, 20) == []


async def test_no_interface_timeouts_in_logs_then_ib0_connects(tmp_path, batch):
    testbed = batch.tb
    job_name = f"tui-net-{uuid.uuid4().hex[:6]}"
    # Workers give up after 5 s instead of 30 s, so the failure shows quickly.
    path = _config(tmp_path, job_name,
                   "    job-script-prologue:\n"
                   "      - export DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s\n", batch.kind)
    app = app_on(path, batch.kind)
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot_until(pilot, lambda: app.session is not None, "the session", 30)
            await pilot.press("plus", "plus")
            await pilot_until(pilot, lambda: app.selected_job is not None and any(
                                  "Timed out trying to connect" in e.text
                                  for e in app.logs.lines(app.selected_job)),
                              "the connection time-out in the selected job's log", 90)
            assert app.session.snapshot().connected_workers == 0
            def logs_text() -> str:
                return "\n".join(app.pane("logs").shown_lines())

            # The pane draws from the buffer on the app's next redraw tick.
            await pilot_until(pilot, lambda: testbed.default_addr in logs_text(),
                              "the default address in the logs pane", 10)
            assert "▶" in logs_text()
            # Diagnosis names the problem and proposes the interface that reaches the node.
            await pilot_until(pilot, lambda: app.pane("findings") is not None
                              and any(f.mode == 1 for f in app.pane("findings").findings),
                              "the network finding", 30)
            network = next(f for f in app.pane("findings").findings if f.mode == 1)
            assert any(op.key == "interface" and op.value == "ib0" for op in network.fix.ops), network
            # Settings pane: set interface to ib0 and apply.
            app.show_pane("settings")
            settings = app.pane("settings")
            settings.edit_key("interface")
            await pilot.pause(0.2)
            for _ in range(30):
                await pilot.press("backspace")
            await pilot.press(*"ib0", "enter")
            assert app.workspace.pending.get("interface") == "ib0"
            await pilot.press("A")
            await pilot_until(pilot, lambda: isinstance(app.screen, ApplyScreen),
                              "the apply view", 20)
            await pilot.press("y")
            await pilot_until(pilot, lambda: app.session.snapshot().connected_workers == 2,
                              "2 workers connected after setting ib0", 90)
            workers = app.session.snapshot().workers
            assert all(w.address.startswith(f"tcp://{testbed.compute_ib0}:") for w in workers)
            await quit_app(pilot, app)
        assert app.shutdown(60)
    finally:
        batch.cancel_name(job_name)
    text = path.read_text()
    assert "interface: ib0" in text
    assert "# Our cluster's Dask settings (comment kept by hpctui)" in text
    assert "# unique per test run" in text
    assert batch.wait_queue_empty(job_name, 20) == []
