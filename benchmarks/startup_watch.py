"""What the start-up watcher adds to a worker's start-up: the same worker with and without it.

Each run starts a worker command in a fresh process and times, from the parent, the moment its
stderr says it is ready (for the watched run, that line has come through the watcher's copy of
the child's stderr: the delay a job log sees). Two workers, alternated with and without the
watcher so drifts in machine load hit both alike:
- "trivial": python writes the line at once: the watcher's fixed cost, measured precisely;
- "dask": python imports distributed, then writes the line: a worker's own start-up.
Prints the medians, the difference (target < 50 ms) and the ratio. Prints, never asserts.

    .venv/bin/python benchmarks/startup_watch.py [--reps 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STARTWATCH = Path(__file__).resolve().parents[1] / "hpctui" / "on_node" / "startwatch.py"
WORKERS = {
    "trivial": "import sys; sys.stderr.write('ready\\n'); sys.stderr.flush()",
    "dask": "import distributed, sys; sys.stderr.write('ready\\n'); sys.stderr.flush()",
}


def _time_to_ready(command: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for line in proc.stderr:
        if line.strip() == b"ready":
            ready = time.perf_counter() - t0
            break
    else:
        raise SystemExit(f"no 'ready' line from {command}")
    proc.stderr.read()
    proc.wait()
    return ready


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        watch = [sys.executable, "-I", "-S", str(STARTWATCH), "--out", str(Path(d) / "w"), "--"]
        for name, code in WORKERS.items():
            plain, watched = [], []
            _time_to_ready([sys.executable, "-c", code])  # warm the page cache for both
            for _ in range(args.reps):
                plain.append(_time_to_ready([sys.executable, "-c", code]))
                watched.append(_time_to_ready(watch + ["-c", code]))
            p, w = statistics.median(plain), statistics.median(watched)
            print(f"{name}: median time to ready without the watcher {p * 1000:.1f} ms, "
                  f"with it {w * 1000:.1f} ms ({args.reps} runs each, alternated)")
            print(f"  added: {(w - p) * 1000:.1f} ms (target < 50 ms); ratio {w / p:.3f}; "
                  f"min-to-min added {(min(watched) - min(plain)) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
