"""A Static that redraws only when its text changes, and skips the layout when its height is fixed.

The queue and workers panes set their summary lines on every redraw (10 a second while
workers join). Static.update always asks for a layout of the whole screen, which at
160x48 costs more than drawing the rows that changed.
"""

from __future__ import annotations

from textual.widgets import Static


class TextLine(Static):
    """One piece of text; `set(text)` shows it."""

    def __init__(self, text: str = "", *, id: str | None = None, fixed_height: bool = True) -> None:
        super().__init__(text, id=id)
        self.text = text
        # With a fixed height (the pane's CSS gives `height: 1`) a new text cannot move
        # anything else; an `auto` height can.
        self._fixed_height = fixed_height

    def set(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.update(text, layout=not self._fixed_height)
