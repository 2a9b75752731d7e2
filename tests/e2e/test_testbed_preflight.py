"""Pre-flight in the TUI, on both real batch systems: a queue the site does not have, typed in the
Settings pane, is refused on the job script pane before anything is submitted (sbatch --test-only,
qsub -w v), the rejection view marks its line, `e` goes there, `x` skips it, and the next check
accepts the script. The queue holds no job of this test at any point.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from testbed_profiles import app_on, quit_app, write_profile
from waits import pilot_until

from hpctui.ui.app import HpcTuiApp
from hpctui.ui.screens.rejection import RejectionScreen

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(180)]


def _app(tmp_path: Path, batch, job_name: str) -> HpcTuiApp:
    path = write_profile(tmp_path / "site.yaml", job_name, kind=batch.kind, queue=batch.queue,
                         interface="ib0", dashboards=False)
    return app_on(path, batch.kind)


async def test_bad_queue_refused_on_the_script_pane_before_any_job(tmp_path, batch):
    job_name = f"tui-pre-{uuid.uuid4().hex[:6]}"
    app = _app(tmp_path, batch, job_name)
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot_until(pilot, lambda: app.pane("script") is not None
                              and app.pane("script").preflight_line.startswith("✓ pre-flight"),
                              "the pre-flight's acceptance of the script as loaded", 60)
            script = app.pane("script")
            app.show_pane("settings")
            app.pane("settings").edit_key("queue")
            await pilot.pause(0.2)
            for _ in range(30):
                await pilot.press("backspace")
            await pilot.press(*"nosuchqueue", "enter")
            await pilot_until(pilot, lambda: isinstance(app.screen, RejectionScreen),
                              "the pre-flight's refusal in the rejection view", 60)
            view = app.screen
            assert view.rejection.command.startswith(f"{batch.preflight_command} ")
            assert "nosuchqueue" in view.rejection.stderr
            assert [view.header_lines[i] for i in view.mentioned] == [
                batch.queue_line("nosuchqueue")]
            assert script.preflight_line.startswith("✗ pre-flight")
            assert batch.queued(job_name) == []  # nothing was submitted
            await pilot.press("e")
            await pilot_until(pilot, lambda: not isinstance(app.screen, RejectionScreen), "e", 5)
            assert script.highlighted_line.text == batch.queue_line("nosuchqueue")
            await pilot.press("x")
            await pilot_until(pilot, lambda: script.preflight_line.startswith("✓ pre-flight"),
                              "the pre-flight's acceptance once the line is skipped", 60)
            assert batch.queued(job_name) == []
            await quit_app(pilot, app)
        assert app.shutdown(60)
    finally:
        batch.cancel_name(job_name)
    assert batch.queued(job_name) == []
