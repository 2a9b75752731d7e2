"""The workers pane: connected / expected, each worker's job, host, address and time to connect,
and a sparkline of connected workers over time.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import DataTable, Sparkline, Static

from hpctui.ui.panes.base import Pane

HISTORY = 120  # samples of the connected count kept for the sparkline


def format_bytes(n: float | None) -> str:
    """`n` bytes as "1.9 GiB"; "-" when unknown."""
    if not n:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return "-"


class WorkersPane(Pane):
    """Workers the scheduler knows, from its own events."""

    PANE_ID = "workers"
    PANE_TITLE = "Workers"
    DEFAULT_CSS = """
    WorkersPane > #workers-count { height: 1; text-style: bold; }
    WorkersPane > Sparkline { height: 2; margin: 0 1; }
    WorkersPane > #workers-flag { height: auto; color: $error; }
    WorkersPane > DataTable { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: list[float] = [0.0]
        self.selected_job: str | None = None
        self._job_of_row: dict[str, str | None] = {}  # row key (worker address) -> job id

    def compose(self) -> ComposeResult:
        yield Static("0/0 connected", id="workers-count")
        yield Sparkline(self.history, id="workers-spark")
        yield Static("", id="workers-flag")
        table = DataTable(id="workers-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("worker", "job", "host", "address", "threads", "memory", "connect")
        yield table

    def select_job(self, job_id: str | None) -> None:
        """Put the cursor on the first worker of `job_id` (the job picked in the queue)."""
        self.selected_job = job_id
        table = self.query_one("#workers-table", DataTable)
        for index, row_key in enumerate(table.rows):
            if self._job_of_row.get(row_key.value) == job_id:
                table.move_cursor(row=index)
                return

    def update_workers(self, workers, expected: int, not_connected_jobs: list[str]) -> None:
        """Redraw from the session's workers (hpctui.core.tracker.WorkerInfo)."""
        workers = list(workers)
        self.query_one("#workers-count", Static).update(
            f"{len(workers)}/{expected} connected"
        )
        self.history = (self.history + [float(len(workers))])[-HISTORY:]
        self.query_one("#workers-spark", Sparkline).data = self.history
        flag = ""
        if not_connected_jobs:
            flag = ("✗ running but not connected: job " + ", ".join(not_connected_jobs)
                    + " (see its logs; often the scheduler's address is not reachable)")
        self.query_one("#workers-flag", Static).update(flag)
        table = self.query_one("#workers-table", DataTable)
        table.clear()
        self._job_of_row = {w.address: w.job_id for w in workers}
        for w in workers:
            # Time to connect: from the job starting to run (else from its submission).
            took = w.start_to_join if w.start_to_join is not None else w.submit_to_join
            connect = f"{took:.1f}s" if took is not None else "-"
            table.add_row(
                w.name, w.job_id or "-", w.host or "-", w.address, str(w.threads or "-"),
                format_bytes(w.memory), connect, key=w.address,
            )
        if self.selected_job is not None:
            self.select_job(self.selected_job)
