"""A DataTable whose columns fit its width (settings, findings, stacks: tens of rows).

The pane gives whole rows; the table sizes each column from them, gives up the least
important columns and cuts values after a word with `…` (hpctui/ui/columns.py), and fits
again when its width changes. `whole_row` keeps the values as given, for the pane's detail
line. The queue and workers tables, with thousands of rows, are RowTables instead.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rich.text import Text

from textual.widgets import DataTable

from hpctui.ui.columns import Column, cut_to, fit_widths, natural_widths, word_widths


class FittedTable(DataTable):
    """Rows of whole values, drawn at fitted widths; `set_rows` refills."""

    def __init__(self, columns: Sequence[Column], **kwargs) -> None:
        kwargs.setdefault("cursor_type", "row")
        super().__init__(**kwargs)
        self.specs = tuple(columns)
        self._rows: list[tuple[str, tuple[str, ...]]] = []
        self._dimmed: frozenset[tuple[str, int]] = frozenset()
        self._fitted: tuple[tuple[int, ...], int] | None = None  # (widths, rows) as drawn

    def set_rows(self, rows: Sequence[tuple[str, Sequence[str]]],
                 dimmed: Collection[tuple[str, int]] = ()) -> None:
        """(key, values) per row, values whole; the cells named (row key, column index) in
        `dimmed` are drawn dim. The cursor stays on its row number."""
        self._rows = [(key, tuple(values)) for key, values in rows]
        self._dimmed = frozenset(dimmed)
        self._fitted = None
        self._refill()

    def whole_row(self, index: int) -> tuple[str, ...]:
        """A row's values as given (not cut)."""
        return self._rows[index][1] if 0 <= index < len(self._rows) else ()

    @property
    def widths(self) -> tuple[int, ...]:
        """Each column's width as drawn (0: given up)."""
        return self._fitted[0] if self._fitted else ()

    def on_resize(self) -> None:
        self._refill()

    def _available(self) -> int:
        width = self.size.width
        if width and len(self._rows) + 1 > self.size.height:
            width -= self.styles.scrollbar_size_vertical  # the rows overflow: a scrollbar
        return width

    def _refill(self) -> None:
        values = [v for _, v in self._rows]
        natural = natural_widths(self.specs, values)
        available = self._available()
        widths = tuple(fit_widths(self.specs, natural, available, 2 * self.cell_padding,
                                  word_widths(values, len(self.specs), self.specs))
                       if available else natural)
        if self._fitted == (widths, id(self._rows)):
            return
        self._fitted = (widths, id(self._rows))
        row = self.cursor_row
        self.clear(columns=True)
        for spec, w in zip(self.specs, widths):
            if w:
                self.add_column(spec.name, key=spec.name, width=w)
        for key, row_values in self._rows:
            cells = [Text(cut_to(spec, v, w), style="dim") if (key, i) in self._dimmed
                     else cut_to(spec, v, w)
                     for i, (spec, v, w) in enumerate(zip(self.specs, row_values, widths)) if w]
            self.add_row(*cells, key=key)
        if self._rows:
            self.move_cursor(row=max(0, min(row, len(self._rows) - 1)), animate=False)
