"""SVG snapshots of the editing views at 80x24 and 160x48.

Deterministic by construction: HOME points at the test's temp folder (so config paths show
as `~/...`), the config sets `python` (so the worker line doesn't show this checkout's
venv), the host's interfaces are fixed, and nothing shows a date or a port.
Regenerate after an intended change with `--snapshot-update` and review the SVGs.
"""

from __future__ import annotations

import pytest
from textual.app import App

from editing_apps import PaneApp
from hpctui.core.jobscript.rejection import SubmitRejection
from hpctui.core.session.workspace import Workspace
from hpctui.ui.panes.jobscript import JobScriptPane
from hpctui.ui.panes.settings import SettingsPane
from hpctui.ui.screens.rejection import RejectionScreen

CONFIG = """\
# site settings for the cluster
jobqueue:
  slurm:
    cores: 4   # four cores per job
    memory: 8GB
    queue: debug
    walltime: '01:00:00'
    python: /usr/bin/python3
    job-extra: ['--exclusive']   # old name, still read
"""
SIZES = [(80, 24), (160, 48)]

REJECTION = SubmitRejection(
    command="sbatch /tmp/tmpk3v9x2ab.sh",
    exit_code=1,
    stdout="",
    stderr="sbatch: error: invalid partition specified: debug\n"
           "sbatch: error: Batch job submission failed: Invalid partition name specified",
)
HEADER = ["#SBATCH -J dask-worker", "#SBATCH -p debug", "#SBATCH -n 1",
          "#SBATCH --cpus-per-task=4", "#SBATCH --mem=8G", "#SBATCH -t 01:00:00",
          "#SBATCH --exclusive"]


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    import copy

    import dask.config

    saved = copy.deepcopy(dask.config.config)
    monkeypatch.setenv("HOME", str(tmp_path))
    import dask_jobqueue  # noqa: F401  (its first import writes ~/.config/dask/jobqueue.yaml)

    # dask-jobqueue falls back on the process-wide config for keys it isn't given (old key
    # names included): make that the same empty config whatever ran before.
    dask.config.refresh()
    folder = tmp_path / ".config" / "dask"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hpctui.yaml").write_text(CONFIG)
    yield Workspace.from_config("slurm", folder / "hpctui.yaml", paths=[], environ={},
                                interfaces=["lo", "ib0"])
    # Leave the process-wide config as the next test expects to find it.
    dask.config.config.clear()
    dask.config.config.update(saved)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_script_pane_with_pending_change(snap_compare, workspace, size):
    workspace.add_directive("--account=bio")
    workspace.set_key("walltime", "1 hour")  # a problem, shown naming the key

    async def skip_mem(pilot):
        pane = pilot.app.query_one(JobScriptPane)
        pane.select_header_line("#SBATCH --mem=8G")
        await pilot.pause()

    assert snap_compare(PaneApp(JobScriptPane, workspace), terminal_size=size,
                        run_before=skip_mem, press=["x"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_settings_pane_editing_a_bad_value(snap_compare, workspace, size):
    workspace.set_key("interface", "ib0")

    async def edit_memory(pilot):
        # A blinking cursor would make the picture depend on the moment it is taken.
        for box in pilot.app.query("Input"):
            box.cursor_blink = False
        pilot.app.query_one(SettingsPane).edit_key("memory")
        await pilot.pause()

    assert snap_compare(PaneApp(SettingsPane, workspace), terminal_size=size,
                        run_before=edit_memory,
                        press=["ctrl+u", *"12 GiGs", "enter"])


class RejectionApp(App):
    """An empty app with the rejection view on top."""

    def on_mount(self) -> None:
        self.push_screen(RejectionScreen(REJECTION, HEADER))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_rejection_view(snap_compare, size):
    assert snap_compare(RejectionApp(), terminal_size=size)
