"""Big refresh: 10,000 jobs and 20,000 workers, how long from new data to the queue and workers
panes being on screen (DESIGN target: < 100 ms).

    .venv/bin/python benchmarks/big_refresh.py [--jobs 10000] [--repeats 15]

The state is built through the real JobTracker API (job_submitted, queue_rows, worker_joined),
two workers per job. The real QueuePane and WorkersPane run headless in a minimal App at
160x48 (each half the screen) and are redrawn by `hpctui.ui.snapshot_view.draw_snapshot`,
the function the app's redraw timer calls. Three changes are timed:

  (a) one job's state: the top job goes PENDING <-> RUNNING (so the change is on screen);
  (b) 1% of the workers join (they left, untimed, just before);
  (c) everything new: a fresh tracker (a new cluster: new job ids, new workers).

A measurement runs from the redraw taking the tracker's snapshot to the last frame that
follows it being written: the compositor's update is rendered into terminal output (what
a real terminal would receive; headless Textual skips that step, so it is done here), and
the app must stay quiet for 0.15 s after it (a garbage collection runs before each,
untimed: building the test state leaves one due). The same changes with 100 jobs / 200 workers,
in the same run, are the baseline; the ratio is big / small. Prints median and p95 ms per
change, the ratios, and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from textual.app import App, ComposeResult  # noqa: E402
from textual.containers import Vertical  # noqa: E402

from hpctui.core.batch.tracker import JobTracker  # noqa: E402
from hpctui.schedulers.base import JobRow, JobState  # noqa: E402
from hpctui.ui.panes.queue import QueuePane  # noqa: E402
from hpctui.ui.panes.workers import WorkersPane  # noqa: E402
from hpctui.ui.snapshot_view import draw_snapshot  # noqa: E402

SIZE = (160, 48)
WORKERS_PER_JOB = 2
QUIET_S = 0.15  # no frame for this long after the refresh: the screen has settled
GiB = 1 << 30


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * len(s) + 0.5) - 1))]


class World:
    """A session's tracker with `n_jobs` jobs: the top one pending, the rest running, every
    worker connected but those of the 1% "late" jobs (which scenario (b) makes join)."""

    def __init__(self, n_jobs: int, generation: int) -> None:
        self.tracker = JobTracker()
        self.now = 1000.0
        g = generation
        self.job_ids = [str(g * 1_000_000 + i) for i in range(n_jobs)]
        self.top = self.job_ids[0]
        names = {j: tuple(f"HPCCluster-{g}-{i}-{k}" for k in range(WORKERS_PER_JOB))
                 for i, j in enumerate(self.job_ids)}
        for j in self.job_ids:
            self.tracker.job_submitted(j, f"HPCCluster-{j}", names[j], "dask-worker", self.now)
        rows = [JobRow(j, JobState.PENDING, "PD", reason="Priority") if j == self.top
                else JobRow(j, JobState.RUNNING, "R", nodes=f"cn{i % 500:04d}")
                for i, j in enumerate(self.job_ids)]
        self.tracker.queue_rows(rows, self.now + 1)
        # 1% of the workers: every 100th job's (the top one's workers never join: it pends).
        late_jobs = set(self.job_ids[1::100][: max(1, n_jobs // 100)])
        self.late: list[tuple[str, str, str]] = []  # (name, address, host)
        for i, j in enumerate(self.job_ids[1:], 1):
            host = f"10.{g % 250}.{i // 250 % 250}.{i % 250}"
            for k, name in enumerate(names[j]):
                worker = (name, f"tcp://{host}:{40000 + k}", host)
                if j in late_jobs:
                    self.late.append(worker)
                else:
                    self._join(worker)
        self.top_running = False

    def _join(self, worker: tuple[str, str, str]) -> None:
        name, address, host = worker
        self.tracker.worker_joined(name, address, host, 1, 4 * GiB, self.now + 2, time.perf_counter())

    def toggle_top(self) -> str:
        """(a): the top job's queue state flips; returns the phase it now shows."""
        self.top_running = not self.top_running
        state = JobState.RUNNING if self.top_running else JobState.PENDING
        self.tracker.queue_rows([JobRow(self.top, state, state.value[0],
                                        reason="" if self.top_running else "Priority")], self.now + 3)
        return "starting" if self.top_running else "pending"

    def late_leave(self) -> None:
        for _name, address, _host in self.late:
            self.tracker.worker_left(address, "benchmark", self.now + 3)

    def late_join(self) -> None:
        for worker in self.late:
            self._join(worker)


