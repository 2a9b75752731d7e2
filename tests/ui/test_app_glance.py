"""The screen at a glance (issue 18, part A), on the real app and the local backend: compact
log lines that fit the Logs pane at 120x40, marks that follow the job's state, notices that
never cover the panes, and a pane zoomed to the whole screen."""

from __future__ import annotations

import re
from pathlib import Path

from textual.widgets._toast import Toast

from hpctui.core.session.context import LaunchContext
from hpctui.ui.app import HpcTuiApp
from hpctui.ui.layout import LOGS_MIN_WIDTH, PaneArea
from hpctui.ui.panes.statusbar import StatusBar
from hpctui.ui.screens.notices import NoticeLogScreen
from test_app_session import make_app
from waits import pilot_until

STARTUP_LOG = Path(__file__).parents[1] / "fixtures" / "logs" / "distributed_worker_startup.err"


def _app(tmp_path: Path, options: str = "{dashboard_address: '127.0.0.1:0'}") -> HpcTuiApp:
    path = tmp_path / "hpctui.yaml"
    path.write_text(f"jobqueue:\n  local:\n    scheduler-options: {options}\n")
    return HpcTuiApp(LaunchContext(kind="local", detection_reason="chosen for the test",
                                   config_path=path, config_explicit=True))


async def _logs_ready(pilot, app):
    await pilot_until(pilot, lambda: all(p.is_mounted for p in app.pane_area._panes)
                      and app.pane("logs").children_ready, "every pane mounted")


def _rows_per_line(pane) -> float:
    return pane.view.virtual_size.height / pane.view.line_count


async def _show_fixture(pilot, app, lines: list[str]) -> None:
    app.logs.add("fixture", lines, stream="err")
    pane = app.pane("logs")
    pane.show_job("fixture", "a worker's start-up")
    await pilot_until(pilot, lambda: pane.view.line_count == len(lines), "the lines drawn")


async def test_a_worker_start_up_log_averages_at_most_1_3_rows_a_line_at_120x40(tmp_path):
    lines = STARTUP_LOG.read_text().splitlines()
    app = _app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await _logs_ready(pilot, app)
        pane = app.pane("logs")
        # The grid gives Logs the wider column: a third of 120 would be 40.
        assert app.pane_area.grid and pane.region.width == LOGS_MIN_WIDTH
        assert app.pane("queue").region.width < LOGS_MIN_WIDTH
        await _show_fixture(pilot, app, lines)
        compact = _rows_per_line(pane)
        assert compact <= 1.3, f"{compact:.2f} rows a line"
        # The raw lines, as written, take far more: `r` shows them, the file is untouched.
        await pilot.press("4", "r")
        await pilot_until(pilot, lambda: pane.view.line_count == len(lines)
                          and "err│" in pane.shown_lines()[0], "the raw lines")
        assert pane.shown_lines()[0].endswith("err│" + lines[0])
        assert _rows_per_line(pane) > 1.8
        assert STARTUP_LOG.read_text().splitlines() == lines
        # Wrapping off: one row a line, scrolled sideways.
        await pilot.press("w")
        assert pane.view.virtual_size.height == len(lines)
        assert pane.view.virtual_size.width > pane.view.scrollable_content_region.width
        await pilot.press("right", "right")
        assert pane.view.scroll_offset.x > 0
        # The filter runs on the raw text, in either rendering.
        await pilot.press("r", "slash", *"distributed.core", "enter")
        await pilot_until(pilot, lambda: pane.view.line_count == 1, "the filtered line")
        assert " I core Starting established connection" in pane.shown_lines()[0]
    assert app.shutdown(timeout=60)


