"""The apply confirmation: the job-script diff, the config-file diff and the file written.

Shown before "write config, then apply" unless the user chose to apply automatically. It
takes an `ApplyPreview` computed by the Workspace (which reads the target file), so the
screen itself does no I/O. y/Enter confirms, n/Esc cancels, `a` confirms and stops asking
(sets the workspace's `auto_apply`). With validation errors it refuses to confirm and lists
them, each naming its key.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from hpctui.core.jobscript.render import DiffLine
from hpctui.core.session.workspace import Workspace
from hpctui.core.session.workspace_views import ApplyPreview

_STYLE = {"+": "$text-success", "-": "$text-error", " ": "$text-muted"}


def script_changes(marked: list[DiffLine], context: int = 1) -> Content:
    """The changed lines of a marked script with `context` unchanged lines around them."""
    keep = set()
    for i, d in enumerate(marked):
        if d.op != " ":
            keep.update(range(i - context, i + context + 1))
    if not keep:
        return Content.styled("  (the job script does not change)", "$text-muted")
    out, last = [], None
    for i, d in enumerate(marked):
        if i not in keep:
            continue
        if last is not None and i != last + 1:
            out.append(Content.styled("  …", "$text-muted"))
        out.append(Content.styled(f"{d.op} {d.text}", _STYLE[d.op]))
        last = i
    return Content("\n").join(out)


def config_changes(unified: str) -> Content:
    """A unified diff with + and - lines styled (markers kept for 16 colours / NO_COLOR)."""
    if not unified:
        return Content.styled("  (the config file does not change)", "$text-muted")
    rows = []
    for line in unified.splitlines():
        if line.startswith(("+++", "---")):
            rows.append(Content.styled(line, "bold"))
        elif line.startswith("@@"):
            rows.append(Content.styled(line, "$text-muted"))
        else:
            rows.append(Content.styled(line, _STYLE.get(line[:1], "")))
    return Content("\n").join(rows)


class ApplyScreen(ModalScreen[bool]):
    """Confirm writing the config file and applying the pending profile."""

    DEFAULT_CSS = """
    ApplyScreen { align: center middle; }
    ApplyScreen > Vertical {
        width: 90%; max-width: 120; height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    ApplyScreen #apply-target { height: auto; }
    ApplyScreen #apply-body { height: 1fr; }
    ApplyScreen .apply-heading { text-style: bold; margin-top: 1; }
    ApplyScreen #apply-problems { height: auto; }
    ApplyScreen #apply-keys { height: auto; dock: bottom; }
    """
    BINDINGS = [
        Binding("y,enter", "confirm", "Write and apply"),
        Binding("a", "confirm_always", "Apply, don't ask again"),
        Binding("n,escape", "cancel", "Cancel"),
    ]

    def __init__(self, preview: ApplyPreview, workspace: Workspace | None = None) -> None:
        super().__init__()
        self.preview = preview
        self._workspace = workspace

    def compose(self) -> ComposeResult:
        p = self.preview
        with Vertical() as box:
            box.border_title = "Apply these changes?"
            yield Static(Content.assemble(("Config file: ", "bold"), str(p.target.path),
                                          (f"  ({p.target.reason})", "$text-muted")),
                         id="apply-target")
            with VerticalScroll(id="apply-body"):
                yield Static("Job script (last applied → pending)", classes="apply-heading")
                yield Static(script_changes(p.script_diff), id="apply-script")
                yield Static("Config file", classes="apply-heading")
                if p.config_diff.error:
                    yield Static(Content.styled("✗ " + p.config_diff.error, "$text-error"),
                                 id="apply-config")
                else:
                    yield Static(config_changes(p.config_diff.unified), id="apply-config")
            yield Static(self._problems(), id="apply-problems")
            yield Static(self._keys(), id="apply-keys")

    @property
    def can_confirm(self) -> bool:
        """False when validation errors or an unreadable config file block the write."""
        return not self.preview.errors and not self.preview.config_diff.error

    def _problems(self) -> Content:
        rows = [Content.styled(("✗ " if pr.severity == "error" else "! ") + pr.message,
                               "$text-error" if pr.severity == "error" else "$text-warning")
                for pr in self.preview.problems]
        rows += [Content.styled("! " + w, "$text-warning") for w in self.preview.warnings]
        return Content("\n").join(rows)

    def _keys(self) -> Content:
        if not self.can_confirm:
            return Content.assemble(("✗ fix the problems above first", "$text-error"),
                                    "   ", ("n/Esc", "bold"), " back")
        return Content.assemble(("y/Enter", "bold"), " write and apply   ",
                                ("a", "bold"), " apply, don't ask again   ",
                                ("n/Esc", "bold"), " cancel")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("confirm", "confirm_always"):
            return self.can_confirm
        return True

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_confirm_always(self) -> None:
        if self._workspace is not None:
            self._workspace.auto_apply = True
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
