"""Pilot tests of the job script pane: keys change the Workspace and post ProfileEdited."""

from __future__ import annotations

from textual.widgets import Input, OptionList, Static, TextArea

from editing_apps import PaneApp, make_workspace
from hpctui.ui.panes.jobscript import JobScriptPane


def _texts(app) -> list[str]:
    return [h.text for h in app.query_one(JobScriptPane)._lines]


def _option(app, text: str) -> int:
    """The option showing header line `text` (the view shows the whole script)."""
    return app.query_one(JobScriptPane)._rows.index(_texts(app).index(text))


async def _goto(pilot, app, text: str) -> None:
    header = app.query_one("#script-header", OptionList)
    header.focus()
    header.highlighted = _option(app, text)
    await pilot.pause()


async def test_skip_and_unskip_a_line_with_x(tmp_path):
    ws = make_workspace(tmp_path)
    app = PaneApp(JobScriptPane, ws)
    async with app.run_test(size=(100, 30)) as pilot:
        await _goto(pilot, app, "#SBATCH -p debug")
        await pilot.press("x")
        assert "#SBATCH -p debug" not in ws.preview().script
        assert ws.pending.get("job-directives-skip") == ["#SBATCH -p"]
        assert app.edits == ["job-directives-skip: added '#SBATCH -p', which skips every "
                             "`#SBATCH -p` line, whatever the partition"]
        pane = app.query_one(JobScriptPane)
        assert pane.highlighted_line.text == "#SBATCH -p debug"
        assert pane.highlighted_line.state == "skipped"
        preview = str(app.query_one("#script-preview-text", Static).render())
        assert "- #SBATCH -p debug" in preview  # the diff against what was applied
        await pilot.press("x")
        assert "#SBATCH -p debug" in ws.preview().script
        assert not ws.pending.get("job-directives-skip")
        assert len(app.edits) == 2


async def test_x_writes_the_option_entry_and_the_status_line_says_what_it_is(tmp_path):
    # The story: skip the time line, then change the memory (and the time): the
    # entry is '#SBATCH -t', never a fragment of "01:00:00", so --mem=10G stays.
    ws = make_workspace(tmp_path)
    app = PaneApp(JobScriptPane, ws)
    async with app.run_test(size=(100, 30)) as pilot:
        await _goto(pilot, app, "#SBATCH -t 01:00:00")
        await pilot.press("x")
        assert ws.pending.get("job-directives-skip") == ["#SBATCH -t"]
        said = ("job-directives-skip: added '#SBATCH -t', which skips every `#SBATCH -t` line, "
                "whatever the time")
        assert app.edits == [said]
        assert said in str(app.query_one("#script-message", Static).render())
        pane = app.query_one(JobScriptPane)
        assert pane.highlighted_line.skipped_by == ("#SBATCH -t",)
        ws.set_key("memory", "10 GB")
        ws.set_key("walltime", "02:00:00")
        pane.refresh_view()
        assert "#SBATCH --mem=10G" in _texts(app) and "#SBATCH --mem=10G" in ws.preview().script
        assert [(h.text, h.skipped_by) for h in pane._lines if h.state == "skipped"] == [
            ("#SBATCH -t 02:00:00", ("#SBATCH -t",))]


async def test_add_edit_remove_directive(tmp_path):
    ws = make_workspace(tmp_path)
    app = PaneApp(JobScriptPane, ws)
    async with app.run_test(size=(100, 30)) as pilot:
        app.query_one("#script-header", OptionList).focus()
        await pilot.press("a")
        box = app.query_one("#script-input", Input)
        assert box.has_focus
        # Letters that are commands elsewhere (u, x, d) are text while typing.
        await pilot.press(*"--account=dux", "enter")
        assert "#SBATCH --account=dux" in ws.preview().script
        assert app.edits[-1] == "added '--account=dux' to job-extra-directives"

        await _goto(pilot, app, "#SBATCH --account=dux")
        await pilot.press("e")
        assert box.value == "--account=dux"
        await pilot.press("backspace", "backspace", "backspace", *"bio", "enter")
        assert ws.pending.get("job-extra-directives") == ["--exclusive", "--account=bio"]

        await _goto(pilot, app, "#SBATCH --account=bio")
        await pilot.press("d")
        assert ws.pending.get("job-extra-directives") == ["--exclusive"]
        assert len(app.edits) == 3


async def test_empty_directive_keeps_input_open_with_message(tmp_path):
    ws = make_workspace(tmp_path)
    app = PaneApp(JobScriptPane, ws)
    async with app.run_test(size=(100, 30)) as pilot:
        app.query_one("#script-header", OptionList).focus()
        await pilot.press("a", "space", "enter")
        assert app.query_one("#script-input", Input).has_focus
        assert "empty directive" in str(app.query_one("#script-message", Static).render())
        assert app.edits == []
        await pilot.press("escape")
        assert app.query_one("#script-header", OptionList).has_focus


async def test_edit_and_remove_only_apply_to_added_lines(tmp_path):
    ws = make_workspace(tmp_path)
    app = PaneApp(JobScriptPane, ws)
    async with app.run_test(size=(100, 30)) as pilot:
        await _goto(pilot, app, "#SBATCH -n 1")
        await pilot.press("d", "e")
        assert app.edits == []
        assert not app.query_one("#script-input", Input).has_focus


