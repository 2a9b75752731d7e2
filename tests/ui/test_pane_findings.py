"""Pilot tests of the findings pane with real findings (diagnose() on the recorded fixtures):
ordered by confidence, selection kept across updates, evidence on Enter/v, fix on f."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from editing_apps import make_workspace
from findings_inputs import real_findings, recording_app
from hpctui.core.jobscript.render import render_job_script
from hpctui.ui.panes.findings import EvidenceScreen, FindingsPane


def _text(app, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


async def _loaded(pilot, findings):
    pane = pilot.app.query_one(FindingsPane)
    pane.update_findings(findings)
    pane.query_one(DataTable).focus()
    await pilot.pause()
    return pane


async def test_rows_are_ordered_by_confidence_with_markers(tmp_path):
    ws = make_workspace(tmp_path)
    findings = real_findings(ws.pending)
    app = recording_app(FindingsPane, ws)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await _loaded(pilot, list(reversed(findings)))  # given in the wrong order
        table = app.query_one(DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        confs = [int(r[1].rstrip("%")) for r in rows]
        assert confs == sorted(confs, reverse=True)
        assert rows[0][2] == "#8"  # the sbatch refusal, 95%
        marks = {r[2]: r[0] for r in rows}
        assert marks["#8"] == "★" and marks["#1"] == "★" and marks["#15"] == "★"
        assert marks["#23"] == "!"  # an action in words only
        assert "✗ 4 findings" in _text(app, "#findings-count")
        assert "★ f: add '#SBATCH --mem' to job-directives-skip" in _text(app, "#findings-detail")
        assert pane.selected.rule_id == "slurm-mem-per-cpu"


async def test_selection_is_kept_when_findings_change(tmp_path):
    ws = make_workspace(tmp_path)
    findings = real_findings(ws.pending)
    app = recording_app(FindingsPane, ws)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await _loaded(pilot, findings[2:])
        assert pane.select_rule("submit-command-missing")
        pane.update_findings(findings)  # two more, both ranked above it
        await pilot.pause()
        assert pane.selected.rule_id == "submit-command-missing"
        assert app.query_one(DataTable).cursor_row == 3
        pane.update_findings([])
        await pilot.pause()
        assert pane.selected is None
        assert _text(app, "#findings-count") == "✓ no findings yet"


async def test_enter_shows_the_evidence_with_sources(tmp_path):
    ws = make_workspace(tmp_path)
    app = recording_app(FindingsPane, ws)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await _loaded(pilot, real_findings(ws.pending))
        pane.select_rule("workers-cannot-reach-scheduler")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, EvidenceScreen)
        text = str(app.screen.query_one("#evidence-text", Static).render())
        assert "dask-worker-17.err:47" in text
        assert "Timed out trying to connect to tcp://192.0.2.2:41735" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, EvidenceScreen)
        await pilot.press("v")
        assert isinstance(app.screen, EvidenceScreen)


async def test_f_applies_the_fix_as_one_step_and_requests_apply(tmp_path):
    ws = make_workspace(tmp_path)
    app = recording_app(FindingsPane, ws)
    async with app.run_test(size=(100, 30)) as pilot:
        await _loaded(pilot, real_findings(ws.pending))
        await pilot.press("f")  # the top finding: SLURM wants --mem-per-cpu
        await pilot.pause()
        script = render_job_script(ws.pending)
        assert "#SBATCH --mem=8G" not in script and "#SBATCH --mem-per-cpu=2G" in script
        assert len(app.edits) == 1 and "--mem-per-cpu=2G" in app.edits[0]
        assert app.applies == 1
        assert _text(app, "#findings-status").startswith("★ fix")
        ws.undo()
        assert "#SBATCH --mem=8G" in render_job_script(ws.pending) and not ws.can_undo


async def test_f_on_an_action_only_finding_changes_nothing(tmp_path):
    ws = make_workspace(tmp_path)
    app = recording_app(FindingsPane, ws)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await _loaded(pilot, real_findings(ws.pending))
        pane.select_rule("submit-command-missing")
        await pilot.pause()
        assert "f changes nothing" in _text(app, "#findings-detail")
        before = ws.pending
        await pilot.press("f")
        await pilot.pause()
        assert ws.pending == before and app.edits == [] and app.applies == 0
        assert "no configuration change" in _text(app, "#findings-status")


async def test_without_a_workspace_f_says_so(tmp_path):
    ws = make_workspace(tmp_path)
    app = recording_app(lambda _ws: FindingsPane(None), ws)
    async with app.run_test(size=(100, 30)) as pilot:
        await _loaded(pilot, real_findings(ws.pending))
        await pilot.press("f")
        await pilot.pause()
        assert "still loading" in _text(app, "#findings-status") and app.applies == 0


async def test_f_on_the_file_lock_finding_quotes_the_prologue_list(tmp_path):
    # The message quotes a list ("['export ...']"): it must show as text, not parse as markup.
    ws = make_workspace(tmp_path)
    app = recording_app(FindingsPane, ws)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await _loaded(pilot, real_findings(ws.pending))
        pane.select_rule("nfs-file-locks")
        await pilot.press("f")
        await pilot.pause()
        assert ws.pending.distributed["worker.use-file-locking"] is False
        assert "['export DASK_DISTRIBUTED__WORKER__USE_FILE_LOCKING=False']" in \
            _text(app, "#findings-status")
        assert app.applies == 1


async def test_findings_given_before_mounting_are_drawn(tmp_path):
    ws = make_workspace(tmp_path)
    findings = real_findings(ws.pending)

    def early(workspace):
        pane = FindingsPane(workspace)
        pane.update_findings(findings)
        return pane

    app = recording_app(early, ws)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.query_one(DataTable).row_count == 4
        assert app.query_one(FindingsPane).selected.rule_id == "slurm-mem-per-cpu"


SKIP_CONFIG = """\
jobqueue:
  slurm:
    cores: 1
    memory: 8GB
    walltime: '00:30:00'
    job-directives-skip: ['0']   # once written for the time line alone
