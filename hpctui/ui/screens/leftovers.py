"""At start-up: jobs an earlier hpctui left in the queue (it was killed with -9): cancel them?"""

from __future__ import annotations

import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


def describe(leftovers) -> str:
    """One line per earlier session: batch system, job ids, when it started, its pid."""
    lines = []
    for lo in leftovers:
        when = datetime.datetime.fromtimestamp(lo.started).strftime("%Y-%m-%d %H:%M")
        lines.append(f"  {lo.kind}: job(s) {', '.join(lo.job_ids)}  "
                     f"(hpctui pid {lo.pid}, started {when})")
    return "\n".join(lines)


class LeftoversScreen(ModalScreen[bool]):
    """y cancels the leftover jobs, n keeps them (and asks again next time)."""

    DEFAULT_CSS = """
    LeftoversScreen { align: center middle; }
    LeftoversScreen > Vertical { width: 90; height: auto; border: thick $warning;
                                 background: $surface; padding: 1 2; }
    """
    BINDINGS = [
        Binding("y,enter", "answer(True)", "Cancel them"),
        Binding("n,escape", "answer(False)", "Keep them"),
    ]

    def __init__(self, leftovers) -> None:
        super().__init__()
        self._leftovers = leftovers

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                "An earlier hpctui ended without cancelling its jobs (killed, or its machine "
                "went away). These may still be in the queue:\n\n"
                f"{describe(self._leftovers)}\n\n[b]y[/b] cancel them   [b]n[/b] keep them",
                id="leftovers-text",
            )

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
