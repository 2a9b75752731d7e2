"""SVG snapshots of the findings and stacks panes at 80x24 and 160x48, from real inputs.

Findings come from diagnose() on the recorded fixtures, stacks from the recorded sample files
(tests/ui/findings_inputs.py). Deterministic: the config sets `python` and a fixed
`log-directory` (no checkout or temp paths in the script), HOME is the test's temp folder,
stack summaries are judged at their last sample (no "now"), and nothing shows a date or port.
Regenerate after an intended change with `--snapshot-update` and review the SVGs.
"""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from editing_apps import PaneApp
from findings_inputs import all_summaries, real_findings
from hpctui.core.session.workspace import Workspace
from hpctui.ui.panes.findings import FindingsPane
from hpctui.ui.panes.stacks import StacksPane

CONFIG = """\
jobqueue:
  slurm:
    cores: 4
    memory: 8GB
    queue: debug
    python: /usr/bin/python3
    log-directory: /shared/logs
"""
SIZES = [(80, 24), (160, 48)]


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    path = tmp_path / "site.yaml"
    path.write_text(CONFIG)
    return Workspace.from_config("slurm", path, paths=[], environ={}, interfaces=["lo", "ib0"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_findings_pane(snap_compare, workspace, size):
    findings = real_findings(workspace.pending)

    async def load(pilot):
        pane = pilot.app.query_one(FindingsPane)
        pane.update_findings(findings)
        pane.query_one(DataTable).focus()
        pane.select_rule("workers-cannot-reach-scheduler")
        await pilot.pause()

    assert snap_compare(PaneApp(FindingsPane, workspace), terminal_size=size, run_before=load)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_findings_evidence(snap_compare, workspace, size):
    findings = real_findings(workspace.pending)

    async def load(pilot):
        pane = pilot.app.query_one(FindingsPane)
        pane.update_findings(findings)
        pane.query_one(DataTable).focus()
        pane.select_rule("workers-cannot-reach-scheduler")
        await pilot.pause()

    assert snap_compare(PaneApp(FindingsPane, workspace), terminal_size=size, run_before=load,
                        press=["v"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_stacks_pane_stuck_in_file_lock(snap_compare, workspace, size):
    async def load(pilot):
        pane = pilot.app.query_one(StacksPane)
        pane.update_samples(all_summaries())
        pane.query_one(DataTable).focus()
        await pilot.pause()

    assert snap_compare(PaneApp(StacksPane, workspace), terminal_size=size, run_before=load)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_stacks_pane_sampler_on_slow_imports(snap_compare, workspace, size):
    async def load(pilot):
        pane = pilot.app.query_one(StacksPane)
        pane.update_samples(all_summaries())
        pane.query_one(DataTable).focus()
        pane.select("vm 30916 (main process)")
        # Switch the sampler on without copying it to /shared/logs: the profile edit only.
        from hpctui.core.diagnosis.fix import workspace_edit
        from hpctui.core.stacks.sampler_toggle import toggle_sampler
        workspace_edit(pilot.app.workspace, toggle_sampler)
        pane.refresh_view()
        await pilot.pause()

    assert snap_compare(PaneApp(StacksPane, workspace), terminal_size=size, run_before=load)
