"""Benchmark: an edit's cost on the UI thread (the job script and settings panes redraw inline).

An edit in the settings or job script pane changes the Workspace, re-renders the job script
with dask-jobqueue's own classes and redraws both panes, on Textual's message pump: it must
cost well under a frame. This prints, for 50 edits each:
  1. `Workspace.set_key` + `preview()` (the core: dask-jobqueue renders the script);
  2. the job script pane's and the settings pane's `refresh_view()` after an edit;
  3. a baseline in the same run: `Static.update` with the same script text (it only
     schedules its render, so it is the floor of any redraw, not a like-for-like cost).

    .venv/bin/python benchmarks/edit_refresh.py [--edits 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import Static  # noqa: E402

from hpctui.core.session.workspace import Workspace  # noqa: E402
from hpctui.ui.panes.jobscript import JobScriptPane  # noqa: E402
from hpctui.ui.panes.settings import SettingsPane  # noqa: E402

CONFIG = """\
# site settings for the cluster
jobqueue:
  slurm:
    cores: 4   # four cores per job
    memory: 8GB
    queue: debug
    walltime: '01:00:00'
    job-extra-directives: ['--exclusive']
"""


def workspace(tmp: Path) -> Workspace:
    path = tmp / "site.yaml"
    path.write_text(CONFIG)
    return Workspace.from_config("slurm", path, paths=[], environ={}, interfaces=["lo", "ib0"])


class PanesApp(App):
    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws

    def compose(self) -> ComposeResult:
        yield JobScriptPane(self.ws)
        yield SettingsPane(self.ws)
        yield Static(id="baseline")


def ms(values: list[float]) -> str:
    values = sorted(values)
    return (f"median {statistics.median(values) * 1000:.2f} ms, "
            f"p95 {values[int(0.95 * (len(values) - 1))] * 1000:.2f} ms")


async def run(edits: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws = workspace(Path(tmp))
        ws.preview()  # the first render imports dask-jobqueue
        core = []
        for i in range(edits):
            start = time.perf_counter()
            ws.set_key("cores", 1 + i % 8)
            ws.preview()
            core.append(time.perf_counter() - start)
        app = PanesApp(ws)
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            script, settings = app.query_one(JobScriptPane), app.query_one(SettingsPane)
            baseline = app.query_one("#baseline", Static)
            timings: dict[str, list[float]] = {"job script pane": [], "settings pane": [],
                                               "baseline Static": []}
            for i in range(edits):
                ws.set_key("cores", 1 + i % 8)
                text = ws.preview().script
                for name, redraw in (("job script pane", script.refresh_view),
                                     ("settings pane", settings.refresh_view),
                                     ("baseline Static", lambda: baseline.update(text))):
                    start = time.perf_counter()
                    redraw()
                    timings[name].append(time.perf_counter() - start)
                await pilot.pause()  # let the frame render between edits, as a user's would
    print(f"{edits} edits of `cores`")
    print(f"core: set_key + preview (dask-jobqueue renders the script): {ms(core)}")
    base = statistics.median(timings["baseline Static"])
    for name, values in timings.items():
        print(f"{name}{' update' if name.startswith('baseline') else ' refresh_view'}: {ms(values)}"
              + ("" if name.startswith("baseline") else
                 f" ({statistics.median(values) / base:.1f}x the baseline)"))
    frame = statistics.median(core) + statistics.median(timings["job script pane"]) \
        + statistics.median(timings["settings pane"])
    print(f"one edit on the UI thread (core + both panes), median: {frame * 1000:.1f} ms "
          "(target: well under a 50 ms frame)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=50)
    args = parser.parse_args(argv)
    if args.edits < 2:
        parser.error(f"--edits must be at least 2, got {args.edits}")
    asyncio.run(run(args.edits))
    return 0


if __name__ == "__main__":
    sys.exit(main())
