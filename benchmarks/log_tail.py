"""Benchmark: open a 1 GB log at its tail, and follow 500 growing log files.

Prints (never asserts) the figures behind the design's log targets:
  1. time to the last 100 lines of a 1 GB file with `read_tail` (target < 0.3 s), next to two
     baselines measured in the same run: `tail -n 100` and a naive whole-file Python read;
  2. lines/s delivered by one `LogFollower` on 500 files while writer processes append as
     fast as they can (target 200k lines/s), and its pure catch-up rate on a backlog;
  3. peak RSS of this process (memory must stay bounded whatever the log size).

    .venv/bin/python benchmarks/log_tail.py [--size-gb 1] [--files 500] [--seconds 5]

Everything is written to a temporary directory that is removed at the end.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hpctui.core.logs.buffer import LogBuffer  # noqa: E402
from hpctui.core.logs.follow import LogFollower  # noqa: E402
from hpctui.core.logs.lines import LogLines  # noqa: E402
from hpctui.core.logs.tail import read_tail  # noqa: E402

LINE = ("2026-11-27 19:01:02,345 - distributed.worker - INFO - "
        "Run out-of-band function 'stop' on worker-{w} line {n:09d}\n")


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux: the high-water mark of this process since it started.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_big_file(path: Path, size: int) -> int:
    """Write `size` bytes of log lines by repeating a ~1 MiB block; returns bytes written."""
    block = "".join(LINE.format(w=i % 64, n=i) for i in range(10_000)).encode()
    written = 0
    with open(path, "wb") as f:
        while written < size:
            f.write(block)
            written += len(block)
        f.write(b"the very last line\n")
        written += 19
    return written


def bench_tail(tmp: Path, size_gb: float) -> None:
    path = tmp / "big.log"
    t0 = time.perf_counter()
    size = write_big_file(path, int(size_gb * 2**30))
    print(f"wrote {size / 2**30:.2f} GiB in {time.perf_counter() - t0:.1f} s")

    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        lines = read_tail(path, 100)
        times.append(time.perf_counter() - t0)
    assert lines[-1] == "the very last line", lines[-1]  # the benchmark measures a correct read
    first, median = times[0], statistics.median(times)
    print(f"read_tail last 100 lines: first {first * 1000:.2f} ms, median of 5 "
          f"{median * 1000:.2f} ms (target < 300 ms)")

    if shutil.which("tail"):
        t0 = time.perf_counter()
        subprocess.run(["tail", "-n", "100", str(path)], capture_output=True, check=True)
        tail_s = time.perf_counter() - t0
        print(f"baseline `tail -n 100` subprocess: {tail_s * 1000:.2f} ms "
              f"(ratio read_tail/tail = {median / tail_s:.2f})")

    t0 = time.perf_counter()
    with open(path, "rb") as f:
        naive = deque(f, maxlen=100)  # reads every line of the file, keeps the last 100
    naive_s = time.perf_counter() - t0
    assert naive[-1] == b"the very last line\n"
    print(f"baseline naive whole-file read: {naive_s * 1000:.0f} ms "
          f"(read_tail is {naive_s / median:.0f}x faster)")
    path.unlink()


def writer(paths: list[str], start: mp.Event, stop_at: mp.Value, count: mp.Value, wid: int) -> None:
    """Append lines to each of `paths` in turn, 20 lines per write, until `stop_at`."""
    fds = [os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) for p in paths]
    start.wait()
    n = 0
    deadline = stop_at.value
    while time.monotonic() < deadline:
        for fd in fds:
            os.write(fd, "".join(LINE.format(w=wid, n=n + k) for k in range(20)).encode())
            n += 20
    with count.get_lock():
        count.value += n
    for fd in fds:
        os.close(fd)


class Counter:
    """The follower's consumer: counts lines and remembers when the last one came."""

    def __init__(self) -> None:
        self.lines = 0
        self.last = 0.0
        self.max_batch = 0

    def __call__(self, batch) -> None:
        n = sum(len(item.lines) for item in batch)
        self.lines += n
        self.max_batch = max(self.max_batch, n)
        self.last = time.monotonic()


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def bench_follow_live(tmp: Path, n_files: int, seconds: float, n_writers: int) -> None:
    d = tmp / "live"
    d.mkdir()
    paths = [str(d / f"worker-{i}.err") for i in range(n_files)]
    counter = Counter()
    ctx = mp.get_context("fork")
    start, count = ctx.Event(), ctx.Value("q", 0)
    stop_at = ctx.Value("d", 0.0)
    procs = [ctx.Process(target=writer, args=(paths[w::n_writers], start, stop_at, count, w))
             for w in range(n_writers)]
    for p in procs:
        p.start()
    with LogFollower(counter) as follower:
        for i, p in enumerate(paths):  # the files do not exist yet: they appear late
            follower.follow(p, i, from_end=False)
        t0 = time.monotonic()
        stop_at.value = t0 + seconds
        start.set()
        for p in procs:
            p.join()
        written = count.value
        caught_up = wait_until(lambda: counter.lines >= written, 60)
        elapsed = counter.last - t0
        during = counter.lines
    print(f"live follow, {n_files} files, {n_writers} writer processes for {seconds:.0f} s: "
          f"writers produced {written / seconds:,.0f} lines/s; follower delivered "
          f"{during:,} lines in {elapsed:.2f} s = {during / elapsed:,.0f} lines/s "
          f"(target 200,000){'' if caught_up else ' (DID NOT CATCH UP within 60 s)'}; "
          f"largest batch {counter.max_batch:,} lines")
    shutil.rmtree(d)


