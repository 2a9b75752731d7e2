"""The queue pane: this session's batch jobs, coloured by state, tied to their workers.

Selecting a job (Enter or the cursor) posts `JobSelected`; the app then shows that job's
logs and marks its workers. A job that is running but has no connected worker after a
while is flagged, since that is the seed's "workers don't connect" case.

Rows are the tracker's JobInfo objects as they come; only the rows on screen are formatted
(hpctui/ui/rowtable.py), so 10,000 jobs redraw as fast as ten.
"""

from __future__ import annotations

from collections import Counter
from operator import attrgetter

from rich.text import Text
from textual.app import ComposeResult
from textual.message import Message

from hpctui.ui.columns import Column
from hpctui.ui.panes.base import Pane
from hpctui.ui.rowtable import RowTable
from hpctui.ui.textline import TextLine

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


def limit_text(walltime: str) -> str:
    """A walltime as elapsed_text writes times ("00:30:00" -> "30:00"), so "elapsed/limit"
    stays short; anything else as given, "-" when none."""
    parts = walltime.split(":")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        h, m, sec = (int(p) for p in parts)
        return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"
    return walltime or "-"


def queue_summary(jobs, scheduler_jobs=(), limit: str = "") -> str:
    """The line above the queue: worker jobs counted by phase ("2 connected"), the
    scheduler's job said apart ("scheduler connected"), never counted among them."""
    counts = Counter(map(attrgetter("phase"), jobs))  # enum keys: no .value per job
    for job in scheduler_jobs:
        counts[job.phase] -= 1
    parts = [f"{n} {state}" for state, n in sorted((p.value, n) for p, n in counts.items() if n > 0)]
    parts += [f"scheduler {job.phase.value}" for job in scheduler_jobs]
    if not parts:
        return "no jobs: + scales up"
    return ", ".join(parts) + (f" · limit {limit}" if limit and jobs else "")


class QueuePane(Pane):
    """One row per job: id, phase, queue state, reason, node, elapsed, workers; the summary
    line above says the time limit (the profile's, the same for every job)."""

    PANE_ID = "queue"
    PANE_TITLE = "Queue"
    DEFAULT_CSS = """
    QueuePane > #queue-summary { height: 1; color: $text-muted; }
    QueuePane > RowTable { height: 1fr; }
    """
    # In the order shown; a narrow pane gives up the highest priority numbers first. The
    # node and the elapsed time are what one looks for: they show whole or not at all.
    COLUMNS = (Column("job", 0, whole=True), Column("state", 1, min_width=11),
               Column("queue", 5), Column("reason", 6, min_width=8),
               Column("node", 2, whole=True), Column("elapsed", 3, whole=True),
               Column("workers", 4, whole=True))

    class JobSelected(Message):
        """The user picked a job in the queue."""

        def __init__(self, job_id: str) -> None:
            super().__init__()
            self.job_id = job_id

    def __init__(self) -> None:
        super().__init__()
        self._now = 0.0
        self._time_limit = ""
        self._summary = TextLine("no jobs yet: + scales up", id="queue-summary")
        self._table = RowTable(self.COLUMNS, key=attrgetter("job_id"), cells=self._cells,
                               id="queue-table")

    def compose(self) -> ComposeResult:
        yield self._summary
        yield self._table
        yield self._table.detail

    @property
    def table(self) -> RowTable:
        return self._table

    def _cells(self, job) -> tuple:
        phase = job.phase.value
        # "✗ no worker": the phase's meaning in a width a side-by-side pane can show whole.
        shown = "✗ no worker" if phase == "started, not connected" else phase
        # The scheduler's own job (scheduler-placement: job) is marked, and has no workers.
        scheduler = getattr(job, "role", "") == "scheduler"
        return (
            f"{job.job_id} ⚙ scheduler" if scheduler else job.job_id,
            Text(shown, style=PHASE_STYLE.get(phase, "")),
            job.queue_state or "-",
            job.reason or "",
            job.nodes or "",
            elapsed_text(job.running_since, self._now),  # the limit, the same for all: above
            "-" if scheduler else f"{len(job.connected)}/{len(job.worker_names)}",
        )

    def row_text(self, job_id: str) -> str:
        """A job's row as drawn (cells joined by spaces); "" when it is not in the pane."""
        index = self._table.index_of(job_id)
        return "" if index is None else " ".join(self._table.row_cells(index))

    def update_jobs(self, jobs, now: float, time_limit: str = "", scheduler_jobs=()) -> None:
        """Redraw from the session's jobs (hpctui.core.batch.tracker.JobInfo); `now` is
        time.monotonic(), the session's clock; `time_limit` the profile's walltime;
        `scheduler_jobs` those of `jobs` that run the scheduler (shown, not counted).
        The cursor stays on its job."""
        self._now, self._time_limit = now, limit_text(time_limit)
        jobs = jobs if isinstance(jobs, (tuple, list)) else tuple(jobs)
        self._table.set_rows(jobs)
        self._summary.set(queue_summary(jobs, scheduler_jobs, self._time_limit if time_limit
                                        else ""))

    def on_row_table_row_selected(self, event: RowTable.RowSelected) -> None:
        event.stop()
        self.post_message(self.JobSelected(event.key))

    def on_row_table_row_highlighted(self, event: RowTable.RowHighlighted) -> None:
        event.stop()
        self.post_message(self.JobSelected(event.key))
