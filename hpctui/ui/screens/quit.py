"""Quit confirmation: says that quitting cancels this session's jobs."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class QuitScreen(ModalScreen[bool]):
    """y/Enter quits (and cancels the jobs), n/Esc stays."""

    DEFAULT_CSS = """
    QuitScreen { align: center middle; }
    QuitScreen > Vertical {
        width: 60; height: auto; border: thick $warning; background: $surface; padding: 1 2;
    }
    """
    BINDINGS = [
        Binding("y,enter", "answer(True)", "Quit and cancel jobs"),
        Binding("n,escape", "answer(False)", "Stay"),
    ]

    def __init__(self, n_jobs: int) -> None:
        super().__init__()
        self._n_jobs = n_jobs

    def compose(self) -> ComposeResult:
        jobs = f"{self._n_jobs} job{'s' if self._n_jobs != 1 else ''}"
        with Vertical():
            yield Static(
                f"Quit hpctui?\n\nThis cancels the {jobs} this session submitted "
                "(the config file stays as written).\n\n[b]y[/b] quit   [b]n[/b] stay"
            )

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
