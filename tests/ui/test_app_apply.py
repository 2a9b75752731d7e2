"""The whole app over a real config file: load, edit a header line, apply, and the file is written."""

from __future__ import annotations

from pathlib import Path

from hpctui.core.session.context import LaunchContext
from hpctui.core.session.workspace import Workspace
from hpctui.ui.app import ConfigWritten, HpcTuiApp, WorkspaceLoaded
from hpctui.ui.screens.apply import ApplyScreen
from waits import pilot_until

CONFIG = """\
# my cluster: keep this comment
jobqueue:
  slurm:
    cores: 2   # per job
    memory: 4GB
    walltime: '00:30:00'
"""


class RecordingApp(HpcTuiApp):
    """Records the app-level messages the tests wait for."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.seen: list[type] = []

    # Textual calls the handler of every class in the MRO: no super() call here.
    def on_workspace_loaded(self, message: WorkspaceLoaded) -> None:
        self.seen.append(WorkspaceLoaded)

    def on_config_written(self, message: ConfigWritten) -> None:
        self.seen.append(ConfigWritten)
        self.outcome = message.outcome


def _app(tmp_path: Path) -> RecordingApp:
    path = tmp_path / "site.yaml"
    path.write_text(CONFIG)
    context = LaunchContext("slurm", "test", path, True)
    return RecordingApp(context, workspace_loader=lambda: Workspace.from_config(
        "slurm", path, paths=[], environ={}, interfaces=["lo", "ib0"]))


async def _until(pilot, app, kind):
    def arrived() -> bool:
        if kind is WorkspaceLoaded:
            # The subclass's handler runs before the app's: wait for the panes to be filled.
            return app.workspace is not None and app.pane("settings") is not None
        return kind in app.seen

    await pilot_until(pilot, arrived, kind.__name__)


async def test_skip_a_line_apply_and_the_file_keeps_its_comments(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, app, WorkspaceLoaded)
        app.show_pane("script")
        script = app.pane("script")
        assert script.select_header_line("#SBATCH -t 00:30:00")
        await pilot.press("x")
        assert "#SBATCH -t 00:30:00" not in app.workspace.preview().script
        await pilot.press("A")
        await pilot_until(pilot, lambda: isinstance(app.screen, ApplyScreen), "the apply preview")
        await pilot.press("y")
        await _until(pilot, app, ConfigWritten)
        assert app.outcome.ok, app.outcome.message
    text = (tmp_path / "site.yaml").read_text()
    assert "# my cluster: keep this comment" in text and "# per job" in text
    assert "job-directives-skip" in text
    assert (tmp_path / "site.yaml.bak").read_text() == CONFIG


async def test_malformed_config_still_starts_and_says_where(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("jobqueue:\n  slurm:\n    cores: [1\n")
    context = LaunchContext("slurm", "test", path, True)
    app = RecordingApp(context, workspace_loader=lambda: Workspace.from_config(
        "slurm", path, paths=[], environ={}, interfaces=["lo"]))
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, app, WorkspaceLoaded)
        notes = " ".join(app.workspace.notes())
        assert "bad.yaml:" in notes
    assert path.read_text() == "jobqueue:\n  slurm:\n    cores: [1\n"
