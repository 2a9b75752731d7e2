"""The job script pane: the script that will be submitted, its header lines edited in place.

One view (hpctui/ui/panes/jobscript_view.py): the pending script line by line, the header
lines selectable, skipped ones struck through where they were, added ones marked. `x` skips
(or un-skips) the highlighted line, `a` adds a directive, `e` edits and `d` removes an added
one, `p` edits the prologue, `u`/`ctrl+r` undo and redo, `v` shows the diff since the last
apply ("+" new, "-" gone) instead, and back. The status line says whether the change is
applied yet and whether the app applies edits automatically (the app's toggle; call
`refresh_view` after it); under the script, the validation problems naming their key.
All state lives in the app's `Workspace`; this pane renders it and posts `ProfileEdited`
after each edit. Rendering is done inline: an edit plus a preview takes well under a
millisecond once dask-jobqueue is imported (tests/unit/test_workspace.py measures it).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from hpctui.core.jobscript.header_ops import OpResult
from hpctui.core.jobscript.header_view import HeaderLine
from hpctui.core.session.workspace import Workspace
from hpctui.ui.messages import ProfileEdited
from hpctui.ui.panes.base import Pane
from hpctui.ui.panes.jobscript_view import DIFF_STYLE, one_view, options, problem_keys_by_line

TITLES = {False: "Script to submit · v: diff",
          True: "Diff since applied (+ new, - gone) · v: script"}


class JobScriptPane(Pane):
    """The live job script with its header lines editable from the keyboard."""

    PANE_ID = "script"
    PANE_TITLE = "Job script"
    DEFAULT_CSS = """
    JobScriptPane > #script-header { height: 1fr; border: none; }
    JobScriptPane.-diff > #script-header { display: none; }
    JobScriptPane > #script-input { display: none; }
    JobScriptPane > #script-prologue { display: none; height: 6; }
    JobScriptPane.-input > #script-input { display: block; }
    JobScriptPane.-prologue > #script-prologue { display: block; }
    JobScriptPane > #script-preview-title { height: 1; text-style: bold; }
    JobScriptPane > #script-preview { display: none; height: 1fr; }
    JobScriptPane.-diff > #script-preview { display: block; }
    JobScriptPane > #script-problems { height: auto; max-height: 6; }
    JobScriptPane > #script-message { height: 1; color: $text-muted; }
    JobScriptPane.-said > #script-message { height: auto; max-height: 2; }
    JobScriptPane > #script-preflight { display: none; height: auto; max-height: 2; }
    JobScriptPane.-preflight > #script-preflight { display: block; }
    """
    BINDINGS = [
        Binding("x", "toggle_line", "Skip/un-skip"),
        Binding("a", "add_directive", "Add directive"),
        Binding("e", "edit_directive", "Edit added"),
        Binding("d", "remove_directive", "Remove added"),
        Binding("p", "edit_prologue", "Prologue"),
        Binding("u", "undo", "Undo"),
        Binding("ctrl+r", "redo", "Redo"),
        Binding("v", "toggle_diff", "Diff since applied"),
        Binding("ctrl+s", "save_prologue", "Save prologue", show=False),
        Binding("escape", "cancel_edit", "Cancel", show=False),
    ]

    def __init__(self, workspace: Workspace, **kwargs) -> None:
        super().__init__(**kwargs)
        self.workspace = workspace
        self._lines: list[HeaderLine] = []
        self._rows: list[int | None] = []  # per shown line: its header line's index, or None
        self._flagged: set[str] = set()  # lines a rejection pointed at
        self._editing: str | None = None  # "add", "edit", "prologue" or None
        self._edit_index: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(TITLES[False], id="script-preview-title")
        yield OptionList(id="script-header")  # the script, header lines selectable
        # Cursor at the end, nothing selected: editing a directive is usually a small change.
        yield Input(id="script-input", select_on_focus=False)
        yield TextArea(id="script-prologue", soft_wrap=False)
        with VerticalScroll(id="script-preview"):  # the diff since applied (`v`)
            yield Static(id="script-preview-text")
        yield Static(id="script-problems")
        yield Static(id="script-preflight")
        yield Static(id="script-message")

    preflight_line = ""  # the last pre-flight verdict shown, as text

    def on_mount(self) -> None:
        self.refresh_view()

    # -- rendering --------------------------------------------------------------------

    def refresh_view(self) -> None:
        """Re-render from the workspace (call after any edit, here or elsewhere)."""
        if not self.children_ready:
            return  # not composed yet, or removed before it was: `on_mount` renders
        ws = self.workspace
        preview = ws.preview()
        header = self.query_one("#script-header", OptionList)
        previous = self.highlighted_line
        self._lines = list(preview.header)
        problems = ws.problems()
        pointed = problem_keys_by_line(self._lines, problems)
        rows = one_view("" if preview.error else preview.script, self._lines)
        shown = options(rows, self._lines, self._flagged, pointed)
        if preview.error:
            shown.append(Option(Content.styled("✗ " + preview.error, "$text-error"),
                                disabled=True))
        self._rows = [r.header for r in rows]
        header.set_options(shown)
        if self._lines:
            texts = [h.text for h in self._lines]
            at = texts.index(previous.text) if previous is not None and previous.text in texts \
                else 0
            header.highlighted = self._rows.index(at)

        if preview.error:
            body = Content.styled("✗ " + preview.error, "$text-error")
        else:
            marked = ws.script_diff()
            body = Content("\n").join(
                Content.styled(f"{d.op} {d.text}", DIFF_STYLE[d.op]) for d in marked)
        if preview.scheduler_script:
            # scheduler-placement: job: the scheduler's own job, under the workers'.
            body = Content("\n").join([
                body, Content(""),
                Content.styled("Scheduler job (scheduler-placement: job)", "bold"),
                Content(preview.scheduler_script.rstrip("\n"))])
        self.query_one("#script-preview-text", Static).update(body)
        if preview.scheduler_script:
            header.add_options(Option(Content.styled(t, "$text-muted"), disabled=True)
                               for t in ["", "Scheduler job (scheduler-placement: job)",
                                         *preview.scheduler_script.rstrip("\n").splitlines()])

        rows = [Content.styled(("✗ " if p.severity == "error" else "! ") + p.message,
                               "$text-error" if p.severity == "error" else "$text-warning")
                for p in problems]
        self.query_one("#script-problems", Static).update(Content("\n").join(rows))
        status = "pending change (not applied)" if ws.has_pending_change else "as applied"
        auto = "auto-apply on" if ws.auto_apply else "auto-apply off"
        message = ws.last_message or "x skip/un-skip  a add  e edit  d remove  p prologue  u undo"
        # What an edit did may take two rows (a skip says its entry and what it skips); the
        # key hint keeps to one, so the preview keeps its height until something is said.
        self.set_class(bool(ws.last_message), "-said")
        self.query_one("#script-message", Static).update(
            Content.styled(f"[{status}; {auto}] {message}", ""))

    def show_preflight(self, line: str, status: str) -> None:
        """The batch system's verdict on the pending script, checked without submitting it."""
        style = {"accepted": "$text-success", "refused": "$text-error bold"}.get(status, "$text-muted")
        self.preflight_line = line
        if self.query("#script-preflight"):
            self.query_one("#script-preflight", Static).update(Content.styled(line, style))
            self.add_class("-preflight")  # hidden until the first verdict

    @property
    def highlighted_line(self) -> HeaderLine | None:
        """The header line under the cursor."""
        index = self.query_one("#script-header", OptionList).highlighted
        if index is None or not 0 <= index < len(self._rows) or self._rows[index] is None:
            return None
        return self._lines[self._rows[index]]

    def select_header_line(self, text: str) -> bool:
        """Highlight the header line `text` and focus the list (False when it isn't there)."""
        self._flagged.add(text)
        self.refresh_view()  # the profile may have changed since the last render
        texts = [h.text for h in self._lines]
        if text not in texts:
            self._flagged.discard(text)
            self.refresh_view()
            return False
        if self.has_class("-diff"):
            self.action_toggle_diff()  # the line is shown in the script view
        header = self.query_one("#script-header", OptionList)
        header.highlighted = self._rows.index(texts.index(text))
        header.focus()
        return True

    def flag_lines(self, texts: list[str]) -> None:
        """Mark header lines a rejected submission pointed at ("!" before them); an empty
        list clears the marks (e.g. once a submission is accepted)."""
        self._flagged = set(texts)
        self.refresh_view()

    # -- edits --------------------------------------------------------------------------

    def _done(self, result: OpResult) -> None:
        self.refresh_view()
        if result.ok:
            self.post_message(ProfileEdited(result.message))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While an input is open, letters are text, not commands.
        editing = self._editing is not None
        if action in ("cancel_edit",):
            return editing
        if action == "save_prologue":
            return self._editing == "prologue"
        if editing:
            return False
        line = self.highlighted_line
        if action in ("edit_directive", "remove_directive"):
            return None if line is None or line.state != "added" else True
        if action == "toggle_line":
            return line is not None
        if action == "undo":
            return True if self.workspace.can_undo else None
        if action == "redo":
            return True if self.workspace.can_redo else None
        return True

    def action_toggle_line(self) -> None:
        line = self.highlighted_line
        if line is not None:
            self._done(self.workspace.toggle_line(line))

    def action_remove_directive(self) -> None:
        line = self.highlighted_line
        if line is not None and line.extra_index is not None:
            self._done(self.workspace.remove_directive(line.extra_index))

    def action_toggle_diff(self) -> None:
        diff = not self.has_class("-diff")
        self.set_class(diff, "-diff")
        self.query_one("#script-preview-title", Static).update(TITLES[diff])
        # Focus stays in the pane (its keys keep working) on whichever view is shown.
        self.query_one("#script-preview" if diff else "#script-header").focus()

    def action_undo(self) -> None:
        self._done(self.workspace.undo())

    def action_redo(self) -> None:
        self._done(self.workspace.redo())

    def _open_input(self, mode: str, value: str, placeholder: str) -> None:
        self._editing = mode
        box = self.query_one("#script-input", Input)
        box.value = value
        box.placeholder = placeholder
        box.cursor_position = len(value)
        self.add_class("-input")
        box.focus()

    def action_add_directive(self) -> None:
        self._open_input("add", "", "a directive without its prefix, e.g. --account=bio "
                                    "(Enter adds, Esc cancels)")

    def action_edit_directive(self) -> None:
        line = self.highlighted_line
        if line is None or line.extra_index is None:
            return
        self._edit_index = line.extra_index
        extra = self.workspace.pending.get("job-extra-directives") or []
        items = [f"{k} = {v}" for k, v in extra.items()] if isinstance(extra, dict) \
            else list(extra)
        self._open_input("edit", items[line.extra_index], "Enter saves, Esc cancels")

    def action_edit_prologue(self) -> None:
        self._editing = "prologue"
        area = self.query_one("#script-prologue", TextArea)
        area.text = "\n".join(self.workspace.pending.get("job-script-prologue") or [])
        self.add_class("-prologue")
        area.focus()
        self.query_one("#script-message", Static).update(
            "prologue: one command per line; ctrl+s saves, Esc cancels")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "script-input":
            return
        event.stop()
        mode, value = self._editing, event.value
        if mode == "add":
            result = self.workspace.add_directive(value)
        elif mode == "edit" and self._edit_index is not None:
            result = self.workspace.edit_directive(self._edit_index, value)
        else:
            return
        if not result.ok:
            # Keep what was typed; say what is wrong under it.
            self.query_one("#script-message", Static).update(
                Content.styled("✗ " + result.message, "$text-error"))
            return
        self._close_editor()
        self._done(result)

    def action_save_prologue(self) -> None:
        lines = self.query_one("#script-prologue", TextArea).text.splitlines()
        self._close_editor()
        self._done(self.workspace.set_prologue(lines))

    def action_cancel_edit(self) -> None:
        self._close_editor()
        self.refresh_view()

    def _close_editor(self) -> None:
        self._editing = None
        self._edit_index = None
        self.remove_class("-input", "-prologue")
        self.query_one("#script-header", OptionList).focus()
