"""A table that draws only the rows on screen: the queue and workers panes at 10,000+ rows.

Textual's DataTable copies every cell into its own rows and measures each one when rows are
added, so refilling it with 10,000 jobs and 20,000 workers took seconds. Here the table
holds the caller's sequence of items as is (the tracker's immutable JobInfo/WorkerInfo) and
formats cells, through the caller's `cells` function, only for the rows it is drawing. A
refresh is then: keep the sequence, find the cursor's key again, repaint one screen.

Looks and keys follow DataTable's (row cursor, zebra stripes, a header that stays put; the
same theme colours): the panes kept their look. Column widths fit the header and every row
drawn so far, growing (never shrinking) as wider rows come on screen: the price of not
formatting unseen rows. Those widths are then fitted to the table's own width
(hpctui/ui/columns.py): the least important columns are given up first, values cut at a word's
end with `…`; the detail line (`detail`, for the pane to place under the table) shows the
cursor row's cut or hidden values whole. No horizontal scrolling.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from hpctui.ui.columns import Column, detail_text, first_word_width, fit_widths
from hpctui.ui.rowline import PADDING, Cell, DetailLine, draw_row, row_width


def _same_cells(a: Sequence[Cell], b: Sequence[Cell]) -> bool:
    """Cells that draw the same (Text's == ignores its style, so that is compared too)."""
    return a == b and all(x.style == y.style for x, y in zip(a, b) if isinstance(x, Text))


class RowTable(ScrollView, can_focus=True):
    """Rows of `items`, one per item: `key(item)` names it (an operator.attrgetter is
    fastest), `cells(item)` draws it."""

    COMPONENT_CLASSES = {
        "rowtable--header",
        "rowtable--cursor",
        "rowtable--even-row",
        "rowtable--odd-row",
    }
    # DataTable's own rules, for the same look in every theme.
    DEFAULT_CSS = """
    RowTable {
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .rowtable--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .rowtable--header { background-tint: $foreground 5%; }
        }
        &:dark > .rowtable--even-row { background: $surface-darken-1 40%; }
        & > .rowtable--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .rowtable--header { background: ansi_bright_blue; color: ansi_default; }
        & > .rowtable--even-row { background: $surface-lighten-1 50%; }
        & > .rowtable--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """
    BINDINGS = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "first_row", "First row", show=False),
        Binding("end,ctrl+end", "last_row", "Last row", show=False),
    ]

    class RowHighlighted(Message):
        """The cursor is on another row (by key): moved by the user (`by_user`), or by a
        refresh or the program."""

        def __init__(self, table: RowTable, key: str, index: int, by_user: bool) -> None:
            super().__init__()
            self.table, self.key, self.index, self.by_user = table, key, index, by_user

        @property
        def control(self) -> RowTable:
            return self.table

    class RowSelected(Message):
        """Enter (or a click on the cursor's row) picked a row."""

        def __init__(self, table: RowTable, key: str, index: int) -> None:
            super().__init__()
            self.table, self.key, self.index = table, key, index

        @property
        def control(self) -> RowTable:
            return self.table

    def __init__(self, columns: Sequence[str | Column], *, key: Callable[[Any], str],
                 cells: Callable[[Any], Sequence[Cell]], zebra_stripes: bool = True,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        # Plain names: the rightmost column is the least important.
        self.specs = tuple(c if isinstance(c, Column) else Column(c, priority=i)
                           for i, c in enumerate(columns))
        self.columns = tuple(c.name for c in self.specs)
        self.detail = DetailLine("", id=f"{id}-detail" if id else None)
        self._key = key
        self._cells = cells
        self.zebra_stripes = zebra_stripes
        self._items: Sequence[Any] = ()
        self._retired: Sequence[Any] = ()
        self._index: dict[str, int] | None = None  # key -> row, built when first asked
        self.cursor_row = 0
        self._cursor_key: str | None = None
        self._version = 0  # bumped by every set_rows: the window below is stale
        self._window_key: tuple | None = None
        self._window: dict[int, tuple[Cell, ...]] = {}
        self._widths: list[int] = [cell_len(c) for c in self.columns]  # content's
        self._words: list[int] = [0] * len(self.columns)  # widest first word, per column
        self._fitted: list[int] = list(self._widths)  # as drawn: 0 = column given up
        self._styles: tuple[Style, ...] | None = None  # base, header, even, odd, cursor, post
        self._lines: dict[int, tuple] = {}  # row (-1: header) -> (layout key, cells, strip)

    # ------------------------------------------------------------------ data in

    def set_rows(self, items: Sequence[Any]) -> None:
        """Show `items` (kept as given, not copied); the cursor stays on its row's key."""
        # The rows replaced are let go after the frame: freeing 20,000 of them (a new
        # cluster's rows replacing the old) takes milliseconds the frame need not wait for.
        self._retired = self._items
        self.call_after_refresh(self._let_go)
        self._items = items
        self._index = None
        self._version += 1
        old_row, top = self.cursor_row, round(self.scroll_y)
        on_screen = top <= old_row < top + self._page()
        if self._cursor_key is not None and self.key_at(self.cursor_row) != self._cursor_key:
            found = self._find(self._cursor_key)
            if found is not None:
                self.cursor_row = found
        self.cursor_row = max(0, min(self.cursor_row, len(items) - 1))
        self._set_virtual_size(Size(self.virtual_size.width, len(items) + 1))  # +1: the header
        if on_screen and self.cursor_row != old_row:
            # Rows came or went above the cursor's: it keeps its line on screen.
            self.scroll_to(y=max(0, top + self.cursor_row - old_row), animate=False,
                           immediate=True)
        self._note_cursor()
        # Columns sized now, not while drawing: a new virtual size found in render_line
        # would cost a second layout and frame.
        self._prepare()
        self.refresh()

    def _find(self, key: str) -> int | None:
        """The row of `key`: from the key index if built, else by a scan that runs in C
        (list.index compares without hashing every key; 20,000 rows in well under 1 ms)."""
        if self._index is not None:
            return self._index.get(key)
        try:
            return list(map(self._key, self._items)).index(key)
        except ValueError:
            return None

    def _set_virtual_size(self, size: Size) -> None:
        """Set the scrollable size. When only the row count changed and the scrollbars stay
        as they are, skip the screen-wide layout that `virtual_size` asks for: update the
        scrollbars the way Textual does after a layout, and the same frame shows it all."""
        old, height = self.virtual_size, self.size.height
        if size == old:
            return
        if size.width == old.width and old.height > height and size.height > height:
            self.set_reactive(RowTable.virtual_size, size)
            self._scroll_update(size)  # Textual's own step after a resize (widget.py)
        else:
            self.virtual_size = size

    def _let_go(self) -> None:
        self._retired = ()

    # ------------------------------------------------------------------ facts out

    @property
    def row_count(self) -> int:
        return len(self._items)

    @property
    def items(self) -> Sequence[Any]:
        """The items shown, in order (as given to set_rows)."""
        return self._items

    def item_at(self, index: int) -> Any:
        return self._items[index]

    def key_at(self, index: int) -> str | None:
        return self._key(self._items[index]) if 0 <= index < len(self._items) else None

    def index_of(self, key: str) -> int | None:
        """The row of `key`; None when it is not shown."""
        if self._index is None:
            # map/zip run in C: 20,000 rows in about a millisecond with an attrgetter key.
            self._index = dict(zip(map(self._key, self._items), range(len(self._items))))
        return self._index.get(key)

    def row_cells(self, index: int) -> tuple[str, ...]:
        """The text of a row's cells, as drawn."""
        return tuple(str(c) for c in self._cells(self._items[index]))

    @property
    def cursor_key(self) -> str | None:
        return self._cursor_key

    # ------------------------------------------------------------------ cursor

    def move_cursor(self, row: int, by_user: bool = False) -> None:
        """Put the cursor on `row` (clamped) and scroll it into view."""
        if not self._items:
            return
        old = self.cursor_row
        self.cursor_row = max(0, min(row, len(self._items) - 1))
        self._scroll_to_cursor()
        self._note_cursor(by_user)
        if old != self.cursor_row:
            self.refresh()

    def _note_cursor(self, by_user: bool = False) -> None:
        # Highlight messages only when the row's key changes, not when rows move under it.
        key = self.key_at(self.cursor_row)
        self._show_detail()
        if key != self._cursor_key:
            self._cursor_key = key
            if key is not None:
                self.post_message(self.RowHighlighted(self, key, self.cursor_row, by_user))

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        top, page = round(self.scroll_y), self._page()
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + page:
            self.scroll_to(y=self.cursor_row - page + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_row - 1, by_user=True)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_row + 1, by_user=True)

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor_row - self._page(), by_user=True)

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor_row + self._page(), by_user=True)

    def action_first_row(self) -> None:
        self.move_cursor(0, by_user=True)

    def action_last_row(self) -> None:
        self.move_cursor(len(self._items) - 1, by_user=True)

    def action_select_cursor(self) -> None:
        key = self.key_at(self.cursor_row)
        if key is not None:
            self.post_message(self.RowSelected(self, key, self.cursor_row))

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:  # the header
            return
        row = round(self.scroll_y) + event.y - 1
        if 0 <= row < len(self._items):
            if row == self.cursor_row:
                self.action_select_cursor()
            else:
                self.move_cursor(row, by_user=True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        # ScrollView's watcher first (the scrollbar, the repaint), then the columns for the
        # rows now on screen, before they are drawn.
        super().watch_scroll_y(old_value, new_value)
        self._prepare()

    def on_resize(self) -> None:
        self._prepare()  # rows for the new height, sized before they are drawn

    def _show_detail(self) -> None:
        if not self._items:
            self.detail.set("")
            return
        self.detail.set(detail_text(self.specs, self._fitted, self.row_cells(self.cursor_row)))

    @property
    def fitted_widths(self) -> tuple[int, ...]:
        """The columns' widths as drawn (0: the column is given up)."""
        return tuple(self._fitted)

    def on_focus(self) -> None:
        self.refresh()  # the cursor's colours differ with focus

    def on_blur(self) -> None:
        self.refresh()

    # ------------------------------------------------------------------ drawing

    def _prepare(self) -> None:
        """Format the rows on screen once per change of rows, scroll or size, and size the
        columns to them."""
        top, height = round(self.scroll_y), self.size.height
        available = self.scrollable_content_region.width
        key = (self._version, top, height, available)
        if key == self._window_key:
            return
        self._window_key = key
        cells = self._cells
        end = min(len(self._items), top + max(0, height - 1))
        self._window = {i: tuple(cells(self._items[i])) for i in range(top, end)}
        # Widths only grow: columns stay put while rows change or scroll (DataTable's way
        # too, short of clearing it), and a steady table needs no new layout.
        widths, words = list(self._widths), self._words
        for row in self._window.values():
            for c, cell in enumerate(row):
                n = cell.cell_len if isinstance(cell, Text) else cell_len(cell)
                if n > widths[c]:
                    widths[c] = n
                if n > words[c]:  # a first word is never wider than its value
                    words[c] = max(words[c], first_word_width(str(cell)))
        self._widths = widths
        fitted = (fit_widths(self.specs, widths, available, 2 * PADDING, words) if available
                  else widths)
        if fitted != self._fitted:
            self._fitted = fitted
            self._show_detail()
        total = row_width(fitted)
        if total != self.virtual_size.width:
            self._set_virtual_size(Size(total, len(self._items) + 1))

    def render_lines(self, crop: Region) -> list[Strip]:
        # The component styles once per paint, not once per line (each costs a CSS lookup);
        # lines drawn before stay valid while the styles do.
        cursor = self.get_component_rich_style("rowtable--cursor")
        styles = (self.rich_style, self.get_component_rich_style("rowtable--header"),
                  self.get_component_rich_style("rowtable--even-row"),
                  self.get_component_rich_style("rowtable--odd-row"),
                  cursor, Style.from_color(cursor.color, cursor.bgcolor))
        if styles != self._styles:
            self._styles = styles
            self._lines.clear()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        self._prepare()
        if self._styles is None:
            return Strip.blank(self.size.width)
        base, header, even, odd, cursor, post = self._styles
        width = self.size.width
        scroll_x, top = self.scroll_offset
        if y == 0:
            index, row, kind = -1, self.columns, 0
        else:
            index = top + y - 1
            row = self._window.get(index)
            if row is None:
                return Strip.blank(width, base)
            kind = 1 + (index == self.cursor_row) * 2 + (index % 2 if self.zebra_stripes else 0)
        line_key = (kind, tuple(self._fitted), scroll_x + width)
        cached = self._lines.get(index)
        if cached is not None and cached[0] == line_key and _same_cells(cached[1], row):
            strip = cached[2]
        else:
            if index < 0:
                style, over = header, None
            else:
                style = (odd if index % 2 else even) if self.zebra_stripes else base
                over = None
                if index == self.cursor_row:
                    # As DataTable: the cursor's style over the row's, and its colours over
                    # the cell's own (a green "connected" reads in the cursor's colours).
                    style, over = style + cursor, post
            strip = draw_row(self.app.console, row, self._fitted, style, over,
                             scroll_x + width)
            if len(self._lines) > 4 * max(1, self.size.height):
                self._lines.clear()  # rows scrolled away: keep the cache one screen-ish
            self._lines[index] = (line_key, row, strip)
        return strip.crop_extend(scroll_x, scroll_x + width, base)