"""


async def test_an_edit_that_makes_a_skip_entry_remove_the_memory_shows_at_once(tmp_path):
    # The whole app: '0' removes only '#SBATCH -t 00:30:00' while the memory is 8 GB; the
    # user sets 10 GB in Settings and, before anything is applied, the Findings pane says
    # that '0' now removes '#SBATCH --mem=10G' too; f removes it, and the finding goes.
    from hpctui.core.session.context import LaunchContext
    from hpctui.core.session.workspace import Workspace
    from hpctui.ui.app import HpcTuiApp
    from hpctui.ui.screens.apply import ApplyScreen

    class App(HpcTuiApp):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.diagnoses: list[list[str]] = []  # the rule ids of each diagnosis shown

        # Textual calls the handler of every class in the MRO: no super() call here.
        def on_findings_updated(self, message) -> None:
            self.diagnoses.append([f.rule_id for f in message.findings])

    path = tmp_path / "site.yaml"
    path.write_text(SKIP_CONFIG)
    app = App(LaunchContext("slurm", "test", path, True),
              workspace_loader=lambda: Workspace.from_config(
                  "slurm", path, paths=[], environ={}, interfaces=["lo", "ib0"]))

    async def until(check, what):
        for _ in range(400):
            if check():
                return
            await pilot.pause(0.05)
        raise AssertionError(f"never: {what}")

    def skip_rules():
        pane = app.pane("findings")
        return [f.rule_id for f in pane.findings] if app._pane_ready(pane) else None

    async with app.run_test(size=(160, 48)) as pilot:
        await until(lambda: app.collector is not None and app._pane_ready(app.pane("settings")),
                    "the config loaded and the session started")
        await until(lambda: app.diagnoses, "a first diagnosis")
        assert "skip-entry-too-broad" not in app.diagnoses[-1]
        settings = app.pane("settings")
        settings.edit_key("memory")
        await pilot.pause()
        await pilot.press("ctrl+u", *"10 GB", "enter")
        assert app.workspace.pending.get("memory") == "10 GB" and app.workspace.has_pending_change
        await until(lambda: "skip-entry-too-broad" in skip_rules(), "the skip finding")
        findings = app.pane("findings")
        assert findings.select_rule("skip-entry-too-broad")
        findings.query_one(DataTable).focus()
        await pilot.pause()
        detail = _text(app, "#findings-detail")
        assert "The skip entry '0' removes 2 different header lines" in detail
        assert "★ f: remove '0' from job-directives-skip" in detail
        assert "'#SBATCH -t' (removes '#SBATCH -t 00:30:00')" in detail
        await pilot.press("f")
        assert app.workspace.pending.get("job-directives-skip") == []
        await until(lambda: isinstance(app.screen, ApplyScreen), "the apply preview")
        await pilot.press("escape")
        await until(lambda: "skip-entry-too-broad" not in skip_rules(), "the finding gone")
