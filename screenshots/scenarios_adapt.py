"""Screenshot scenarios of adaptive scaling on the real SLURM testbed: dask-jobqueue's `adapt()`
driven by the demo workload (the palette's "Start the demo workload"), and failure mode 18
(jobs submitted and cancelled in a loop) from a real loop, with its fix offered.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from hpctui.ui.screens.apply import ApplyScreen

from shots import GRID, Shot, has_finding, quit_app, settle, show_finding, wait

# The profile that makes adapt loop, kept as a test fixture (its comment says why it loops).
LOOP_FIXTURE = (Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "adapt"
                / "submit-cancel-loop.yaml")


def _live_jobs(app) -> int:
    return sum(1 for j in app.session.snapshot().jobs
               if j.phase.value not in ("ended", "ending"))


async def adapt_scaling(shot: Shot) -> None:
    """Adaptive 0..4 jobs: the demo workload's 300 tasks make adapt scale up, the tasks finish,
    adapt scales back down to 0; the Workers pane's scaling block shows each decision."""
    app = shot.app("slurm", shot.config(
        "slurm", shot.job_name(),
        "    interface: ib0\n"
        "    adapt: {maximum: 4, interval: 250ms, wait-count: 2, target-duration: 0.5s}\n"))
    async with app.run_test(size=GRID) as pilot:
        await wait(pilot, lambda: app.adapt_view is not None and app.adapt_view.adaptive, 60,
                   "the adaptive session")
        app.show_pane("workers")
        block = app.pane("workers").adapt_status
        app.action_demo_load()
        await wait(pilot, lambda: "▲ up to" in block.text, 60, "a scale-up decision")
        await wait(pilot, lambda: "300/300 tasks — finished" in block.text, 240,
                   "the demo load finished")
        await wait(pilot, lambda: "▼ down" in block.text, 90, "a scale-down decision")
        await wait(pilot, lambda: _live_jobs(app) == 0, 120, "the jobs back to the minimum (0)")
        await settle(pilot)
        shot.save(app, "adapt-scaling")
        await quit_app(pilot, app)
    app.shutdown(90)


async def adapt_loop(shot: Shot) -> None:
    """Failure mode 18 for real: processes 2 with bounds counted in workers, an odd maximum and
    wait-count 1 (tests/fixtures/adapt/submit-cancel-loop.yaml): under the demo workload adapt
    submits and cancels jobs in a loop. Two pictures: the finding with its evidence and fix,
    and the fix offered (`f`: `adapt.unit: jobs`, previewed before it is written)."""
    adapt = yaml.safe_load(LOOP_FIXTURE.read_text())["jobqueue"]["local"]["adapt"]
    flow = ", ".join(f"{k}: {v}" for k, v in adapt.items())
    app = shot.app("slurm", _loop_config(shot, flow))
    async with app.run_test(size=GRID) as pilot:
        await wait(pilot, lambda: app.adapt_view is not None and app.adapt_view.adaptive, 60,
                   "the adaptive session")
        app.action_demo_load()
        await wait(pilot, lambda: has_finding(app, "submit-cancel-loop"), 240,
                   "the submit/cancel loop finding")
        await show_finding(pilot, app, "submit-cancel-loop")
        await settle(pilot)
        shot.save(app, "adapt-submit-cancel-loop")
        await pilot.press("f")
        await wait(pilot, lambda: isinstance(app.screen, ApplyScreen), 20, "the fix's preview")
        await settle(pilot, 0.5)
        shot.save(app, "adapt-submit-cancel-loop-fix")
        await pilot.press("escape")
        await quit_app(pilot, app)
    app.shutdown(90)


def _loop_config(shot: Shot, flow: str) -> Path:
    """Two workers of one core per job (cores 2, processes 2) and the loop's adapt settings."""
    path = shot.config("slurm", shot.job_name(),
                       "    cores: 2\n    memory: 2GB\n    processes: 2\n    interface: ib0\n"
                       f"    adapt: {{{flow}}}\n", resources=False)
    return path


SCENARIOS = {
    "adapt-scaling": adapt_scaling,
    "adapt-submit-cancel-loop": adapt_loop,
}
