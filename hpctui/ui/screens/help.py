"""The help screen: every key of every pane and of the app, taken from their BINDINGS."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def _describe(owner: str, bindings) -> list[str]:
    lines = [f"[b]{owner}[/b]"]
    for b in bindings:
        if isinstance(b, tuple):
            b = Binding(*b)
        key = b.key_display or b.key
        lines.append(f"  {key:<14} {b.description}")
    return lines


class HelpScreen(ModalScreen[None]):
    """Lists the keys; Esc, q or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 80%; height: 80%; border: thick $accent; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, sections: list[tuple[str, list]]) -> None:
        super().__init__()
        self._sections = sections

    def compose(self) -> ComposeResult:
        lines: list[str] = ["[b]hpctui keys[/b]  (Esc closes; Ctrl+P opens the command palette)", ""]
        for owner, bindings in self._sections:
            if bindings:
                lines += _describe(owner, bindings) + [""]
        with VerticalScroll():
            yield Static("\n".join(lines), id="help-text")
