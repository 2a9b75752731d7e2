"""Drawing one RowTable line at fitted column widths, and the detail line under the table.

Kept apart from rowtable.py (which keeps rows, cursor and scrolling): a cell is padded to its
column, cut at a word's end with `…` when its column is narrower than it (hpctui/ui/columns.py),
and left out when its column was given up (width 0).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from hpctui.ui.columns import ELLIPSIS, cut, cut_length
from hpctui.ui.textline import TextLine

Cell = str | Text
PADDING = 1  # spaces each side of a cell, as DataTable's cell_padding


def row_width(widths: Sequence[int]) -> int:
    """Cells a row takes at `widths` (given-up columns take none)."""
    return sum(w + 2 * PADDING for w in widths if w)


def draw_row(console: Console, row: Sequence[Cell], widths: Sequence[int], style: Style,
             post: Style | None, min_width: int) -> Strip:
    """One line: each shown cell padded (or cut) to its column, then the row's colours to
    `min_width`."""
    segments: list[Segment] = []
    pad = " " * PADDING
    for cell, w in zip(row, widths):
        if not w:
            continue
        if isinstance(cell, Text):
            text = cell
            if cell.cell_len > w:
                text = cell[:cut_length(cell.plain, w)]
                text.append(ELLIPSIS)
            segments.append(Segment(pad))
            # Text.render leaves out the Text's own style (its spans only): add it here.
            segments.extend(Segment.apply_style(text.render(console),
                                                console.get_style(text.style) or None))
            segments.append(Segment(" " * max(0, w - text.cell_len) + pad))
        else:
            if cell_len(cell) > w:
                cell = cut(cell, w)
            segments.append(Segment(pad + cell + " " * (w - cell_len(cell)) + pad))
    used = row_width(widths)
    if min_width > used:
        segments.append(Segment(" " * (min_width - used)))
    # The row's style under the cell's own; `post` over both.
    return Strip(list(Segment.apply_style(segments, style, post))).simplify()


class DetailLine(TextLine):
    """The line under a table: the cursor row's values that are cut or left out, whole
    (wrapped onto a second or third row in a narrow pane rather than cut again)."""

    DEFAULT_CSS = """
    DetailLine { height: auto; max-height: 3; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(text, id=id, fixed_height=False)
