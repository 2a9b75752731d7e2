"""The locked-down login node, solved (failure mode 3), on the SLURM testbed in its locked-down
mode (tests/testbed/lockdown: the compute node reaches only slurmctld's port on the login side).

The mode breaks every other test using the shared testbed while it is on, so it is turned on by
a fixture for this module only and turned off in its teardown whatever happens, and the tests
here are few and short:
- through Pilot: the probe says locked down, `f` on the finding moves the scheduler into a
  job, a worker connects, and a task runs through a Client made from the printed hand-off;
- `hpctui doctor --fix` from a fresh profile ends with exit 0, workers connected, and the
  placement written to the config file with its comments kept.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from needs import need

from hpctui.core.session.context import LaunchContext
from hpctui.core.session.workspace import Workspace

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(600)]

WORKTREE = Path(__file__).parents[2]
LOCKDOWN = WORKTREE / "tests" / "testbed" / "lockdown"


@pytest.fixture(scope="module")
def locked_down(testbed):
    """The testbed in its locked-down mode for this module; always turned off afterwards."""
    need(os.geteuid() == 0, "the locked-down mode needs root (nftables)")
    subprocess.run(["bash", str(LOCKDOWN), "on"], check=True, capture_output=True, timeout=30)
    try:
        yield testbed
    finally:
        subprocess.run(["bash", str(LOCKDOWN), "off"], capture_output=True, timeout=30)


def queued(*names: str) -> list[str]:
    out = subprocess.run(["squeue", "--noheader", f"--name={','.join(names)}", "--format=%i %T"],
                         capture_output=True, text=True, timeout=20, check=True)
    return [line.split()[0] for line in out.stdout.splitlines()
            if line.split()[1] not in ("COMPLETED", "CANCELLED", "FAILED")]


def fresh_config(path: Path, testbed, name: str) -> Path:
    path.write_text(
        "# my site: a login node compute nodes cannot connect to\n"
        "jobqueue:\n"
        "  slurm:\n"
        f"    name: {name}\n"
        "    cores: 1\n"
        "    memory: 1GB  # per worker job\n"
        f"    queue: {testbed.partition}\n"
        "    walltime: '00:10:00'\n"
        "    interface: ib0\n"
        f"    python: {sys.executable}\n"
        f"    log-directory: {path.parent / 'logs'}\n"
        "    scheduler-options: {dashboard_address: ':0'}\n"
        "    worker-extra-args: ['--dashboard-address', ':0']\n")
    return path


async def wait_for(pilot, condition, timeout: float, what: str):
    for _ in range(int(timeout / 0.2)):
        if condition():
            return
        await pilot.pause(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


async def test_probe_says_locked_down_and_f_moves_the_scheduler_into_a_job(locked_down, tmp_path):
    from hpctui.core.network.probe_verdict import LOCKED_DOWN
    from hpctui.ui.app import HpcTuiApp
    from hpctui.ui.screens.apply import ApplyScreen
    from hpctui.ui.screens.quit import LeaveOrCancelScreen

    name = f"tb-locked-{uuid.uuid4().hex[:8]}"
    # Not "hpctui-probe": every session's probe job has that name, other tests' too.
    names = (name, f"{name}-scheduler")
    config = fresh_config(tmp_path / "site.yaml", locked_down, name)
    app = HpcTuiApp(LaunchContext("slurm", "test", config, True),
                    workspace_loader=lambda: Workspace.from_config("slurm", config, paths=[],
                                                                   environ={}))
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_for(pilot, lambda: app.session is not None and app.bridge is not None,
                           60, "the session")
            await pilot.press("plus")  # one worker: it cannot reach the scheduler here
            app.show_pane("network")
            network = app.pane("network")
            await pilot.press("p")
            await wait_for(pilot, lambda: network.probe is not None, 240, "the probe's verdict")
            assert network.probe.verdict == LOCKED_DOWN, network.probe.message
            findings = app.pane("findings")
            await wait_for(pilot, lambda: any(f.rule_id == "login-node-locked-down"
                                              for f in findings.findings), 30, "the finding")
            app.show_pane("findings")
            assert findings.select_rule("login-node-locked-down")
            await pilot.press("f")
            await wait_for(pilot, lambda: isinstance(app.screen, ApplyScreen), 30, "the preview")
            await pilot.press("y")
            await wait_for(pilot, lambda: network.handoff_code != "", 180,
                           "the scheduler in a job and its hand-off")
            assert app.session.placement == "job"
            assert "scheduler-placement: job" in config.read_text()
            await wait_for(pilot, lambda: app.session.snapshot().connected_workers == 1, 180,
                           "the worker connected to the scheduler in a job")
            # The hand-off as printed in the Network pane, run as a user would.
            scope: dict = {}
            exec(network.handoff_code, scope)  # noqa: S102 - hpctui's own printed code
            client = scope["client"]
            try:
                assert client.submit(lambda x: x + 1, 41).result(timeout=60) == 42
            finally:
                client.close()
            await pilot.press("q")
            await wait_for(pilot, lambda: isinstance(app.screen, LeaveOrCancelScreen), 20,
                           "the leave-or-cancel question")
            await pilot.press("c")
        assert app.shutdown(timeout=90)
        assert queued(name, f"{name}-scheduler") == []
    finally:
        for job_name in names:  # one name a call: `scancel --name=a,b` cancels nothing
            subprocess.run(["scancel", f"--name={job_name}"], capture_output=True, timeout=20)


def test_doctor_fix_from_a_fresh_profile(locked_down, tmp_path):
    name = f"tb-lockdoc-{uuid.uuid4().hex[:8]}"
    config = fresh_config(tmp_path / "site.yaml", locked_down, name)
    env = {**os.environ, "PYTHONPATH": str(WORKTREE), "DASK_CONFIG": str(tmp_path / "dask")}
    try:
        out = subprocess.run(
            [sys.executable, "-m", "hpctui", "doctor", "--fix", "--scheduler", "slurm",
             "--config", str(config), "--workers", "1", "--timeout", "120"],
            capture_output=True, text=True, timeout=540, env=env)
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
        assert "scheduler-placement" in out.stdout
        text = config.read_text()
        assert "    scheduler-placement: job\n" in text
        assert text.startswith("# my site: a login node compute nodes cannot connect to\n")
        assert "memory: 1GB  # per worker job" in text
        assert queued(name, f"{name}-scheduler") == []
    finally:
        subprocess.run(["scancel", f"--name={name},{name}-scheduler"], capture_output=True,
                       timeout=20)
