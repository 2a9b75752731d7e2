"""The queue and workers panes with 10,000 jobs and 20,000 workers (from a real JobTracker):
the row counts shown, the cursor's keys, the selection kept across a refresh, what is on
screen after scrolling, and the scrollbar after rows come and go. Not timed: the time is
benchmarks/big_refresh.py's job."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Vertical

from hpctui.core.batch.tracker import JobTracker
from hpctui.schedulers.base import JobRow, JobState
from hpctui.ui.panes.queue import QueuePane
from hpctui.ui.panes.workers import WorkersPane, not_connected_text
from hpctui.ui.snapshot_view import draw_snapshot

N_JOBS = 10_000
NOW = 1000.0
GiB = 1 << 30


def names(job_id: str) -> tuple[str, str]:
    return (f"HPCCluster-{job_id}-0", f"HPCCluster-{job_id}-1")


def host(name: str) -> str:
    """A distinct address per job: HPCCluster-<job>-<k> runs on 10.<job / 250>.<job % 250>."""
    job = int(name.split("-")[1]) - 100_000
    return f"10.{job // 250 % 250}.{job % 250}.1"


def address(name: str) -> str:
    return f"tcp://{host(name)}:{40000 + int(name.split('-')[2])}"


def big_tracker(n_jobs: int = N_JOBS) -> tuple[JobTracker, list[str]]:
    """`n_jobs` running jobs of two workers each, every worker connected, except job 0's
    (pending, reason Priority)."""
    tracker = JobTracker()
    job_ids = [str(100_000 + i) for i in range(n_jobs)]
    for j in job_ids:
        tracker.job_submitted(j, f"HPCCluster-{j}", names(j), "dask-worker", NOW)
    tracker.queue_rows([JobRow(j, JobState.PENDING, "PD", reason="Priority") if i == 0
                        else JobRow(j, JobState.RUNNING, "R", nodes=f"cn{i % 500:04d}")
                        for i, j in enumerate(job_ids)], NOW + 1)
    for j in job_ids[1:]:
        for name in names(j):
            tracker.worker_joined(name, address(name), host(name), 1, 4 * GiB, NOW + 2, 0.0)
    return tracker, job_ids


class TwoPanes(App):
    """The queue pane over the workers pane; keeps the jobs the queue pane selected."""

    CSS = "QueuePane, WorkersPane { height: 1fr; }"

    def __init__(self) -> None:
        super().__init__()
        self.queue_pane = QueuePane()
        self.workers_pane = WorkersPane()
        self.selected: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield self.queue_pane
            yield self.workers_pane

    def draw(self, tracker: JobTracker) -> None:
        draw_snapshot(self.queue_pane, self.workers_pane, tracker.snapshot(), NOW + 100, "01:00:00")

    def on_queue_pane_job_selected(self, message: QueuePane.JobSelected) -> None:
        self.selected.append(message.job_id)


def screen_text(app: App) -> str:
    return app.export_screenshot().replace("&#160;", " ")


async def test_queue_pane_with_10000_jobs_moves_keeps_and_shows(tmp_path):
    tracker, job_ids = big_tracker()
    app = TwoPanes()
    async with app.run_test(size=(160, 48)) as pilot:
        app.draw(tracker)
        await pilot.pause()
        table = app.queue_pane.table
        assert table.row_count == N_JOBS
        summary = str(app.queue_pane.query_one("#queue-summary").render())
        assert summary == "9999 connected, 1 pending · limit 1:00:00"
        assert app.queue_pane.row_text(job_ids[0]).split()[:4] == [job_ids[0], "pending", "PENDING",
                                                                   "Priority"]
        table.focus()
        await pilot.press("down", "down", "down")
        assert table.cursor_row == 3 and table.cursor_key == job_ids[3]
        await pilot.press("pagedown")
        page = table.cursor_row - 3
        assert page > 5  # a screenful, not one row
        assert table.cursor_key == job_ids[3 + page]
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_key == job_ids[-1]
        assert job_ids[-1] in screen_text(app)  # scrolled: the last job is drawn
        assert job_ids[0] not in screen_text(app)
        assert app.selected[-1] == job_ids[-1]  # the app heard each move

        # A refresh where 100 jobs before the cursor's went: the cursor stays on its job.
        await pilot.press("home")
        table.move_cursor(5000, by_user=True)
        kept = table.cursor_key
        tracker.forget(job_ids[1:101])
        app.draw(tracker)
        await pilot.pause()
        assert table.row_count == N_JOBS - 100
        assert table.cursor_key == kept and table.cursor_row == 4900
        # The scrollbar follows the row count (it is updated without a screen-wide layout).
        assert table.vertical_scrollbar.window_virtual_size == N_JOBS - 100 + 1
        assert kept in screen_text(app)

        # Enter picks the job under the cursor.
        app.selected.clear()
        await pilot.press("enter")
        await pilot.pause()
        assert app.selected == [kept]


async def test_queue_pane_everything_new_keeps_the_cursor_row_and_widens_columns(tmp_path):
    tracker, job_ids = big_tracker(2_000)
    app = TwoPanes()
    async with app.run_test(size=(120, 40)) as pilot:
        app.draw(tracker)
        await pilot.pause()
        table = app.queue_pane.table
        table.move_cursor(10)
        # A new cluster: no job in common. The cursor stays at its row number.
        fresh = JobTracker()
        for i in range(2_000):
            j = str(900_000 + i)
            fresh.job_submitted(j, "x", names(j), "dask-worker", NOW)
        # A reason far longer than any on screen, on a row further down.
        fresh.queue_rows([JobRow("900500", JobState.PENDING, "PD",
                                 reason="ReqNodeNotAvail, UnavailableNodes:cn[0001-0100]")], NOW)
        app.draw(fresh)
        await pilot.pause()
        assert table.row_count == 2_000 and table.cursor_row == 10
        assert table.cursor_key == "900010"
        assert "ReqNodeNotAvail" not in screen_text(app)
        narrow = table.virtual_size.width
        table.move_cursor(500)
        await pilot.pause()
        # The column grew to the new row's reason once it came on screen: drawn whole.
        assert table.virtual_size.width > narrow
        assert "ReqNodeNotAvail, UnavailableNodes:cn[0001-0100]" in screen_text(app)


async def test_workers_pane_with_20000_workers_follows_the_picked_job(tmp_path):
    tracker, job_ids = big_tracker()
    app = TwoPanes()
    async with app.run_test(size=(160, 48)) as pilot:
        app.draw(tracker)
        await pilot.pause()
        pane, table = app.workers_pane, app.workers_pane.table
        assert table.row_count == 2 * (N_JOBS - 1)
        assert str(pane.query_one("#workers-count").render()) == f"{2 * (N_JOBS - 1)}/{2 * N_JOBS} connected"

        # The job picked in the queue: the cursor goes to its first worker, drawn on screen.
        picked = job_ids[7777]
        pane.select_job(picked)
        await pilot.pause()
        assert table.item_at(table.cursor_row).job_id == picked
        first = table.cursor_key
        assert first in screen_text(app)

        # 1% of the workers leave (none of the picked job's): the cursor stays on its worker.
        leaving = [table.item_at(i).address for i in range(0, table.row_count, 100)
                   if table.item_at(i).job_id != picked]
        for a in leaving:
            tracker.worker_left(a, "test", NOW + 3)
        app.draw(tracker)
        await pilot.pause()
        assert table.row_count == 2 * (N_JOBS - 1) - len(leaving)
        assert table.cursor_key == first

        # The user moves to another job's worker: a refresh leaves the cursor there.
        table.focus()
        await pilot.press("pagedown")
        mine = table.cursor_key
        assert table.item_at(table.cursor_row).job_id != picked
        app.draw(tracker)
        await pilot.pause()
        assert table.cursor_key == mine


async def test_workers_pane_picks_up_a_job_whose_workers_join_later(tmp_path):
    tracker, job_ids = big_tracker(50)
    app = TwoPanes()
    async with app.run_test(size=(120, 40)) as pilot:
        app.draw(tracker)
        await pilot.pause()
        pane, table = app.workers_pane, app.workers_pane.table
        pane.select_job(job_ids[0])  # pending: no worker yet, the cursor stays
        await pilot.pause()
        assert table.cursor_row == 0 and table.item_at(0).job_id != job_ids[0]
        for name in names(job_ids[0]):
            tracker.worker_joined(name, address(name), host(name), 1, GiB, NOW + 5, 0.0)
        app.draw(tracker)
        await pilot.pause()
        assert table.item_at(table.cursor_row).job_id == job_ids[0]


async def test_a_click_moves_the_cursor_and_a_second_click_selects(tmp_path):
    tracker, job_ids = big_tracker(30)
    app = TwoPanes()
    async with app.run_test(size=(120, 40)) as pilot:
        app.draw(tracker)
        await pilot.pause()
        table = app.queue_pane.table
        app.selected.clear()
        await pilot.click(table, offset=(2, 3))  # line 0 is the header: row 2
        await pilot.pause()
        assert table.cursor_row == 2
        await pilot.click(table, offset=(2, 3))
        await pilot.pause()
        assert app.selected == [job_ids[2], job_ids[2]]  # highlighted, then selected


def test_not_connected_line_names_five_jobs_and_counts_the_rest():
    assert not_connected_text([]) == ""
    assert "job 1, 2 (see its logs" in not_connected_text(["1", "2"])
    line = not_connected_text([str(i) for i in range(10_000)])
    assert "job 0, 1, 2, 3, 4 and 9995 more (" in line
    assert len(line) < 130  # one line, however many jobs
