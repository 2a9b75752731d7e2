"""Startup benchmark: time to the first frame of `hpctui` vs a bare Textual app, as a ratio.

Each run is a fresh interpreter (imports count, as they do for a user) that runs the app
headless and exits as soon as the first frame has been drawn, printing the elapsed time
since the interpreter started. Runs of the two alternate, so machine noise hits both alike;
the ratio of the medians is the figure (target: <= 1.5).

    .venv/bin/python benchmarks/startup.py [--runs 9]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

# Both programs report the time from just before the interpreter was asked to start
# (passed in as T0, on the same clock) to the first frame.
BARE = textwrap.dedent(
    """
    import sys, time
    SIZE = tuple(map(int, sys.argv[2].split("x")))
    T0 = float(sys.argv[1])
    from textual.app import App
    from textual.widgets import Footer, Static

    class Bare(App):
        def compose(self):
            yield Static("hello")
            yield Footer()

        def on_mount(self):
            self.call_after_refresh(self.done)

        def done(self):
            print(f"FIRST_FRAME {time.time() - T0:.4f}")
            self.exit()

    Bare().run(headless=True, size=SIZE)
    """
)

HPCTUI = textwrap.dedent(
    """
    import sys, time
    SIZE = tuple(map(int, sys.argv[2].split("x")))
    T0 = float(sys.argv[1])
    from hpctui.cli.launch import build_context
    from hpctui.ui.app import HpcTuiApp

    class Timed(HpcTuiApp):
        # Textual also calls HpcTuiApp.on_mount (handlers run for every class in the MRO).
        def on_mount(self):
            self.call_after_refresh(self.done)

        def done(self):
            print(f"FIRST_FRAME {time.time() - T0:.4f}")
            self.exit()

    Timed(build_context("local", None)).run(headless=True, size=SIZE)
    """
)


def one_run(code: str, env_dir: str, size: str) -> float:
    t0 = time.time()
    out = subprocess.run(
        [sys.executable, "-c", code, repr(t0), size], capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": env_dir, "DASK_CONFIG": env_dir,
             "HPCTUI_STATE_DIR": env_dir, "TERM": "xterm-256color"},
    )
    for line in out.stdout.splitlines():
        if line.startswith("FIRST_FRAME"):
            return float(line.split()[1])
    raise RuntimeError(f"no first frame reported:\n{out.stdout}\n{out.stderr}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--sizes", default="80x24,160x48",
                        help="terminal sizes, comma-separated (tabs at 80x24, grid at 160x48)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as env_dir:
        for size in args.sizes.split(","):
            bare: list[float] = []
            ours: list[float] = []
            one_run(BARE, env_dir, size)  # warm the file cache for both before measuring
            one_run(HPCTUI, env_dir, size)
            for _ in range(args.runs):
                bare.append(one_run(BARE, env_dir, size))
                ours.append(one_run(HPCTUI, env_dir, size))
            b, h = statistics.median(bare), statistics.median(ours)
            print(f"[{size}] bare Textual app first frame: median {b * 1000:.0f} ms, "
                  f"hpctui: median {h * 1000:.0f} ms ({args.runs} runs each)")
            print(f"[{size}] startup ratio hpctui/bare: {h / b:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
