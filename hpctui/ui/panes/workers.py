"""The workers pane: connected / expected, each worker's job, host, address and time to connect,
and a sparkline of connected workers over time.

Rows are the tracker's WorkerInfo objects as they come; only the rows on screen are
formatted (hpctui/ui/rowtable.py), so 20,000 workers redraw as fast as twenty.
"""

from __future__ import annotations

from operator import attrgetter

from textual.app import ComposeResult
from textual.widgets import Sparkline

from hpctui.ui.columns import Column
from hpctui.ui.panes.adapt_status import AdaptStatus
from hpctui.ui.panes.base import Pane
from hpctui.ui.rowtable import RowTable
from hpctui.ui.textline import TextLine

HISTORY = 120  # samples of the connected count kept for the sparkline
FLAG_JOBS = 5  # job ids named in the "not connected" line; the rest are counted


def format_bytes(n: float | None) -> str:
    """`n` bytes as "1.9 GiB"; "-" when unknown."""
    if not n:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return "-"


def not_connected_text(job_ids: list[str]) -> str:
    """The warning line for jobs running without a connected worker ("" for none)."""
    if not job_ids:
        return ""
    named = ", ".join(job_ids[:FLAG_JOBS])
    if len(job_ids) > FLAG_JOBS:
        named += f" and {len(job_ids) - FLAG_JOBS} more"
    return ("✗ running but not connected: job " + named
            + " (see its logs; often the scheduler's address is not reachable)")


def worker_cells(w) -> tuple[str, ...]:
    """A worker's row (hpctui.core.batch.tracker.WorkerInfo)."""
    # Time to connect: from the job starting to run (else from its submission).
    took = w.start_to_join if w.start_to_join is not None else w.submit_to_join
    connect = f"{took:.1f}s" if took is not None else "-"
    return (w.name, w.job_id or "-", w.host or "-", w.address, str(w.threads or "-"),
            format_bytes(w.memory), connect)


class WorkersPane(Pane):
    """Workers the scheduler knows, from its own events."""

    PANE_ID = "workers"
    PANE_TITLE = "Workers"
    DEFAULT_CSS = """
    WorkersPane > #workers-count { height: 1; text-style: bold; }
    WorkersPane > Sparkline { height: 2; margin: 0 1; }
    WorkersPane > #workers-flag { height: auto; color: $error; }
    WorkersPane > RowTable { height: 1fr; }
    """
    # In the order shown; a narrow pane gives up the highest priority numbers first.
    COLUMNS = (Column("worker", 0, whole=True), Column("job", 2, whole=True),
               Column("host", 1, whole=True), Column("address", 4, whole=True),
               Column("threads", 5, whole=True), Column("memory", 6, whole=True),
               Column("connect", 3, whole=True))

    def __init__(self) -> None:
        super().__init__()
        self.history: list[float] = [0.0]
        self.selected_job: str | None = None
        # True from a job being picked until the user moves the cursor to another job's
        # worker: while True a refresh puts the cursor on that job's first worker (its
        # workers may join after it was picked).
        self._follow_job = False
        self._table = RowTable(self.COLUMNS, key=attrgetter("address"), cells=worker_cells,
                               id="workers-table")
        self._count = TextLine("0/0 connected", id="workers-count")
        self._flag = TextLine("", id="workers-flag", fixed_height=False)
        # Held, not queried: a redraw may come while the pane's children are still mounting.
        self._spark = Sparkline(self.history, id="workers-spark")
        self.adapt_status = AdaptStatus()  # mode, bounds, target, decisions (adaptive only)

    def compose(self) -> ComposeResult:
        yield self.adapt_status
        yield self._count
        yield self._spark
        yield self._flag
        yield self._table
        yield self._table.detail

    @property
    def table(self) -> RowTable:
        return self._table

    def select_job(self, job_id: str | None) -> None:
        """Put the cursor on the first worker of `job_id` (the job picked in the queue)."""
        self.selected_job = job_id
        self._follow_job = True
        self._cursor_to_job()

    def _cursor_to_job(self) -> None:
        table, job_id = self._table, self.selected_job
        if table.row_count and table.item_at(table.cursor_row).job_id == job_id:
            return
        index = next((i for i, w in enumerate(table.items) if w.job_id == job_id), None)
        if index is not None:
            table.move_cursor(index)

    def update_workers(self, workers, expected: int, not_connected_jobs: list[str]) -> None:
        """Redraw from the session's workers (hpctui.core.batch.tracker.WorkerInfo)."""
        workers = workers if isinstance(workers, (tuple, list)) else tuple(workers)
        self._count.set(f"{len(workers)}/{expected} connected")
        self.history = (self.history + [float(len(workers))])[-HISTORY:]
        self._spark.data = self.history
        self._flag.set(not_connected_text(not_connected_jobs))
        self._table.set_rows(workers)
        if self.selected_job is not None and self._follow_job:
            self._cursor_to_job()

    def on_row_table_row_highlighted(self, event: RowTable.RowHighlighted) -> None:
        event.stop()
        if event.by_user:
            index = self._table.index_of(event.key)
            worker = self._table.item_at(index) if index is not None else None
            self._follow_job = worker is not None and worker.job_id == self.selected_job