async def test_prologue_undo_redo(tmp_path):
    ws = make_workspace(tmp_path)
    app = PaneApp(JobScriptPane, ws)
    async with app.run_test(size=(100, 30)) as pilot:
        app.query_one("#script-header", OptionList).focus()
        await pilot.press("p")
        area = app.query_one("#script-prologue", TextArea)
        assert area.has_focus
        await pilot.press(*"module load x", "enter", *"export Y=1", "ctrl+s")
        assert ws.pending.get("job-script-prologue") == ["module load x", "export Y=1"]
        assert "module load x\nexport Y=1" in ws.preview().script
        await pilot.press("u")
        assert ws.pending.get("job-script-prologue") == []
        await pilot.press("ctrl+r")
        assert ws.pending.get("job-script-prologue") == ["module load x", "export Y=1"]
        assert [e.split(":")[0] for e in app.edits] == ["job-script-prologue", "undone", "redone"]


async def test_validation_errors_shown_naming_the_key(tmp_path):
    ws = make_workspace(tmp_path)
    ws.set_key("walltime", "one hour")
    app = PaneApp(JobScriptPane, ws)
    async with app.run_test(size=(100, 30)) as pilot:
        text = str(app.query_one("#script-problems", Static).render())
        assert "✗ walltime: 'one hour' is not a walltime slurm understands" in text
        # ... and next to the header line it is about.
        header = app.query_one("#script-header", OptionList)
        index = _option(app, "#SBATCH -t one hour")
        assert str(header.get_option_at_index(index).prompt).endswith("✗ walltime")
        assert "✗" not in str(header.get_option_at_index(_option(app, _texts(app)[0])).prompt)


async def test_select_header_line_for_the_rejection_view(tmp_path):
    ws = make_workspace(tmp_path)
    app = PaneApp(JobScriptPane, ws)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(JobScriptPane)
        assert pane.select_header_line("#SBATCH --mem=8G")
        await pilot.pause()
        assert pane.highlighted_line.text == "#SBATCH --mem=8G"
        assert app.query_one("#script-header", OptionList).has_focus
        assert not pane.select_header_line("#SBATCH --nope")
        await pilot.press("x")
        assert "#SBATCH --mem=8G" not in ws.preview().script
        # An edit made elsewhere (settings pane) before the jump: the new line is found.
        ws.set_key("queue", "long")
        assert pane.select_header_line("#SBATCH -p long")
        header = app.query_one("#script-header", OptionList)
        assert str(header.get_option_at_index(header.highlighted).prompt).startswith("! ")
        pane.flag_lines([])
        assert str(header.get_option_at_index(header.highlighted).prompt).startswith("  ")


async def test_status_line_says_pending_and_auto_apply(tmp_path):
    ws = make_workspace(tmp_path)
    app = PaneApp(JobScriptPane, ws)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(JobScriptPane)
        message = app.query_one("#script-message", Static)
        assert str(message.render()).startswith("[as applied; auto-apply off]")
        ws.auto_apply = True
        ws.set_key("queue", "long")
        pane.refresh_view()
        assert str(message.render()).startswith("[pending change (not applied); auto-apply on]")
        ws.mark_applied()
        pane.refresh_view()
        assert str(message.render()).startswith("[as applied; auto-apply on]")


async def test_one_view_the_script_with_skipped_lines_in_place_and_v_for_the_diff(tmp_path):
    ws = make_workspace(tmp_path)
    app = PaneApp(JobScriptPane, ws)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(JobScriptPane)
        header = app.query_one("#script-header", OptionList)
        await _goto(pilot, app, "#SBATCH -p debug")
        await pilot.press("x")
        prompts = [str(header.get_option_at_index(i).prompt) for i in range(header.option_count)]
        script = ws.preview().script.splitlines()
        # Every line of the script once, in order, and the skipped one where it was.
        shown = [p.removeprefix("+ ").removesuffix("  added").strip() for p in prompts
                 if not p.startswith("✗")]
        assert shown == [s.strip() for s in script]
        assert "+ #SBATCH --exclusive  added" in prompts  # an added line, marked
        skipped = _option(app, "#SBATCH -p debug")
        assert prompts[skipped].startswith("✗ #SBATCH -p debug  skipped by")
        assert prompts[skipped - 1].strip() == script[skipped - 1].strip()  # the line before it
        assert header.get_option_at_index(0).disabled  # the shebang: not a header line
        assert not header.get_option_at_index(skipped).disabled
        # The cursor goes from header line to header line.
        header.highlighted = _option(app, _texts(app)[-1])
        await pilot.press("down")
        assert pane.highlighted_line is not None
        # v: the diff since the last apply, and back.
        await pilot.press("v")
        assert pane.has_class("-diff")
        assert app.query_one("#script-preview").display and not header.display
        assert "- #SBATCH -p debug" in str(app.query_one("#script-preview-text", Static).render())
        await pilot.press("v")
        assert not pane.has_class("-diff") and header.has_focus
        await pilot.press("u")  # undo still works from the script view
        assert "#SBATCH -p debug" in ws.preview().script
