"""Benchmark: does the UI stay responsive while 500 log files are followed at full speed?

The design's target: follow 500 files at 200k lines/s in total while the UI's frame latency
stays under 50 ms (p99). This runs the real pipeline the app uses, minus the cluster:
writer processes append to 500 files, one `LogFollower` thread reads them, its batches
become `LogLinesAppended` events on an `EventBus`, the app's `SessionBridge` puts them in the
`LogBuffer`, and a 100 ms redraw timer draws the shown job's new lines in the real
`LogsPane` (as `HpcTuiApp._redraw_session` does), in a headless Textual app that renders
every frame, with the startup objects frozen out of the garbage collector's way as the app
does once its cluster has started (`hpctui/core/session/gcfreeze.py`).

What it measures is the message pump's lag: a 20 ms timer notes how late each tick runs.
A late tick means a late frame and a late key press. It is measured twice in the same run:
without log traffic (the baseline) and with it, and the figure is the p99 under load (and its
ratio to the baseline's).

    .venv/bin/python benchmarks/logs_frame_latency.py [--files 500] [--seconds 5] [--writers 2] [--rate 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from log_tail import LINE  # noqa: E402  (the same lines as the throughput figure)
from textual.app import App, ComposeResult  # noqa: E402

from hpctui.core.session.eventbus import EventBus  # noqa: E402
from hpctui.core.session.events import LogLinesAppended  # noqa: E402
from hpctui.core.session.gcfreeze import freeze_startup_objects  # noqa: E402
from hpctui.core.logs.buffer import LogBuffer  # noqa: E402
from hpctui.core.logs.follow import LogFollower  # noqa: E402
from hpctui.ui.bridge import REDRAW_S, SessionBridge  # noqa: E402
from hpctui.ui.panes.logs import LogsPane  # noqa: E402

TARGET_P99_S = 0.05  # the design's target for the message pump's lag, p99
TICK = 0.02  # seconds between the lag-measuring timer's ticks
BATCH = 20  # lines per write, as log_tail.py's writers do


def writer(paths: list[str], start, stop_at, count, wid: int, rate: float) -> None:
    """Append BATCH lines to each of `paths` in turn at `rate` lines/s until `stop_at`.

    Paced, unlike log_tail.py's writers (as fast as they can): the target is a rate, and
    writers that take every core would measure the machine, not the app."""
    fds = [os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) for p in paths]
    start.wait()
    n = 0
    t0 = time.monotonic()
    while time.monotonic() < stop_at.value:
        for fd in fds:
            os.write(fd, "".join(LINE.format(w=wid, n=n + k) for k in range(BATCH)).encode())
            n += BATCH
            ahead = n / rate - (time.monotonic() - t0)
            if ahead > 0.005:
                time.sleep(ahead)
    with count.get_lock():
        count.value += n
    for fd in fds:
        os.close(fd)


class _BusSession:
    """What `SessionBridge` needs of a session: `subscribe`, fed by a real EventBus."""

    def __init__(self, bus: EventBus) -> None:
        self.subscribe = bus.subscribe


class LogsApp(App):
    """The logs pane over a LogBuffer filled by the bridge, redrawn as the real app does."""

    def __init__(self, bus: EventBus) -> None:
        super().__init__()
        self.buffer = LogBuffer()
        self.bus = bus
        self.bridge: SessionBridge | None = None
        self.lags: list[float] = []
        self.recording = False
        self.drawn_batches = 0
        self._expected = 0.0

    def compose(self) -> ComposeResult:
        yield LogsPane(self.buffer)

    def on_mount(self) -> None:
        # What HpcTuiApp does once its first cluster has started.
        freeze_startup_objects()
        self.bridge = SessionBridge(self, _BusSession(self.bus), self.buffer)
        self.query_one(LogsPane).show_job("0", "job 0")
        self.set_interval(REDRAW_S, self._redraw)
        self._expected = time.perf_counter() + TICK
        self.set_interval(TICK, self._tick)

    def _redraw(self) -> None:
        _, keys = self.bridge.take_dirty()
        pane = self.query_one(LogsPane)
        if pane.job_key in keys:
            pane.lines_added()
            self.drawn_batches += 1

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.recording:
            self.lags.append(max(0.0, now - self._expected))
        self._expected = now + TICK


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(app: LogsApp, pilot, seconds: float) -> list[float]:
    app.lags = []
    app.recording = True
    await pilot.pause(seconds)
    app.recording = False
    return list(app.lags)


async def run(tmp: Path, n_files: int, seconds: float, n_writers: int, rate: float) -> bool:
    bus = EventBus()
    delivered = [0]

    def on_lines(batches) -> None:
        # What ClusterSession._on_log_lines does: one event per file's batch.
        for b in batches:
            delivered[0] += len(b.lines)
            bus.publish(LogLinesAppended(job_id=str(b.key), path=str(b.path), stream=b.stream,
                                         lines=tuple(b.lines)))

    paths = [str(tmp / f"worker-{i}.err") for i in range(n_files)]
    ctx = mp.get_context("fork")
    start, count, stop_at = ctx.Event(), ctx.Value("q", 0), ctx.Value("d", 0.0)
    procs = [ctx.Process(target=writer, args=(paths[w::n_writers], start, stop_at, count, w,
                                                   rate / n_writers))
             for w in range(n_writers)]
    for p in procs:
        p.start()
    app = LogsApp(bus)
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause(0.5)
            idle = await measure(app, pilot, seconds)
            with LogFollower(on_lines) as follower:
                for i, p in enumerate(paths):
                    follower.follow(p, i, from_end=False)
                t0 = time.monotonic()
                stop_at.value = t0 + seconds
                start.set()
                cpu0 = time.process_time()
                loaded = await measure(app, pilot, seconds)
                cpu = (time.process_time() - cpu0) / seconds
                got = delivered[0]
            shown = app.query_one(LogsPane).view.line_count
    finally:
        stop_at.value = 0.0
        start.set()
        for p in procs:
            p.join(timeout=10)
    bus.close()
    written = count.value
    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    print(f"{n_files} files, {n_writers} writer processes for {seconds:g} s: writers produced "
          f"{written / seconds:,.0f} lines/s; the app received {got / seconds:,.0f} lines/s "
          f"while measuring (target 200,000); the logs pane drew {app.drawn_batches} batches "
          f"and holds {shown:,} lines")
    print(f"this process (app, follower, bridge) used {cpu:.0%} of one CPU while following; "
          f"{cpu / max(got / seconds, 1) * 1e6:.1f} µs of CPU per line")
    for name, lags in (("idle (baseline)", idle), ("following", loaded)):
        print(f"message-pump lag, {name}: {len(lags)} ticks, median "
              f"{statistics.median(lags) * 1000:.1f} ms, p99 {percentile(lags, 0.99) * 1000:.1f} ms, "
              f"max {max(lags) * 1000:.1f} ms")
    p99_idle, p99_load = percentile(idle, 0.99), percentile(loaded, 0.99)
    print(f"frame latency p99 while following: {p99_load * 1000:.1f} ms (target < 50 ms); "
          f"ratio to idle p99: {p99_load / max(p99_idle, 1e-4):.1f}x")
    if p99_load >= TARGET_P99_S:
        print(f"MISSED: frame latency p99 while following {p99_load * 1000:.1f} ms, target "
              f"< {TARGET_P99_S * 1000:.0f} ms", file=sys.stderr)
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=200_000, help="lines/s written in total")
    args = parser.parse_args(argv)
    for name in ("files", "seconds", "writers", "rate"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name} must be positive, got {getattr(args, name)}")
    tmp = Path(tempfile.mkdtemp(prefix="hpctui-logframes-"))
    try:
        met = asyncio.run(run(tmp, args.files, args.seconds, args.writers, args.rate))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
