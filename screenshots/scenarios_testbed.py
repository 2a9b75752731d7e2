"""Screenshot scenarios on the real SLURM testbed (README: "How the tests get a real SLURM"): the
compute node `cn01` in its own network namespace, reachable from the login node only on `ib0`.
Every scenario names its jobs uniquely; `Shot.cancel_jobs` cancels them whatever happens.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

from hpctui.ui.screens.apply import ApplyScreen
from hpctui.ui.screens.rejection import RejectionScreen

from shots import GRID, Shot, has_finding, log_has, quit_app, settle, show_finding, wait

# Workers give up after 5 s instead of 30 s, so "not connecting" shows quickly.
SHORT_CONNECT = "    job-script-prologue: ['export DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s']\n"


async def rejected(shot: Shot) -> None:
    """Failure mode 8: SLURM refuses a partition that doesn't exist: the rejection view."""
    app = shot.app("slurm", shot.config("slurm", shot.job_name(),
                                        "    interface: ib0\n    queue: nosuchpartition\n"))
    async with app.run_test(size=GRID) as pilot:
        await wait(pilot, lambda: app.session is not None, 30, "the session")
        await pilot.press("plus")
        await wait(pilot, lambda: isinstance(app.screen, RejectionScreen), 60, "rejection")
        await settle(pilot, 0.5)
        shot.save(app, "rejected-submission")
        await pilot.press("escape")
        await quit_app(pilot, app)
    app.shutdown(60)


async def not_connected(shot: Shot) -> None:
    """Failure mode 1: no `interface`: jobs run, workers time out on the default-route address.
    Three pictures: the time-outs in the logs, the finding naming ib0, and its evidence."""
    app = shot.app("slurm", shot.config("slurm", shot.job_name(), SHORT_CONNECT))
    async with app.run_test(size=GRID) as pilot:
        await wait(pilot, lambda: app.session is not None, 30, "the session")
        await pilot.press("plus", "plus")
        await wait(pilot, lambda: log_has(app, "Nanny failed to start"), 90,
                   "the time-outs in the logs")
        # The time-outs are above a long traceback: the logs pane's filter (`/`) shows them.
        app.show_pane("logs")
        await pilot.press("slash", *"to connect", "enter")
        await wait(pilot, lambda: any("Timed out trying to connect" in line
                                      for line in app.pane("logs").shown_lines()), 10,
                   "the filtered log")
        await settle(pilot)
        shot.save(app, "workers-not-connecting")
        await wait(pilot, lambda: has_finding(app, "workers-cannot-reach-scheduler"), 30,
                   "the no-interface finding")
        await show_finding(pilot, app, "workers-cannot-reach-scheduler")
        await settle(pilot)
        shot.save(app, "findings-no-interface")
        await pilot.press("enter")
        await wait(pilot, lambda: type(app.screen).__name__ == "EvidenceScreen", 10,
                   "the evidence view")
        await settle(pilot, 0.5)
        shot.save(app, "findings-evidence")
        await pilot.press("escape")
        await quit_app(pilot, app)
    app.shutdown(60)


async def probe(shot: Shot) -> None:
    """Failure modes 1-3: `p` in the network pane sends a probe job to the compute node; its
    verdict says which login-node address it reached and recommends ib0 (in the grid)."""
    app = shot.app("slurm", shot.config("slurm", shot.job_name()))
    async with app.run_test(size=GRID) as pilot:
        await wait(pilot, lambda: app.session is not None, 30, "the session")
        app.show_pane("network")
        network = app.pane("network")
        await wait(pilot, lambda: bool(network.facts), 20, "the interfaces")
        await pilot.press("p")
        await wait(pilot, lambda: network.probe is not None, 90, "the probe's verdict")
        if network.probe.recommendation is None:
            raise RuntimeError(f"the probe recommends nothing: {network.probe.message}")
        # The cursor on the recommended interface, where Enter would pick it.
        names = [f.name for f in network.facts]
        await pilot.press(*["down"] * names.index(network.probe.recommendation.interface))
        await settle(pilot)
        shot.save(app, "probe-recommends-ib0")
        await quit_app(pilot, app)
    app.shutdown(60)


