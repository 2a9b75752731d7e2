"""The queue pane: this session's batch jobs, coloured by state, tied to their workers.

Selecting a job (Enter or the cursor) posts `JobSelected`; the app then shows that job's
logs and marks its workers. A job that is running but has no connected worker after a
while is flagged, since that is the seed's "workers don't connect" case.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable, Static

from hpctui.ui.panes.base import Pane

# Styles by job phase; the phase's words are always shown, so colour is a help only.
PHASE_STYLE = {
    "submitted": "yellow",
    "pending": "yellow",
    "starting": "cyan",
    "started, not connected": "bold red",
    "connected": "green",
    "ending": "dim",
    "ended": "dim",
    "unknown": "magenta",
}


def elapsed_text(running_since: float | None, now: float) -> str:
    """"M:SS" (or "H:MM:SS") since the job started running; "-" before."""
    if running_since is None:
        return "-"
    s = int(max(0.0, now - running_since))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


class QueuePane(Pane):
    """One row per job: id, phase, queue state, reason, node, elapsed / limit, workers."""

    PANE_ID = "queue"
    PANE_TITLE = "Queue"
    DEFAULT_CSS = """
    QueuePane > #queue-summary { height: 1; color: $text-muted; }
    QueuePane > DataTable { height: 1fr; }
    """

    class JobSelected(Message):
        """The user picked a job in the queue."""

        def __init__(self, job_id: str) -> None:
            super().__init__()
            self.job_id = job_id

    def compose(self) -> ComposeResult:
        yield Static("no jobs yet: + scales up", id="queue-summary")
        table = DataTable(id="queue-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("job", "state", "queue", "reason", "node", "elapsed/limit", "workers")
        yield table

    @property
    def table(self) -> DataTable:
        return self.query_one("#queue-table", DataTable)

    def update_jobs(self, jobs, now: float, time_limit: str = "") -> None:
        """Redraw from the session's jobs (hpctui.core.tracker.JobInfo); `now` is
        time.monotonic(), the session's clock; `time_limit` the profile's walltime."""
        table = self.table
        selected = None
        if table.row_count and table.cursor_row is not None:
            try:
                selected = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
            except Exception:  # the cursor pointed past the old rows: nothing to keep
                selected = None
        table.clear()
        counts: dict[str, int] = {}
        for job in jobs:
            phase = job.phase.value
            counts[phase] = counts.get(phase, 0) + 1
            marker = "✗ " if phase == "started, not connected" else ""
            table.add_row(
                job.job_id,
                Text(marker + phase, style=PHASE_STYLE.get(phase, "")),
                job.queue_state or "-",
                job.reason or "",
                job.nodes or "",
                f"{elapsed_text(job.running_since, now)}/{time_limit or '-'}",
                f"{len(job.connected)}/{len(job.worker_names)}",
                key=job.job_id,
            )
        if selected is not None and selected in table.rows:
            table.move_cursor(row=table.get_row_index(selected))
        summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
        self.query_one("#queue-summary", Static).update(summary or "no jobs: + scales up")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.JobSelected(str(event.row_key.value)))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key is not None and event.row_key.value is not None:
            self.post_message(self.JobSelected(str(event.row_key.value)))
