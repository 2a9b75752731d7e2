"""Screenshot scenarios of `scheduler-placement: job` on the real SLURM testbed: the scheduler in
a SLURM job on cn01 (the queue with that job marked, both job scripts, the quit question that
offers to leave the cluster running), and the locked-down login node whose finding offers that
move (tests/testbed/lockdown, turned on for that one scenario only and off again at once).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hpctui.ui.screens.quit import LeaveOrCancelScreen, QuitScreen

from shots import GRID, Shot, has_finding, settle, show_finding, wait

LOCKDOWN = Path(__file__).resolve().parents[1] / "tests" / "testbed" / "lockdown"


def partition() -> str:
    out = subprocess.run(["bash", str(LOCKDOWN.parent / "status")], capture_output=True,
                         text=True, timeout=30, check=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)["PARTITION"]


def site_config(shot: Shot, job_name: str, placement: str = "") -> Path:
    """A site's profile on the testbed: ib0, this Python, dashboards on free ports (on the
    compute node, with the scheduler in a job, 8787 may be another user's)."""
    path = shot.tmp / "slurm.yaml"
    path.write_text(
        "# my site's profile (written by hpctui, comments kept)\n"
        "jobqueue:\n  slurm:\n"
        f"    name: {job_name}\n"
        "    cores: 1\n    memory: 1GB\n"
        f"    queue: {partition()}\n"
        "    walltime: '00:30:00'\n"
        "    interface: ib0\n"
        f"    python: {sys.executable}\n"
        f"    log-directory: {shot.tmp / 'logs'}\n"
        + (f"    scheduler-placement: {placement}\n" if placement else "")
        + "    scheduler-options: {dashboard_address: ':0'}\n"
        "    worker-extra-args: ['--dashboard-address', ':0']\n")
    return path


def connected(app) -> int:
    return app.session.snapshot().connected_workers if app.session is not None else 0


async def scheduler_in_a_job(shot: Shot) -> None:
    """Two workers connected to a scheduler that runs in a SLURM job: the queue with the
    scheduler's job marked, the job script pane with both scripts, and `q` asking whether to
    leave the cluster running or cancel everything (answered: cancel)."""
    name = shot.job_name()
    shot.job_names.append(f"{name}-scheduler")
    app = shot.app("slurm", site_config(shot, name, "job"))
    async with app.run_test(size=GRID) as pilot:
        await wait(pilot, lambda: app.session is not None, 30, "the session")
        await pilot.press("plus", "plus")
        await wait(pilot, lambda: connected(app) == 2, 120, "2 workers connected")
        queue = app.pane("queue")
        await wait(pilot, lambda: any("⚙ scheduler" in queue.row_text(j.job_id)
                                      for j in app.session.snapshot().jobs), 10,
                   "the scheduler's job marked in the queue")
        app.show_pane("queue")
        await settle(pilot)
        shot.save(app, "placement-queue")
        # Both scripts in full: the job script pane alone (tab layout), tall enough.
        await pilot.resize_terminal(110, 54)
        app.show_pane("script")
        await wait(pilot, lambda: "Scheduler job (scheduler-placement: job)" in str(
            app.pane("script").query_one("#script-preview-text").render()), 10,
            "the scheduler's script under the workers'")
        await settle(pilot)
        shot.save(app, "placement-job-scripts")
        await pilot.resize_terminal(*GRID)
        await pilot.press("q")
        await wait(pilot, lambda: isinstance(app.screen, LeaveOrCancelScreen), 10,
                   "the leave-or-cancel question")
        await settle(pilot, 0.5)
        shot.save(app, "placement-quit")
        await pilot.press("c")
        await pilot.pause(0.2)
    app.shutdown(90)


def lockdown(state: str) -> None:
    subprocess.run(["bash", str(LOCKDOWN), state], check=True, capture_output=True, timeout=30)


def locked_down_already() -> bool:
    out = subprocess.run(["bash", str(LOCKDOWN), "status"], capture_output=True, text=True,
                         timeout=30).stdout
    return "LOCKED_DOWN=yes" in out


async def locked_down(shot: Shot) -> None:
    """The login node locked down (the compute node can open no connection to it): the probe
    says so, and the finding offers to move the scheduler into a batch job (`f`), with the
    interactive-job command as the second option (in the grid, then the pane alone). Needs
    root (nftables)."""
    if os.geteuid() != 0:
        raise RuntimeError("the locked-down mode needs root (tests/testbed/lockdown)")
    name = shot.job_name()
    app = shot.app("slurm", site_config(shot, name))
    async with app.run_test(size=GRID) as pilot:
        await wait(pilot, lambda: app.session is not None, 30, "the session")
        app.show_pane("network")
        network = app.pane("network")
        await wait(pilot, lambda: bool(network.facts), 20, "the interfaces")
        # Locked down only from the probe to the picture: it cuts every other user of the
        # testbed off the login node meanwhile. On already: someone else's, not ours to undo.
        if locked_down_already():
            raise RuntimeError("the testbed is locked down by someone else; try again later")
        lockdown("on")
        try:
            await pilot.press("plus")  # a worker that cannot reach the scheduler here
            await pilot.press("p")
            await wait(pilot, lambda: network.probe is not None, 240, "the probe's verdict")
            await wait(pilot, lambda: has_finding(app, "login-node-locked-down"), 60,
                       "the locked-down finding")
            await show_finding(pilot, app, "login-node-locked-down")
            await settle(pilot)
            shot.save(app, "locked-down-finding")
            # The grid's side slot cuts the explanation: the pane alone shows it and the fix.
            await pilot.resize_terminal(110, 40)
            await settle(pilot)
            shot.save(app, "locked-down-finding-pane")
        finally:
            lockdown("off")
        app._quit()
        await pilot.pause(0.2)
        if isinstance(app.screen, QuitScreen):
            await pilot.press("y")
    app.shutdown(90)


SCENARIOS = {
    "placement-job": scheduler_in_a_job,
    "locked-down-finding": locked_down,
}