@contextmanager
def _workspace_lock_held(local: Path):
    """<local>/dask-scratch-space/global.lock held (flock) while inside, as a hung NFS lock
    would be: distributed's WorkSpace takes it before the worker says anything."""
    lock = local / "dask-scratch-space" / "global.lock"
    lock.parent.mkdir(parents=True)
    holder = subprocess.Popen(["flock", str(lock), "-c", "echo held; exec sleep 600"],
                              stdout=subprocess.PIPE, text=True)
    try:
        if holder.stdout.readline().strip() != "held":
            raise RuntimeError("flock did not take the lock")
        yield
    finally:
        holder.kill()
        holder.wait()


async def stacks_file_lock(shot: Shot) -> None:
    """Failure mode 15 (the seed's slow start-up): the worker's workspace lock is held, as a
    hung NFS lock would be; `s` runs the workers under the stack sampler, and the stacks pane
    shows the worker stuck in locket with the fix on `f` (in the grid, then alone)."""
    local = shot.tmp / "local"
    with _workspace_lock_held(local):
        app = shot.app("slurm", shot.config("slurm", shot.job_name(),
                                            f"    interface: ib0\n    local-directory: {local}\n"))
        async with app.run_test(size=GRID) as pilot:
            await wait(pilot, lambda: app.session is not None, 30, "the session")
            app.show_pane("stacks")
            await wait(pilot, lambda: app.pane("stacks") is not None, 10, "the stacks pane")
            app.show_pane("stacks")  # focus inside it, now that it is loaded
            await pilot.press("s")
            sampler = shot.tmp / "logs" / "hpctui-sampler.py"
            await wait(pilot, sampler.exists, 20, "the sampler copied next to the logs")
            await pilot.press("A")
            await wait(pilot, lambda: isinstance(app.screen, ApplyScreen), 20, "the apply view")
            await pilot.press("y")
            await wait(pilot, lambda: "hpctui-sampler" in str(app.workspace.applied.get("python")),
                       30, "the sampler in the applied profile")
            await pilot.press("plus")
            stacks = app.pane("stacks")

            def stuck() -> str | None:
                return next((label for label, found in stacks.findings.items()
                             if any(f.site == "file-lock" for f in found)), None)

            await wait(pilot, lambda: stuck() is not None, 90, "a process stuck in the file lock")
            # The pane selects the worst process itself (until the user picks one).
            await wait(pilot, lambda: stacks.selected_label == stuck(), 10,
                       "the stuck process selected")
            await settle(pilot, 1.5)
            shot.save(app, "stacks-file-lock")
            # The grid's side slot is narrow for a stack: the same pane alone, in the tab layout.
            await pilot.resize_terminal(110, 44)
            await settle(pilot)
            shot.save(app, "stacks-file-lock-pane")
            await quit_app(pilot, app)
        app.shutdown(60)


async def pending_held(shot: Shot) -> None:
    """Failure mode 17: the job pends (held with `--hold`, reason JobHeldUser): dask-jobqueue
    counts it as launched; the queue pane and the finding say it has not started."""
    app = shot.app("slurm", shot.config("slurm", shot.job_name(),
                                        "    interface: ib0\n"
                                        "    job-extra-directives: ['--hold']\n"))
    async with app.run_test(size=GRID) as pilot:
        await wait(pilot, lambda: app.session is not None, 30, "the session")
        await pilot.press("plus")
        await wait(pilot, lambda: any(j.reason == "JobHeldUser"
                                      for j in app.session.snapshot().jobs), 60,
                   "the job pending with reason JobHeldUser")
        await wait(pilot, lambda: has_finding(app, "jobs-pending"), 30, "the pending finding")
        await show_finding(pilot, app, "jobs-pending")
        await settle(pilot)
        shot.save(app, "pending-held")
        await quit_app(pilot, app)
    app.shutdown(60)


