"""Detach and reattach for real: hpctui in tmux with the scheduler in a SLURM job and 2 workers;
`tmux kill-server` (the SSH drop: SIGHUP) leaves the jobs in the queue; a new hpctui on the same
profile reattaches and shows 2/2 connected; q + c empties the queue within 15 s."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from needs import need

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(400)]

WORKTREE = Path(__file__).parents[2]


def queued(*names: str) -> list[str]:
    out = subprocess.run(["squeue", "--noheader", f"--name={','.join(names)}", "--format=%i %T"],
                         capture_output=True, text=True, timeout=20, check=True)
    return [line.split()[0] for line in out.stdout.splitlines()
            if line.split()[1] not in ("COMPLETED", "CANCELLED", "FAILED")]


@pytest.fixture
def tmux(tmp_path):
    need(shutil.which("tmux") is not None,
         "tmux is not installed (tests/run installs it when run as root)")
    socket = tmp_path / "tmux.sock"

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-S", str(socket), *args], capture_output=True,
                              text=True, timeout=20, check=check)

    yield run
    run("kill-server", check=False)


def wait_screen(run, name: str, needle: str, timeout: float = 120.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = run("capture-pane", "-p", "-t", name, check=False).stdout
        if needle in screen:
            return screen
        time.sleep(0.3)
    raise AssertionError(f"{needle!r} never appeared on screen; last screen:\n{screen}")


def test_kill_tmux_then_reattach_then_cancel(testbed, tmux, tmp_path):
    name = f"tb-tmux-{uuid.uuid4().hex[:8]}"
    names = (name, f"{name}-scheduler")
    config = tmp_path / "site.yaml"
    config.write_text(
        "# the testbed, scheduler in a job\n"
        "jobqueue:\n"
        "  slurm:\n"
        f"    name: {name}\n"
        "    cores: 1\n"
        "    memory: 1GB\n"
        f"    queue: {testbed.partition}\n"
        "    walltime: '00:15:00'\n"
        "    interface: ib0\n"
        f"    python: {sys.executable}\n"
        f"    log-directory: {tmp_path / 'logs'}\n"
        "    scheduler-placement: job\n"
        "    scheduler-options: {dashboard_address: ':0'}\n"
        "    worker-extra-args: ['--dashboard-address', ':0']\n")
    env = (f"PYTHONPATH={WORKTREE} DASK_CONFIG={tmp_path} HPCTUI_STATE_DIR={tmp_path / 'state'} "
           f"HOME={tmp_path} TERM=xterm-256color")
    command = f"env {env} {sys.executable} -m hpctui --scheduler slurm --config {config}"
    try:
        tmux("new-session", "-d", "-s", "first", "-x", "160", "-y", "48", command)
        screen = wait_screen(tmux, "first", f"scheduler: tcp://{testbed.compute_ib0}:")
        address = screen.split("scheduler: ", 1)[1].split()[0]
        tmux("send-keys", "-t", "first", "3")  # the Workers pane (tabs below 120x36)
        tmux("send-keys", "-t", "first", "+")
        tmux("send-keys", "-t", "first", "+")
        wait_screen(tmux, "first", "2/2 connected", timeout=180)
        jobs = set(queued(*names))
        assert len(jobs) == 3
        # The SSH connection drops: tmux goes, and hpctui gets SIGHUP.
        tmux("kill-server")
        time.sleep(2.0)
        assert set(queued(*names)) == jobs

        tmux("new-session", "-d", "-s", "second", "-x", "160", "-y", "48", command)
        # The same scheduler (no new one was submitted), its workers live again.
        wait_screen(tmux, "second", f"scheduler: {address}")
        tmux("send-keys", "-t", "second", "3")
        wait_screen(tmux, "second", "2/2 connected", timeout=60)
        assert set(queued(*names)) == jobs
        tmux("send-keys", "-t", "second", "q")
        wait_screen(tmux, "second", "leave it running", timeout=20)
        tmux("send-keys", "-t", "second", "c")
        t = time.monotonic()
        while queued(*names) and time.monotonic() - t < 15:
            time.sleep(0.5)
        assert queued(*names) == []
    finally:
        for job_name in names:  # one name a call: `scancel --name=a,b` cancels nothing
            subprocess.run(["scancel", f"--name={job_name}"], capture_output=True, timeout=20)
