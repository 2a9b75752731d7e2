"""A log view that renders only the rows on screen, so a flood of lines never blocks the UI.

Textual's RichLog renders (and wraps) every line the moment it is written: about 0.6 ms a
line here, so a worker printing a thousand lines a second takes the whole message pump. This
view keeps the styled lines as they are and works out, per line, only how many rows it
wraps to at the current width (from its cell length: lines break at the edge, like a
terminal's, and the rows after the first are indented by `indent` cells so a prefix column
stays clear). `render_line` finds the line under a row with a binary search and
renders that line alone, cached, so a frame costs the rows it shows whatever the log holds.
With `wrap` off every line is one row and the view scrolls sideways instead.
"""

from __future__ import annotations

from bisect import bisect_right

from rich.segment import Segment
from rich.text import Text
from textual.cache import LRUCache
from textual.events import Resize
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


class LogView(ScrollView, can_focus=True):
    """Styled log lines, wrapped at the edge, newest at the bottom, at most `max_lines` kept."""

    DEFAULT_CSS = """
    LogView {
        background: $surface; color: $foreground; overflow-y: scroll; overflow-x: hidden;
        scrollbar-size-vertical: 1;  /* a cell more for the text in a narrow pane */
    }
    LogView.-nowrap { overflow-x: auto; }
    LogView:focus { background-tint: $foreground 5%; }
    """

    def __init__(self, max_lines: int = 5_000, *, indent: int = 0, id: str | None = None) -> None:
        super().__init__(id=id)
        if max_lines < 1:
            raise ValueError(f"max_lines: must be >= 1, got {max_lines!r}")
        if indent < 0:
            raise ValueError(f"indent: must be >= 0, got {indent!r}")
        self.max_lines = max_lines
        self.indent = indent
        self.auto_scroll = True
        self.wrap = True
        self._widest = 0  # the widest line's cells (the virtual width with `wrap` off)
        self._texts: list[Text] = []
        self._cells: list[int] = []  # each line's width in cells, unwrapped
        self._starts: list[int] = []  # the first row of each line at `_width`
        self._rows = 0  # rows of all lines at `_width`
        self._width = 0  # 0 until the view has a size
        self._first = 0  # how many lines were dropped from the top (keys the cache)
        self._strips: LRUCache[tuple[int, int], Strip] = LRUCache(1024)

    # -- content ---------------------------------------------------------------------

    @property
    def line_count(self) -> int:
        """Lines held (not rows: a long line wraps to several)."""
        return len(self._texts)

    def plain_lines(self) -> list[str]:
        """The lines held, unstyled (for tests and copying)."""
        return [t.plain for t in self._texts]

    def write_lines(self, texts: list[Text]) -> None:
        """Append lines; scroll to the end when `auto_scroll` is on."""
        if not texts:
            return
        width = self._wrap_width
        for text in texts:
            if "\t" in text.plain:  # a tab's width depends on where it lands: fix it now
                text = text.copy()
                text.expand_tabs()
            cells = text.cell_len
            self._widest = max(self._widest, cells)
            self._texts.append(text)
            self._cells.append(cells)
            self._starts.append(self._rows)
            self._rows += self._rows_of(cells, width)
        if len(self._texts) > self.max_lines * 5 // 4:
            # Trim in steps of a quarter: a rebuild costs every line, so not on every write.
            drop = len(self._texts) - self.max_lines
            del self._texts[:drop], self._cells[:drop]
            self._first += drop
            self._widest = max(self._cells, default=0)
            self._rebuild()
        self._update_size()

    def clear(self) -> None:
        self._widest = 0
        self._texts.clear()
        self._cells.clear()
        self._starts.clear()
        self._rows = 0
        self._first = 0
        self._strips.clear()
        self._update_size()

    # -- layout ----------------------------------------------------------------------

    @property
    def _wrap_width(self) -> int:
        return self._width or 80

    def _rest_width(self, width: int) -> int:
        """Cells of text on a continuation row (the indent never takes the whole row)."""
        return max(1, width - min(self.indent, width // 2))

    def set_wrap(self, wrap: bool) -> None:
        """Wrap long lines at the edge (on), or keep each on one row and scroll sideways."""
        if wrap != self.wrap:
            self.wrap = wrap
            self.set_class(not wrap, "-nowrap")
            self._rebuild()
            if wrap:
                self.scroll_to(x=0, animate=False, immediate=True)
            self._update_size()

    def set_indent(self, indent: int) -> None:
        """Cells the wrapped rows of a line start right of its first row."""
        if indent < 0:
            raise ValueError(f"indent: must be >= 0, got {indent!r}")
        if indent != self.indent:
            self.indent = indent
            self._rebuild()
            self._update_size()

    def _rows_of(self, cells: int, width: int) -> int:
        if cells <= width or not self.wrap:
            return 1
        return 1 + -(-(cells - width) // self._rest_width(width))

    def _rebuild(self) -> None:
        width = self._wrap_width
        starts, rows = [], 0
        for cells in self._cells:
            starts.append(rows)
            rows += self._rows_of(cells, width)
        self._starts, self._rows = starts, rows
        self._strips.clear()

    @property
    def _virtual_width(self) -> int:
        return self._wrap_width if self.wrap else max(self._wrap_width, self._widest)

    def _update_size(self) -> None:
        self.virtual_size = Size(self._virtual_width, self._rows)
        if self.auto_scroll:
            self.scroll_end(animate=False, immediate=False, x_axis=False)
        self.refresh()

    def on_resize(self, event: Resize) -> None:
        width = self.scrollable_content_region.width
        if width and width != self._width:
            at_end = self.auto_scroll or self.scroll_offset.y >= self.max_scroll_y
            self._width = width
            self._rebuild()
            self.virtual_size = Size(self._virtual_width, self._rows)
            if at_end:
                self.scroll_end(animate=False, immediate=False, x_axis=False)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    # -- rendering -------------------------------------------------------------------

    def render_lines(self, crop):
        # `rich_style` walks the widget's ancestors' styles (~0.1 ms): once a frame, not
        # once a row.
        self._row_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._row_style = None

    @property
    def _style_now(self):
        return getattr(self, "_row_style", None) or self.rich_style

    def render_line(self, y: int) -> Strip:
        row = self.scroll_offset.y + y
        width = self.scrollable_content_region.width or self._wrap_width
        if row >= self._rows or not self._texts:
            return Strip.blank(width, self._style_now)
        index = bisect_right(self._starts, row) - 1
        part = row - self._starts[index]
        key = (self._first + index, part)
        if not self.wrap:
            return self._unwrapped(index, width)
        strip = self._strips.get(key)
        if strip is None:
            full = Strip(list(self._texts[index].render(self.app.console)))
            wrap = self._wrap_width
            if part == 0:
                strip = full.crop(0, wrap)
            else:
                rest = self._rest_width(wrap)
                start = wrap + (part - 1) * rest
                strip = Strip([Segment(" " * (wrap - rest)), *full.crop(start, start + rest)])
            self._strips[key] = strip
        return strip.extend_cell_length(width).crop(0, width).apply_style(self._style_now)


    def _unwrapped(self, index: int, width: int) -> Strip:
        """Line `index` on one row, seen from the horizontal scroll offset."""
        key = (self._first + index, -1)
        full = self._strips.get(key)
        if full is None:
            full = Strip(list(self._texts[index].render(self.app.console)))
            self._strips[key] = full
        x = self.scroll_offset.x
        return full.crop(x, x + width).extend_cell_length(width).apply_style(self._style_now)
