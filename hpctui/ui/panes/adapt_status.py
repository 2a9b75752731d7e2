"""The small block above the workers table: scaling mode, bounds, adaptive target, the last
decisions and the demo workload's progress (lines from core `AdaptView`). Hidden while there
is nothing to say (fixed scaling, no demo load)."""

from __future__ import annotations

from hpctui.ui.textline import TextLine


class AdaptStatus(TextLine):
    """`show(lines)`: the lines, or hidden when there are none."""

    DEFAULT_CSS = """
    AdaptStatus { height: auto; color: $text-muted; display: none; }
    """

    def __init__(self) -> None:
        super().__init__("", id="workers-adapt", fixed_height=False)

    def show(self, lines: list[str]) -> None:
        from textual.markup import escape  # worker names and reasons are text, not markup

        self.display = bool(lines)
        self.set(escape("\n".join(lines)))
