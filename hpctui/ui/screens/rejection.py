"""The rejected-submission view: what ran, what the batch system said, which lines it means.

Shows the command, the exit code, stdout and stderr as the batch system wrote them, and the
job script's header lines with the ones the error mentions marked "!" and highlighted
(`hpctui.core.jobscript.rejection.rejection_lines`). The cursor starts on the first of them; `e`
closes the view with that line's text, so the app can focus the job script pane and select
it (`JobScriptPane.select_header_line`); Esc closes it with None.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from hpctui.core.jobscript.rejection import SubmitRejection, rejection_lines


class RejectionScreen(ModalScreen[str | None]):
    """A rejected job script: command, exit code, stdout, stderr, and the lines to fix."""

    DEFAULT_CSS = """
    RejectionScreen { align: center middle; }
    RejectionScreen > Vertical {
        width: 95%; max-width: 140; height: 95%;
        border: thick $error; background: $surface; padding: 0 1;
    }
    RejectionScreen #rejection-facts { height: auto; }
    RejectionScreen #rejection-output { height: 1fr; min-height: 4; }
    RejectionScreen .rejection-heading { text-style: bold; }
    RejectionScreen #rejection-lines { height: auto; max-height: 40%; border: none; }
    RejectionScreen #rejection-keys { height: 1; }
    """
    BINDINGS = [
        Binding("e", "edit_line", "Edit this line"),
        Binding("escape,q", "close", "Close"),
    ]

    def __init__(self, rejection: SubmitRejection, header_lines: list[str],
                 title: str = "✗ The batch system rejected the job script") -> None:
        super().__init__()
        self.title_text = title
        self.rejection = rejection
        self.header_lines = list(header_lines)
        self.mentioned = rejection_lines(rejection, self.header_lines)

    def compose(self) -> ComposeResult:
        r = self.rejection
        with Vertical() as box:
            box.border_title = self.title_text
            code = "unknown" if r.exit_code is None else str(r.exit_code)
            yield Static(Content.assemble(
                ("Command:   ", "bold"), r.command or "(not reported)", "\n",
                ("Exit code: ", "bold"), code), id="rejection-facts")
            with VerticalScroll(id="rejection-output"):
                yield Static("stderr", classes="rejection-heading")
                yield Static(Content(r.stderr or "(empty)"), id="rejection-stderr")
                yield Static("stdout", classes="rejection-heading")
                yield Static(Content(r.stdout or "(empty)"), id="rejection-stdout")
            yield Static(self._lines_heading(), classes="rejection-heading")
            yield OptionList(*self._options(), id="rejection-lines")
            yield Static(Content.assemble(("e", "bold"), " edit the highlighted line   ",
                                          ("Esc", "bold"), " close"), id="rejection-keys")

    def _lines_heading(self) -> str:
        if not self.mentioned:
            return "Header lines (the error names none of them)"
        n = len(self.mentioned)
        return f"Header lines ({n} marked ! {'is' if n == 1 else 'are'} named by the error)"

    def _options(self) -> list[Option]:
        options = []
        for i, line in enumerate(self.header_lines):
            if i in self.mentioned:
                options.append(Option(Content.styled("! " + line, "$text-error bold")))
            else:
                options.append(Option(Content("  " + line)))
        return options

    def on_mount(self) -> None:
        lines = self.query_one("#rejection-lines", OptionList)
        if self.header_lines:
            lines.highlighted = self.mentioned[0] if self.mentioned else 0
        lines.focus()

    @property
    def highlighted_line(self) -> str | None:
        """The header line under the cursor."""
        index = self.query_one("#rejection-lines", OptionList).highlighted
        if index is None or not 0 <= index < len(self.header_lines):
            return None
        return self.header_lines[index]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_edit_line()

    def action_edit_line(self) -> None:
        self.dismiss(self.highlighted_line)

    def action_close(self) -> None:
        self.dismiss(None)