async def test_a_connected_local_workers_waiting_to_connect_line_is_not_marked(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot_until(pilot, lambda: app.session is not None, "the session")
        await pilot.press("plus")
        await pilot_until(pilot, lambda: app.session.snapshot().connected_workers == 1,
                          "a worker connected")
        pane = app.pane("logs")
        await pilot_until(pilot, lambda: any("Registered to" in s for s in pane.shown_lines()),
                          "the worker's start-up in the logs pane",
                          explain=lambda: "\n".join(pane.shown_lines()))
        waiting = [s for s in pane.shown_lines() if "Waiting to connect to" in s]
        assert waiting, pane.shown_lines()
        assert pane.connected
        assert not any(s.startswith("▶") or "waiting-to-connect" in s for s in waiting), waiting
        assert "waiting-to-connect" not in str(pane.query_one("#logs-legend").render())
        # Its job ended after the worker connected: still no sign of trouble.
        job_id = pane.job_key
        await pilot.press("minus")
        await pilot_until(pilot, lambda: app.session.snapshot().job(job_id).phase.value
                          == "ended", "the job ended")
        app.bridge.mark_dirty()  # a redraw after the end, whatever the timer did before
        await pilot_until(pilot, lambda: not app.bridge._snapshot_dirty, "a redraw")
        waiting = [s for s in pane.shown_lines() if "Waiting to connect to" in s]
        assert pane.connected and not any(s.startswith("▶") for s in waiting), waiting
        # Had the job no worker connected, the same line would be a sign, with its legend.
        pane.set_connected(False)
        await pilot_until(pilot, lambda: any(s.startswith("▶") and "Waiting to connect" in s
                                             for s in pane.shown_lines()), "the marked line")
        legend = str(pane.query_one("#logs-legend").render())
        assert "waiting-to-connect: the worker has not reached" in legend
        assert "until a worker of the job connects" in legend
        await pilot.press("q", "y")
    assert app.shutdown(timeout=60)


def _rows(status) -> list[str]:
    return [status.render_line(y).text.strip() for y in range(status.size.height)]


def _covered(app) -> list:
    return [t for t in app.screen.query(Toast)]


async def test_the_tls_warning_is_one_status_line_and_whole_in_the_notice_log_at_80x24(tmp_path):
    # Listening on every interface without TLS: the warning hpctui used to toast.
    app = _app(tmp_path, "{host: 0.0.0.0, dashboard_address: '127.0.0.1:0'}")
    async with app.run_test(size=(80, 24)) as pilot:
        status = app.query_one(StatusBar)
        await pilot_until(pilot, lambda: any("TLS" in text for _, text in app.notices),
                          "the TLS warning", explain=lambda: repr(app.notices))
        warning = next(text for _, text in app.notices if "TLS" in text)
        assert not _covered(app)
        assert status.region.height <= 2
        await pilot_until(pilot, lambda: warning.splitlines()[0][:40] in _rows(status)[-1],
                          "the warning on the status line", explain=lambda: repr(_rows(status)))
        # Textual's own toasts are notices too, and the status line counts them.
        app.notify("a [b]second[/b] notice\nwith a second line", severity="warning")
        await pilot.pause()
        assert not _covered(app)
        line = _rows(status)[-1]  # as drawn: the first line of the bar must not push it out
        # The scheduler's address came as a notice too: at least the warning and this one.
        assert re.match(r"\[\d+ notices, n\] ! a second notice", line), line
        assert "with a second line" not in "".join(_rows(status))
        await pilot.press("n")
        assert isinstance(app.screen, NoticeLogScreen)
        text = str(app.screen.query_one("#notices-text").render())
        assert warning.splitlines()[-1] in text and "with a second line" in text
        assert text.index("second notice") < text.index(warning.splitlines()[0])  # newest first
        await pilot.press("escape")
        assert not isinstance(app.screen, NoticeLogScreen)
        assert "notices, n]" not in str(status.render())  # read now
        await pilot.press("q")
        await pilot.pause()
    assert app.shutdown(timeout=60)


async def test_z_zooms_the_focused_pane_to_the_whole_screen_and_back(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await _logs_ready(pilot, app)
        area = app.query_one(PaneArea)
        await pilot.press("4")  # the Logs pane, focused
        await pilot.press("z")
        logs = app.pane("logs")
        assert area.zoomed == "logs"
        assert [p.PANE_ID for p in area.query(".pane.-shown")] == ["logs"]
        await pilot.pause()
        assert logs.region.width == 120 and not app.query_one("#pane-tabs").display
        await pilot.press("z")
        await pilot.pause()
        assert area.zoomed is None and area.grid
        assert len(list(area.query(".pane.-shown"))) == 5
        assert logs.region.width == LOGS_MIN_WIDTH and app.query_one("#pane-tabs").display
        # Zoomed, a number key shows another pane and ends the zoom.
        await pilot.press("z", "2")
        assert area.zoomed is None
    # From 180 columns a third is wide enough: three equal columns.
    app = _app(tmp_path)
    async with app.run_test(size=(180, 48)) as pilot:
        await _logs_ready(pilot, app)
        await pilot.pause()
        assert app.pane("logs").region.width == app.pane("queue").region.width == 60
