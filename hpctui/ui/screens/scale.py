"""Scale to N: a small prompt for the number of workers."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


def parse_workers(text: str) -> int:
    """A non-negative whole number of workers; ValueError naming the value otherwise."""
    value = text.strip()
    if not value.isdigit():
        raise ValueError(f"workers: {text!r} is not a whole number (0 or more)")
    return int(value)


class ScaleScreen(ModalScreen[int | None]):
    """Enter applies, Esc cancels; a bad number is said inline and the text is kept."""

    DEFAULT_CSS = """
    ScaleScreen { align: center middle; }
    ScaleScreen > Vertical { width: 50; height: auto; border: thick $primary;
                             background: $surface; padding: 0 1; }
    ScaleScreen #scale-error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: int) -> None:
        super().__init__()
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Scale to how many workers? (now {self._current})")
            yield Input(str(self._current), id="scale-input", select_on_focus=True)
            yield Static("", id="scale-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            self.dismiss(parse_workers(event.value))
        except ValueError as exc:
            self.query_one("#scale-error", Static).update(f"✗ {exc}")

    def action_cancel(self) -> None:
        self.dismiss(None)