def bench_follow_backlog(tmp: Path, n_files: int, lines_per_file: int) -> None:
    d = tmp / "backlog"
    d.mkdir()
    content = "".join(LINE.format(w=0, n=n) for n in range(lines_per_file)).encode()
    paths = []
    for i in range(n_files):
        p = d / f"worker-{i}.err"
        p.write_bytes(content)
        paths.append(p)
    total = n_files * lines_per_file
    counter = Counter()
    with LogFollower(counter) as follower:
        t0 = time.monotonic()
        for i, p in enumerate(paths):
            follower.follow(p, i, from_end=False)
        done = wait_until(lambda: counter.lines >= total, 120)
        elapsed = time.monotonic() - t0
        # Then nothing more is written: what does following 500 quiet files cost?
        time.sleep(2.5)  # let every file count as quiet
        c0, w0 = time.process_time(), time.monotonic()
        time.sleep(2.0)
        idle_cpu = (time.process_time() - c0) / (time.monotonic() - w0)
    print(f"catch-up follow, {n_files} files x {lines_per_file:,} lines "
          f"({total * len(content) // lines_per_file / 2**20:,.0f} MiB): "
          f"{counter.lines:,} lines in {elapsed:.2f} s = {counter.lines / elapsed:,.0f} lines/s"
          f"{'' if done else ' (INCOMPLETE after 120 s)'}")
    print(f"idle cost following {n_files} quiet files: {idle_cpu * 100:.1f}% of one CPU")
    shutil.rmtree(d)


def bench_buffer(n_files: int) -> None:
    """LogBuffer as the follower's hand-off: how many lines/s can it take in?"""
    buf = LogBuffer()
    batch = [LogLines(i, f"w-{i}.err", "stderr",
                      [LINE.format(w=i, n=n).rstrip("\n") for n in range(20)], 0)
             for i in range(n_files)]
    n = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 1.0:
        buf.add_batch(batch)
        n += 20 * n_files
    elapsed = time.perf_counter() - t0
    print(f"LogBuffer.add_batch (per key {buf.per_key:,}, total {buf.total:,}): "
          f"{n / elapsed:,.0f} lines/s; holds {len(buf):,} lines")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=1.0, help="size of the big log (GiB)")
    parser.add_argument("--files", type=int, default=500, help="files to follow")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long writers write")
    parser.add_argument("--writers", type=int, default=2, help="writer processes")
    parser.add_argument("--backlog-lines", type=int, default=2000,
                        help="lines per file in the catch-up measurement")
    parser.add_argument("--dir", default=None, help="where to put the temporary files")
    args = parser.parse_args(argv)
    for name in ("size_gb", "files", "seconds", "writers"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")

    tmp = Path(tempfile.mkdtemp(prefix="hpctui-logbench-", dir=args.dir))
    try:
        print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
        bench_follow_live(tmp, args.files, args.seconds, args.writers)
        bench_follow_backlog(tmp, args.files, args.backlog_lines)
        print(f"peak RSS after following: {peak_rss_mb():.0f} MiB")
        bench_buffer(args.files)
        print(f"peak RSS with a full LogBuffer: {peak_rss_mb():.0f} MiB")
        bench_tail(tmp, args.size_gb)
        print(f"peak RSS at the end: {peak_rss_mb():.0f} MiB "
              f"(threads alive: {threading.active_count()})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