class BenchApp(App):
    """The queue and workers panes, one above the other; records when each frame is written."""

    CSS = "QueuePane, WorkersPane { height: 1fr; border: round $primary; }"

    def __init__(self) -> None:
        super().__init__()
        self.queue_pane = QueuePane()
        self.workers_pane = WorkersPane()
        self.frames: list[float] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield self.queue_pane
            yield self.workers_pane

    def _display(self, screen, renderable) -> None:
        super()._display(screen, renderable)
        if renderable is not None and self.is_headless:
            # What a terminal would be sent: the ANSI text of the changed regions.
            renderable.render_segments(self.console)
        self.frames.append(time.perf_counter())

    def redraw(self, world: World, started: list[float]) -> None:
        started.append(time.perf_counter())
        draw_snapshot(self.queue_pane, self.workers_pane, world.tracker.snapshot(), world.now + 4, "01:00:00")


async def settle(pilot, app: BenchApp) -> None:
    """Wait until no frame has been written for QUIET_S."""
    while True:
        n = len(app.frames)
        await asyncio.sleep(QUIET_S)
        if len(app.frames) == n:
            return


async def timed_refresh(pilot, app: BenchApp, world: World) -> float:
    """ms from the redraw's snapshot to the last frame it caused."""
    await settle(pilot, app)
    # Building 30,000 tracker objects just before leaves a garbage collection due; it would
    # land in whichever step comes next. Collected here so the figure is the refresh's own.
    gc.collect()
    started: list[float] = []
    app.frames.clear()
    app.call_later(app.redraw, world, started)
    deadline = time.perf_counter() + 60
    # A slow redraw blocks the loop past a sleep's end: wait for its first frame, then quiet.
    while not (started and app.frames and app.frames[-1] > started[0]):
        if time.perf_counter() > deadline:
            raise SystemExit("the refresh wrote no frame within 60 s")
        await asyncio.sleep(0.01)
    await settle(pilot, app)
    return (app.frames[-1] - started[0]) * 1000


def on_screen(app: BenchApp, *texts: str) -> None:
    """Check (untimed) that the last frame shows `texts`: the refresh timed was the real one."""
    screen = app.export_screenshot().replace("&#160;", " ")
    missing = [t for t in texts if t not in screen]
    if missing:
        raise SystemExit(f"not on screen after the refresh: {missing}")


async def run_size(n_jobs: int, repeats: int) -> dict[str, list[float]]:
    app = BenchApp()
    out: dict[str, list[float]] = {"a": [], "b": [], "c": []}
    async with app.run_test(size=SIZE) as pilot:
        world = World(n_jobs, generation=1)
        await timed_refresh(pilot, app, world)  # first fill, not counted
        assert app.queue_pane.table.row_count == n_jobs, app.queue_pane.table.row_count
        for _ in range(repeats):
            shown = world.toggle_top()
            out["a"].append(await timed_refresh(pilot, app, world))
            on_screen(app, f" {world.top}  {shown} ")
        for _ in range(repeats):
            world.late_leave()
            await timed_refresh(pilot, app, world)
            world.late_join()
            out["b"].append(await timed_refresh(pilot, app, world))
            expected = n_jobs * WORKERS_PER_JOB - WORKERS_PER_JOB  # the top job's never join
            on_screen(app, f"{expected}/{n_jobs * WORKERS_PER_JOB} connected")
        for r in range(repeats):
            world = World(n_jobs, generation=2 + r)
            out["c"].append(await timed_refresh(pilot, app, world))
            on_screen(app, f" {world.top} ", f" HPCCluster-{2 + r}-")
        await pilot.press("down", "down", "pagedown")  # the panes still respond
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=10_000)
    p.add_argument("--baseline-jobs", type=int, default=100)
    p.add_argument("--repeats", type=int, default=15)
    args = p.parse_args()

    small = asyncio.run(run_size(args.baseline_jobs, args.repeats))
    big = asyncio.run(run_size(args.jobs, args.repeats))
    names = {"a": "one job's state", "b": "1% of workers join", "c": "everything new"}
    print(f"jobs={args.jobs} workers={args.jobs * WORKERS_PER_JOB} "
          f"baseline jobs={args.baseline_jobs} repeats={args.repeats} screen={SIZE[0]}x{SIZE[1]}")
    for key, label in names.items():
        b, s = big[key], small[key]
        print(f"({key}) {label:20s} median={statistics.median(b):7.1f} ms p95={percentile(b, 95):7.1f} ms"
              f"  | baseline median={statistics.median(s):6.1f} ms p95={percentile(s, 95):6.1f} ms"
              f"  | ratio={statistics.median(b) / statistics.median(s):5.2f}x")
    worst = max(percentile(big[k], 95) for k in names)
    print(f"worst p95={worst:.1f} ms (target < 100 ms)  "
          f"peak RSS={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
