"""LogView (rows rendered on demand, wrapped at the edge) and the logs pane drawing a flood in steps."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from hpctui.core.logs.buffer import LogBuffer
from hpctui.ui.logview import LogView
from hpctui.ui.panes.logs import DRAW_BUDGET, LogsPane
from waits import pilot_until


class ViewApp(App):
    def compose(self) -> ComposeResult:
        yield LogView(max_lines=8, indent=4)


def _rows(view: LogView) -> list[str]:
    return [view.render_line(y).text for y in range(view.size.height)]


async def test_long_lines_wrap_with_an_indent_and_only_the_newest_are_kept():
    app = ViewApp()
    async with app.run_test(size=(24, 6)) as pilot:
        view = app.query_one(LogView)
        width = view.scrollable_content_region.width
        view.auto_scroll = False
        view.write_lines([Text("short"), Text("x" * width + "yyyy"), Text("tab\there")])
        await pilot.pause()
        assert view.virtual_size.height == 4  # the long line takes two rows
        rows = _rows(view)
        assert rows[0].rstrip() == "short"
        assert rows[1] == "x" * width
        assert rows[2].rstrip() == "    yyyy"  # the continuation is indented
        assert rows[3].startswith("tab") and "\t" not in rows[3]
        # Past max_lines (8, trimmed in steps of a quarter), the oldest lines go.
        view.write_lines([Text(f"line {i}") for i in range(20)])
        assert view.line_count <= 10
        assert view.plain_lines()[-1] == "line 19"
        assert "short" not in view.plain_lines()


async def test_follow_scrolls_to_the_newest_row_and_a_resize_rewraps():
    app = ViewApp()
    async with app.run_test(size=(30, 6)) as pilot:
        view = app.query_one(LogView)
        view.write_lines([Text(f"{i:02d} " + "z" * 40) for i in range(8)])
        await pilot.pause()
        rows_before = view.virtual_size.height
        assert view.scroll_offset.y == view.max_scroll_y > 0
        assert "z" in _rows(view)[-1]
        await pilot.resize_terminal(80, 6)
        await pilot.pause()
        assert view.virtual_size.height == 8 < rows_before  # each line fits on one row now
        assert _rows(view)[-1].startswith("07 ")


async def test_with_wrap_off_each_line_is_one_row_seen_from_the_horizontal_offset():
    app = ViewApp()
    async with app.run_test(size=(24, 6)) as pilot:
        view = app.query_one(LogView)
        view.auto_scroll = False
        width = view.scrollable_content_region.width
        view.write_lines([Text("short"), Text("x" * width + "tail")])
        view.set_wrap(False)
        await pilot.pause()
        assert view.virtual_size.height == 2
        assert view.virtual_size.width == width + 4  # the widest line
        assert _rows(view)[1] == "x" * view.scrollable_content_region.width
        view.scroll_to(x=view.max_scroll_x, animate=False, immediate=True)  # to the far right
        await pilot.pause()
        assert view.scroll_offset.x == 4
        assert _rows(view)[1] == "x" * (width - 4) + "tail"
        assert _rows(view)[0].strip() == "t"  # "short" from its fifth cell
        view.set_wrap(True)
        await pilot.pause()
        assert view.scroll_offset.x == 0 and view.virtual_size.height == 3


class LogsApp(App):
    def __init__(self, buffer: LogBuffer) -> None:
        super().__init__()
        self.buffer = buffer

    def compose(self) -> ComposeResult:
        yield LogsPane(self.buffer)


async def test_a_flood_is_drawn_in_steps_and_every_line_arrives_in_order():
    buffer = LogBuffer()
    app = LogsApp(buffer)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(LogsPane)
        pane.show_job("7", "job 7")
        n = DRAW_BUDGET * 5 + 3
        buffer.add("7", [f"line {i}" for i in range(n)], stream="err")
        pane.lines_added()
        # One step is drawn at once; the rest follow frame by frame.
        assert pane.view.line_count == DRAW_BUDGET
        await pilot_until(pilot, lambda: pane.view.line_count == n, "every line drawn")
        shown = pane.shown_lines()
        assert len(shown) == n
        # Not distributed's format: shown as written, after the mark's column.
        assert [s[1:] for s in shown] == [f"line {i}" for i in range(n)]
        # New lines after the flood are drawn once, not twice.
        buffer.add("7", ["Timed out trying to connect to tcp://10.0.0.1:8786 after 30 s"],
                   stream="err")
        pane.lines_added()
        pane.lines_added()
        await pilot.pause()
        assert len(pane.shown_lines()) == n + 1
        assert pane.shown_lines()[-1].startswith("▶Timed out")


async def test_filter_redraws_from_the_buffer_and_switching_jobs_drops_the_backlog():
    buffer = LogBuffer()
    app = LogsApp(buffer)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(LogsPane)
        buffer.add("a", [f"a {i} {'needle' if i % 100 == 0 else ''}" for i in range(1000)])
        buffer.add("b", ["b only"])
        pane.show_job("a", "job a")
        pane.show_job("b", "job b")  # a's lines still waiting to be drawn must not show up
        await pane.wait_for_refresh()  # the drawing step a's lines had scheduled has run
        assert [s[1:] for s in pane.shown_lines()] == ["b only"]
        pane.show_job("a", "job a")
        await pilot.press("slash")
        await pilot.press(*"needle", "enter")
        await pane.wait_for_refresh()
        assert len(pane.shown_lines()) == 10
        assert all("needle" in s for s in pane.shown_lines())
