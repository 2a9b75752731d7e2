"""Scale: a small prompt for a fixed number of workers ("N") or adaptive bounds ("MIN..MAX")."""

from __future__ import annotations

import dataclasses

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from hpctui.core.session.adapt_settings import AdaptSettings, parse_range


def parse_workers(text: str) -> int:
    """A non-negative whole number of workers; ValueError naming the value otherwise."""
    value = text.strip()
    if not value.isdigit():
        raise ValueError(f"workers: {text!r} is not a whole number (0 or more)")
    return int(value)


def parse_scale(text: str, base: AdaptSettings | None = None) -> int | AdaptSettings:
    """"N": a fixed number of workers; "MIN..MAX" (or MIN:MAX): adaptive within those bounds,
    the other adaptive settings (unit, interval...) from `base` (the profile's `adapt`)."""
    value = text.strip()
    if ".." not in value and ":" not in value:
        return parse_workers(value)
    bounds = parse_range(value.replace(" ", ""), base.unit if base else "jobs")
    if base is None:
        return bounds
    return dataclasses.replace(base, minimum=bounds.minimum, maximum=bounds.maximum)


class ScaleScreen(ModalScreen[int | AdaptSettings | None]):
    """Enter applies, Esc cancels; a bad value is said inline and the text is kept."""

    DEFAULT_CSS = """
    ScaleScreen { align: center middle; }
    ScaleScreen > Vertical { width: 60; height: auto; border: thick $primary;
                             background: $surface; padding: 0 1; }
    ScaleScreen #scale-error { color: $error; height: auto; }
    ScaleScreen #scale-hint { color: $text-muted; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: int, adaptive: AdaptSettings | None = None,
                 base: AdaptSettings | None = None) -> None:
        super().__init__()
        self._current = current
        self._adaptive = adaptive  # the bounds in force now, when adaptive
        self._base = adaptive or base

    def compose(self) -> ComposeResult:
        unit = self._base.unit if self._base else "jobs"
        now = (f"adaptive {self._adaptive.bounds_text()}" if self._adaptive
               else f"{self._current} worker(s)")
        with Vertical():
            yield Static(f"Scale to how many workers? (now {now})")
            yield Input(f"{self._adaptive.minimum}..{self._adaptive.maximum}"
                        if self._adaptive else str(self._current),
                        id="scale-input", select_on_focus=True)
            yield Static(f"N: a fixed number of workers · MIN..MAX: adaptive, in {unit}",
                         id="scale-hint")
            yield Static("", id="scale-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            self.dismiss(parse_scale(event.value, self._base))
        except ValueError as exc:
            self.query_one("#scale-error", Static).update(f"✗ {exc}")

    def action_cancel(self) -> None:
        self.dismiss(None)
