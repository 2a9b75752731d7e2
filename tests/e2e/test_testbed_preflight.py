"""Pre-flight in the TUI, on both real batch systems: a queue the site does not have, typed in the
Settings pane, is refused on the job script pane before anything is submitted (sbatch --test-only,
qsub -w v), the rejection view marks its line, `e` goes there, `x` skips it, and the next check
accepts the script. The queue holds no job of this test at any point.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from hpctui.core.session.context import LaunchContext
from hpctui.core.session.workspace import Workspace
from hpctui.ui.app import HpcTuiApp
from hpctui.ui.screens.quit import QuitScreen
from hpctui.ui.screens.rejection import RejectionScreen

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(180)]


async def _wait(pilot, condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        await pilot.pause(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _app(tmp_path: Path, batch, job_name: str) -> HpcTuiApp:
    path = tmp_path / "site.yaml"
    path.write_text(
        "jobqueue:\n"
        f"  {batch.kind}:\n"
        f"    name: {job_name}\n"
        "    cores: 1\n"
        "    memory: 1GB\n"
        f"    queue: {batch.queue}\n"
        "    interface: ib0\n"
        f"    log-directory: {tmp_path / 'logs'}\n")
    return HpcTuiApp(LaunchContext(batch.kind, "test", path, True),
                     workspace_loader=lambda: Workspace.from_config(
                         batch.kind, path, paths=[], environ={}))


async def test_bad_queue_refused_on_the_script_pane_before_any_job(tmp_path, batch):
    job_name = f"tui-pre-{uuid.uuid4().hex[:6]}"
    app = _app(tmp_path, batch, job_name)
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await _wait(pilot, lambda: app.pane("script") is not None
                        and app.pane("script").preflight_line.startswith("✓ pre-flight"),
                        60, "the pre-flight's acceptance of the script as loaded")
            script = app.pane("script")
            app.show_pane("settings")
            app.pane("settings").edit_key("queue")
            await pilot.pause(0.2)
            for _ in range(30):
                await pilot.press("backspace")
            await pilot.press(*"nosuchqueue", "enter")
            await _wait(pilot, lambda: isinstance(app.screen, RejectionScreen), 60,
                        "the pre-flight's refusal in the rejection view")
            view = app.screen
            assert view.rejection.command.startswith(f"{batch.preflight_command} ")
            assert "nosuchqueue" in view.rejection.stderr
            assert [view.header_lines[i] for i in view.mentioned] == [
                batch.queue_line("nosuchqueue")]
            assert script.preflight_line.startswith("✗ pre-flight")
            assert batch.queued(job_name) == []  # nothing was submitted
            await pilot.press("e")
            await _wait(pilot, lambda: not isinstance(app.screen, RejectionScreen), 5, "e")
            assert script.highlighted_line.text == batch.queue_line("nosuchqueue")
            await pilot.press("x")
            await _wait(pilot, lambda: script.preflight_line.startswith("✓ pre-flight"), 60,
                        "the pre-flight's acceptance once the line is skipped")
            assert batch.queued(job_name) == []
            await pilot.press("q")
            await pilot.pause(0.3)
            if isinstance(app.screen, QuitScreen):
                await pilot.press("y")
        assert app.shutdown(60)
    finally:
        batch.cancel_name(job_name)
    assert batch.queued(job_name) == []
