"""Quit confirmation: quitting cancels this session's jobs, or (scheduler in a job) asks
whether to leave the cluster running or cancel it."""

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


class LeaveOrCancelScreen(ModalScreen[str]):
    """Quitting with the scheduler in a job: l/Enter leaves the cluster running (hpctui can
    reattach), c cancels everything, n/Esc stays. With another hpctui attached, c only warns
    and C cancels anyway (so two attached processes never cancel it by accident)."""

    DEFAULT_CSS = """
    LeaveOrCancelScreen { align: center middle; }
    LeaveOrCancelScreen > Vertical {
        width: 72; height: auto; border: thick $warning; background: $surface; padding: 1 2;
    }
    """
    BINDINGS = [
        Binding("l,enter", "answer('leave')", "Leave it running"),
        Binding("c", "cancel_all", "Cancel everything"),
        Binding("C", "answer('force')", "Cancel anyway", show=False),
        Binding("n,escape", "answer('')", "Stay"),
    ]

    def __init__(self, n_jobs: int, others: tuple = ()) -> None:
        super().__init__()
        self._n_jobs = n_jobs
        self._others = tuple(others)

    def compose(self) -> ComposeResult:
        jobs = f"{self._n_jobs} job{'s' if self._n_jobs != 1 else ''}"
        text = (f"Quit hpctui?\n\nThe scheduler runs in a batch job: the cluster ({jobs}) "
                "can keep running without hpctui. Run `hpctui` again on this profile (or "
                "`hpctui attach`) to come back; `hpctui clusters` lists it.\n\n"
                "[b]l[/b] leave it running   [b]c[/b] cancel everything   [b]n[/b] stay")
        if self._others:
            who = ", ".join(f"pid {a.pid} on {a.host}" for a in self._others)
            text += f"\n\n! Another hpctui is attached ({who}): c asks again, C cancels anyway."
        with Vertical():
            yield Static(text, id="leave-text")

    def action_cancel_all(self) -> None:
        if not self._others:
            self.dismiss("cancel")
            return
        self.query_one("#leave-text", Static).update(
            "Another hpctui is attached to this cluster and would lose it.\n\n"
            "[b]C[/b] cancel anyway   [b]l[/b] leave it running   [b]n[/b] stay")

    def action_answer(self, value: str) -> None:
        self.dismiss(value)
