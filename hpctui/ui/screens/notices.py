"""The notice log: every notice of this session, whole, newest first (`n` opens it).

A notice takes one line of the status bar and nothing else: a toast over the panes hid the
logs and workers for seconds, and half the screen at 80x24. Its whole text (the TLS warning
is seven lines) is here, with the time it came.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class NoticeLogScreen(ModalScreen[None]):
    """`notices`: (HH:MM:SS, text) oldest first; shown newest first. Esc, q or n closes."""

    DEFAULT_CSS = """
    NoticeLogScreen { align: center middle; }
    NoticeLogScreen > VerticalScroll {
        width: 90%; height: 80%; border: thick $accent; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,q,n", "dismiss", "Close")]

    def __init__(self, notices: list[tuple[str, str]]) -> None:
        super().__init__()
        self._notices = list(notices)

    def compose(self) -> ComposeResult:
        text = Text()
        text.append(f"Notices ({len(self._notices)}), newest first  (Esc closes)\n\n", style="bold")
        if not self._notices:
            text.append("nothing yet")
        for at, notice in reversed(self._notices):
            text.append(at + "  ", style="dim")
            text.append(notice.replace("\n", "\n          ") + "\n")
        with VerticalScroll():
            yield Static(text, id="notices-text")
