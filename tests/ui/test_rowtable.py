"""RowTable on its own: what a line draws after its cells, the focus or the scroll change."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Static

from hpctui.ui.rowtable import RowTable


@dataclass(frozen=True)
class Item:
    key: str
    word: str
    colour: str


def cells(item: Item) -> tuple:
    return (item.key, Text(item.word, style=item.colour))


class OneTable(App):
    def __init__(self) -> None:
        super().__init__()
        self.table = RowTable(("key", "word"), key=lambda i: i.key, cells=cells, id="t")

    def compose(self) -> ComposeResult:
        yield self.table
        yield Static("below", id="other")  # something else to focus


def line_text(table: RowTable, y: int) -> str:
    return "".join(seg.text for seg in table.render_line(y))


def colour_of(table: RowTable, y: int, word: str):
    return next(seg.style.color for seg in table.render_line(y) if word in seg.text)


async def test_a_cell_whose_colour_alone_changed_is_drawn_again():
    app = OneTable()
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.table
        table.set_rows([Item("a", "ok", "green"), Item("b", "ok", "green")])
        await pilot.pause()
        assert line_text(table, 0).split() == ["key", "word"]
        assert line_text(table, 2).split() == ["b", "ok"]
        before = colour_of(table, 2, "ok")
        table.set_rows([Item("a", "ok", "green"), Item("b", "ok", "red")])
        await pilot.pause()
        assert colour_of(table, 2, "ok") != before  # same text, new colour: not the cached line


async def test_the_cursor_line_changes_with_focus():
    app = OneTable()
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.table
        table.set_rows([Item(str(i), "w", "green") for i in range(3)])
        table.focus()
        await pilot.pause()
        focused = list(table.render_line(1))[0].style.bgcolor
        app.query_one("#other").can_focus = True
        app.query_one("#other").focus()
        await pilot.pause()
        assert list(table.render_line(1))[0].style.bgcolor != focused


async def test_a_wide_table_fits_its_width_and_the_detail_line_shows_the_cut_value():
    app = OneTable()
    async with app.run_test(size=(20, 10)) as pilot:
        table = app.table
        await app.mount(table.detail)
        table.set_rows([Item("k", "a few words far wider than the screen", "green")])
        table.focus()
        await pilot.pause()
        assert table.virtual_size.width <= 20  # nothing to scroll sideways to
        cells = line_text(table, 1).split()
        assert cells[0] == "k"
        assert cells[-1].endswith("…")  # cut after a whole word, never inside one
        assert " ".join(cells[1:])[:-1] in ("a", "a few", "a few words")
        assert table.detail.text == "word: a few words far wider than the screen"
        assert line_text(table, 0).split() == ["key", "word"]  # headers whole


async def test_the_least_important_column_is_given_up_first():
    app = OneTable()
    async with app.run_test(size=(11, 10)) as pilot:
        table = app.table
        await app.mount(table.detail)
        table.set_rows([Item("longkey1", "ok", "green")])
        await pilot.pause()
        assert line_text(table, 0).split() == ["key"]  # "word" (the rightmost) went
        assert line_text(table, 1).split() == ["longkey1"]
        assert table.fitted_widths == (8, 0)
        assert table.detail.text == "word: ok"