async def walltime(shot: Shot) -> None:
    """Failure mode 13: a 1-minute walltime; SLURM kills the connected worker's job at its time
    limit ("CANCELLED ... DUE TO TIME LIMIT" in its log) and the finding proposes --lifetime."""
    app = shot.app("slurm", shot.config("slurm", shot.job_name(),
                                        "    interface: ib0\n    walltime: '00:01:00'\n"))
    async with app.run_test(size=GRID) as pilot:
        await wait(pilot, lambda: app.session is not None, 30, "the session")
        await pilot.press("plus")
        await wait(pilot, lambda: app.session.snapshot().connected_workers == 1, 90, "a worker")
        await wait(pilot, lambda: log_has(app, "DUE TO TIME LIMIT"), 180,
                   "SLURM's time-limit line in the job's log")
        await wait(pilot, lambda: has_finding(app, "walltime-reached"), 30,
                   "the walltime finding")
        await show_finding(pilot, app, "walltime-reached")
        await settle(pilot)
        shot.save(app, "walltime-reached")
        await quit_app(pilot, app)
    app.shutdown(60)


def site_wrapper(bin_dir, real_sbatch: str) -> None:
    """An executable `sbatch` in `bin_dir` as some sites install one: it runs the real sbatch
    (the job is really queued) but prints its own line instead of `Submitted batch job N`."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    wrapper = bin_dir / "sbatch"
    wrapper.write_text(
        "#!/bin/sh\n"
        "# A site's submit wrapper (hpctui screenshots/scenarios_testbed.py): the real sbatch,\n"
        "# its own message instead of the job id.\n"
        f"{shlex.quote(real_sbatch)} \"$@\" >/dev/null || exit $?\n"
        "echo 'Your job has been accepted by the site wrapper. Thank you for computing with us.'\n")
    wrapper.chmod(0o755)


async def job_id_unparsed(shot: Shot) -> None:
    """Failure mode 9: a site's `sbatch` wrapper queues the job for real but prints no job id;
    dask-jobqueue cannot read one: hpctui's finding says so, and that the job may be running
    untracked (the script cancels it by name)."""
    real = shutil.which("sbatch")
    if real is None:
        raise RuntimeError("no sbatch on PATH")
    bin_dir = shot.tmp / "bin"
    site_wrapper(bin_dir, real)
    # hpctui runs sbatch in its own process: the wrapper goes first on this process's PATH.
    path_before = os.environ["PATH"]
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{path_before}"
    try:
        app = shot.app("slurm", shot.config("slurm", shot.job_name(), "    interface: ib0\n"))
        async with app.run_test(size=GRID) as pilot:
            await wait(pilot, lambda: app.session is not None, 30, "the session")
            await pilot.press("plus")
            # Accepted but no id read: a notice and a finding, not the rejection view.
            await wait(pilot, lambda: has_finding(app, "job-id-unparsed"), 60,
                       "the job-id finding")
            await show_finding(pilot, app, "job-id-unparsed")
            await settle(pilot)
            shot.save(app, "job-id-unparsed")
            await quit_app(pilot, app)
        app.shutdown(60)
    finally:
        os.environ["PATH"] = path_before


async def silent_worker(shot: Shot) -> None:
    """A worker that hangs without a word (its workspace lock held), sampler off: about 6 s
    after the early probe found the network fine, the Findings pane states what is known, with
    `f` to re-submit the workers under the stack sampler (the picture: the statement)."""
    local = shot.tmp / "local"
    with _workspace_lock_held(local):
        app = shot.app("slurm", shot.config("slurm", shot.job_name(),
                                            f"    interface: ib0\n    local-directory: {local}\n"))
        async with app.run_test(size=GRID) as pilot:
            await wait(pilot, lambda: app.session is not None, 30, "the session")
            await pilot.press("plus")
            await wait(pilot, lambda: has_finding(app, "running-no-worker"), 120,
                       "the plain statement about the silent job")
            await show_finding(pilot, app, "running-no-worker")
            await settle(pilot, 1.5)
            shot.save(app, "silent-worker-statement")
            await quit_app(pilot, app)
        app.shutdown(90)


SCENARIOS = {
    "silent-worker": silent_worker,
    "rejected-submission": rejected,
    "job-id-unparsed": job_id_unparsed,
    "workers-not-connecting": not_connected,
    "probe-recommends-ib0": probe,
    "stacks-file-lock": stacks_file_lock,
    "pending-held": pending_held,
    "walltime-reached": walltime,
}
