"""The settings pane: every key of the profile as a form row, with the file that sets it today.

A table lists the keys (the usual ones first, then the rest of the kind's keys, then the
`distributed.*` keys hpctui may change) with their pending value and where that value
comes from (a file, an environment variable, or the default; hpctui's own keys, which have
no dask-jobqueue default, show dimmed the value hpctui uses while they are unset). Enter on
a row opens an input under the table; Enter there validates, and only a value without errors is applied (the
input stays open with the typed text and the error naming the key otherwise). Rows with a
problem start with "✗" (error) or "!" (warning), edited rows with "*"; the line under the
table tells the highlighted key's full source, its renamed-key notice and its problems.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import DataTable, Input, Static

from hpctui.core.config.profile import DISTRIBUTED_KEYS, KEYS_BY_KIND
from hpctui.core.config.values import format_value, parse_value
from hpctui.core.config.validate import Problem
from hpctui.core.session.workspace import Workspace
from hpctui.ui.columns import Column
from hpctui.ui.fitted_table import FittedTable
from hpctui.ui.messages import ProfileEdited
from hpctui.ui.panes.base import Pane

# The keys people change most, in the order the form shows them.
FIRST_KEYS = ("cores", "memory", "processes", "queue", "account", "project", "walltime",
              "interface", "python", "log-directory", "local-directory",
              "job-script-prologue", "worker-extra-args", "scheduler-options", "death-timeout")


def settings_keys(kind: str) -> list[str]:
    """The keys the form lists for `kind`, in order."""
    own = KEYS_BY_KIND[kind]
    keys = [k for k in FIRST_KEYS if k in own]
    keys += [k for k in own if k not in keys]
    keys += [f"distributed.{k}" for k in DISTRIBUTED_KEYS]
    return keys


# From this pane width on, "set by" names the whole file; below it, the file's name only
# (the line under the table shows the whole path).
WIDE_FROM = 100
# In the order shown; a narrow pane gives up the highest priority numbers first. Keys are cut
# from the start ("…timeouts.connect"), values and sources after a word.
COLUMNS = (Column(" ", 0, whole=True), Column("key", 1, min_width=10, keep_tail=True),
           Column("value", 3, min_width=6), Column("set by", 2, min_width=6))


def _marker(problems: list[Problem], edited: bool) -> str:
    if any(p.severity == "error" for p in problems):
        return "✗"
    if problems:
        return "!"
    return "*" if edited else " "


class SettingsPane(Pane):
    """The profile's keys, editable, each with the file (or variable) that sets it."""

    PANE_ID = "settings"
    PANE_TITLE = "Settings"
    DEFAULT_CSS = """
    SettingsPane > #settings-table { height: 1fr; }
    SettingsPane > #settings-input { display: none; }
    SettingsPane.-editing > #settings-input { display: block; }
    SettingsPane > #settings-detail { height: auto; max-height: 5; }
    SettingsPane > #settings-notes { height: auto; max-height: 4; color: $text-warning; }
    """
    BINDINGS = [
        Binding("enter", "edit_key", "Edit value", show=True),
        Binding("escape", "cancel_edit", "Cancel", show=False),
    ]

    def __init__(self, workspace: Workspace, **kwargs) -> None:
        super().__init__(**kwargs)
        self.workspace = workspace
        self._keys = settings_keys(workspace.kind)
        self._editing: str | None = None
        self._problems: dict[str, list[Problem]] = {}
        self._layout: str | None = None  # "wide" or "narrow", as last rendered

    def compose(self) -> ComposeResult:
        yield FittedTable(COLUMNS, id="settings-table", zebra_stripes=True)
        yield Input(id="settings-input", select_on_focus=False)
        yield Static(id="settings-detail")
        yield Static(id="settings-notes")

    def on_mount(self) -> None:
        self.refresh_view()  # nothing when removed before its children mounted

    # -- rendering --------------------------------------------------------------------

    def _problems_by_key(self) -> dict[str, list[Problem]]:
        by_key: dict[str, list[Problem]] = {}
        for problem in self.workspace.problems():
            key = problem.key.split(".", 1)[0] if not problem.key.startswith(
                "distributed.") else problem.key
            by_key.setdefault(key, []).append(problem)
        return by_key

    def refresh_view(self) -> None:
        """Re-render every row from the workspace (call after any edit, here or elsewhere).
        Nothing until the children are mounted: `on_mount` renders then."""
        if not self.children_ready:
            return
        ws = self.workspace
        table = self.query_one("#settings-table", FittedTable)
        problems = self._problems_by_key()
        self._problems = problems
        layout = "wide" if self.size.width >= WIDE_FROM or not self.size.width else "narrow"
        self._layout = layout
        rows = []
        dimmed: set[str] = set()
        for key in self._keys:
            edited = ws.pending.get(key) != ws.written.get(key)
            source = ws.provenance(key, short=layout == "narrow")
            if ws.renamed_notice(key):
                source += " (old name: migrates on write)" if layout == "wide" else " (old name)"
            default = ws.hpctui_default(key)
            if default is not None:
                dimmed.add(key)  # hpctui's value while the key is unset, not the file's
            value = format_value(default if default is not None else ws.pending.get(key))
            rows.append((key, (_marker(problems.get(key, []), edited), key, value, source)))
        table.set_rows(rows, dimmed={(key, 2) for key in dimmed})  # the cursor stays on its row
        self._show_detail()
        notes = ws.notes()
        self.query_one("#settings-notes", Static).update(
            Content("\n").join(Content.styled("! " + n, "") for n in notes))

    def on_resize(self) -> None:
        # Narrow (the grid's side pane) and wide tables name the source differently.
        layout = "wide" if self.size.width >= WIDE_FROM else "narrow"
        if layout != self._layout:
            self.refresh_view()

    @property
    def highlighted_key(self) -> str | None:
        """The key of the row under the cursor."""
        row = self.query_one("#settings-table", DataTable).cursor_row
        return self._keys[row] if row is not None and 0 <= row < len(self._keys) else None

    def _show_detail(self, error: str | None = None) -> None:
        key = self.highlighted_key
        if key is None:
            return
        ws = self.workspace
        default = ws.hpctui_default(key)
        if default is not None:
            value = f"{format_value(default)} (not set: hpctui's default)"
        else:
            value = format_value(ws.pending.get(key)) or "(not set: dask-jobqueue's default)"
        parts = [Content.styled(f"{key} = {value} · set by {ws.provenance(key)}",
                                "$text-muted")]
        override = ws.env_override(key)
        if override:
            parts.append(Content.styled("! " + override, "$text-warning"))
        notice = ws.renamed_notice(key)
        if notice:
            parts.append(Content.styled("! " + notice, "$text-warning"))
        for p in self._problems.get(key, []):
            parts.append(Content.styled(("✗ " if p.severity == "error" else "! ") + p.message,
                                        "$text-error" if p.severity == "error"
                                        else "$text-warning"))
        if error:
            parts.append(Content.styled("✗ " + error, "$text-error"))
        self.query_one("#settings-detail", Static).update(Content("\n").join(parts))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if self._editing is None:
            self._show_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit_key()

    # -- editing ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_edit":
            return self._editing is not None
        if action == "edit_key":
            return self._editing is None
        return True

    def edit_key(self, key: str) -> None:
        """Open the input for `key` (the rejection view and diagnoses may call this)."""
        if key not in self._keys or not self.children_ready:
            return
        table = self.query_one("#settings-table", DataTable)
        table.move_cursor(row=self._keys.index(key), animate=False)
        self.action_edit_key()

    def action_edit_key(self) -> None:
        key = self.highlighted_key
        if key is None:
            return
        self._editing = key
        box = self.query_one("#settings-input", Input)
        box.value = format_value(self.workspace.pending.get(key))
        box.placeholder = f"{key} (empty: the default; Enter saves, Esc cancels)"
        box.border_title = key
        box.cursor_position = len(box.value)
        self.add_class("-editing")
        self._show_detail()
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "settings-input" or self._editing is None:
            return
        event.stop()
        key = self._editing
        parsed = parse_value(self.workspace.kind, key, event.value)
        if not parsed.ok:
            self._show_detail(parsed.error)  # the input keeps what was typed
            return
        try:
            candidate = self.workspace.pending.with_setting(key, parsed.value)
        except ValueError as exc:
            self._show_detail(str(exc))
            return
        errors = [p for p in self.workspace.problems_for(key, candidate)
                  if p.severity == "error"]
        if errors:
            self._show_detail("; ".join(p.message for p in errors))
            return
        result = self.workspace.set_key(key, parsed.value)
        self._close_editor()
        self.refresh_view()
        if result.ok:
            self.post_message(ProfileEdited(result.message))

    def action_cancel_edit(self) -> None:
        self._close_editor()
        self._show_detail()

    def _close_editor(self) -> None:
        self._editing = None
        self.remove_class("-editing")
        self.query_one("#settings-table", DataTable).focus()
