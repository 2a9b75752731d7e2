"""Pilot tests of the apply confirmation and the rejected-submission view."""

from __future__ import annotations

from textual.app import App
from textual.widgets import OptionList, Static

from editing_apps import make_workspace
from hpctui.core.jobscript.rejection import SubmitRejection
from hpctui.ui.screens.apply import ApplyScreen
from hpctui.ui.screens.rejection import RejectionScreen

SUMMIT_HEADER = [
    "#BSUB -J dask-worker",
    "#BSUB -P GEN119",
    "#BSUB -n 128",
    '#BSUB -R "span[hosts=1]"',
    "#BSUB -M 600000",
    "#BSUB -W 00:30",
]
SUMMIT = SubmitRejection(
    command="bsub /tmp/tmp4874eufw.sh",
    exit_code=255,
    stdout="NOTES:\n * All jobs must specify a walltime (-W) and project id (-P)",
    stderr="ERROR: Resource strings (-R) are not supported in easy mode. Please resubmit "
           "without a resource string.\nERROR: -n is no longer supported. Please request "
           "nodes with -nnodes.",
)


async def _show(app, pilot, screen, results):
    app.push_screen(screen, results.append)
    await pilot.pause()


def _text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_apply_shows_both_diffs_and_target_then_confirms(tmp_path):
    ws = make_workspace(tmp_path)
    ws.set_key("interface", "ib0")
    results = []
    app = App()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = ApplyScreen(ws.apply_preview(), ws)
        await _show(app, pilot, screen, results)
        assert str(tmp_path / "site.yaml") in _text(screen, "#apply-target")
        assert "--interface ib0" in _text(screen, "#apply-script")
        config = _text(screen, "#apply-config")
        assert "+    interface: ib0" in config and "-    job-extra:" in config
        await pilot.press("enter")
        assert results == [True] and ws.auto_apply is False

        await _show(app, pilot, ApplyScreen(ws.apply_preview(), ws), results)
        await pilot.press("n")
        await _show(app, pilot, ApplyScreen(ws.apply_preview(), ws), results)
        await pilot.press("escape")
        await _show(app, pilot, ApplyScreen(ws.apply_preview(), ws), results)
        await pilot.press("a")
        assert results == [True, False, False, True] and ws.auto_apply is True


async def test_apply_refuses_with_errors_naming_the_key(tmp_path):
    ws = make_workspace(tmp_path)
    ws.set_key("memory", "12 GiGs")
    results = []
    app = App()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = ApplyScreen(ws.apply_preview(), ws)
        await _show(app, pilot, screen, results)
        assert not screen.can_confirm
        assert "✗ memory: '12 GiGs' is not a size" in _text(screen, "#apply-problems")
        await pilot.press("y", "enter", "a")
        assert results == [] and app.screen is screen and ws.auto_apply is False
        await pilot.press("escape")
        assert results == [False]


async def test_apply_with_malformed_target_says_where(tmp_path):
    ws = make_workspace(tmp_path)
    (tmp_path / "site.yaml").write_text("jobqueue: [\n")
    ws.set_key("queue", "long")
    results = []
    app = App()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = ApplyScreen(ws.apply_preview(), ws)
        await _show(app, pilot, screen, results)
        assert f"✗ {tmp_path / 'site.yaml'}:" in _text(screen, "#apply-config")
        assert not screen.can_confirm


async def test_rejection_shows_fields_and_marks_mentioned_lines(tmp_path):
    results = []
    app = App()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = RejectionScreen(SUMMIT, SUMMIT_HEADER)
        await _show(app, pilot, screen, results)
        facts = _text(screen, "#rejection-facts")
        assert "bsub /tmp/tmp4874eufw.sh" in facts and "255" in facts
        assert "-n is no longer supported" in _text(screen, "#rejection-stderr")
        assert "NOTES:" in _text(screen, "#rejection-stdout")
        assert screen.mentioned == [2, 3]
        lines = screen.query_one("#rejection-lines", OptionList)
        assert lines.has_focus and lines.highlighted == 2
        assert str(lines.get_option_at_index(3).prompt).startswith("! ")
        assert str(lines.get_option_at_index(5).prompt).startswith("  ")
        await pilot.press("down", "e")
        assert results == ['#BSUB -R "span[hosts=1]"']


async def test_rejection_enter_edits_escape_closes(tmp_path):
    results = []
    app = App()
    async with app.run_test(size=(100, 40)) as pilot:
        await _show(app, pilot, RejectionScreen(SUMMIT, SUMMIT_HEADER), results)
        await pilot.press("enter")
        await _show(app, pilot, RejectionScreen(SUMMIT, SUMMIT_HEADER), results)
        await pilot.press("escape")
        unparsed = SubmitRejection.from_error_text("sbatch: error: something new")
        screen = RejectionScreen(unparsed, SUMMIT_HEADER)
        await _show(app, pilot, screen, results)
        assert "unknown" in _text(screen, "#rejection-facts")
        assert screen.query_one("#rejection-lines", OptionList).highlighted == 0
        await pilot.press("q")
    assert results == ["#BSUB -n 128", None, None]


async def test_apply_warns_when_an_environment_variable_wins(tmp_path):
    from hpctui.core.session.workspace import Workspace

    path = tmp_path / "site.yaml"
    path.write_text("jobqueue:\n  slurm:\n    cores: 2\n    memory: 2GB\n")
    ws = Workspace.from_config("slurm", path, paths=[], interfaces=["lo"],
                               environ={"DASK_JOBQUEUE__SLURM__WALLTIME": "00:10:00"})
    ws.set_key("walltime", "02:00:00")
    results = []
    app = App()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = ApplyScreen(ws.apply_preview(), ws)
        await _show(app, pilot, screen, results)
        assert "! walltime is set by the environment variable DASK_JOBQUEUE__SLURM__WALLTIME" \
            in _text(screen, "#apply-problems")
        assert screen.can_confirm  # a warning doesn't block
