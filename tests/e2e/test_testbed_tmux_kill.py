"""The terminal goes away: hpctui runs in a real tmux on both batch systems, one worker's job is
queued, then `tmux kill-server` (the SSH connection dropping: SIGHUP). Within 15 s the batch
system holds no job of it (squeue / qstat checked by the job's name).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from needs import need

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(180)]

ROOT = Path(__file__).parents[2]


def test_tmux_kill_server_leaves_no_job(batch, tmp_path):
    need(shutil.which("tmux") is not None, "tmux is not installed (tests/run installs it as root)")
    name = batch.name("tmux")
    config = tmp_path / "site.yaml"
    config.write_text(f"jobqueue:\n  {batch.kind}:\n    name: {name}\n    cores: 1\n"
                      f"    memory: 1GB\n    queue: {batch.queue}\n    interface: ib0\n"
                      f"    log-directory: {tmp_path / 'logs'}\n"
                      "    scheduler-options: {dashboard_address: '127.0.0.1:0'}\n")
    socket = tmp_path / "tmux.sock"

    def tmux(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-S", str(socket), *args], capture_output=True,
                              text=True, timeout=20, check=check)

    env = (f"DASK_CONFIG={tmp_path} HPCTUI_STATE_DIR={tmp_path} HOME={tmp_path} "
           f"PYTHONPATH={os.environ.get('PYTHONPATH', ROOT)} TERM=xterm-256color")
    tmux("new-session", "-d", "-s", "hpctui", "-x", "160", "-y", "48",
         f"env {env} {sys.executable} -m hpctui --scheduler {batch.kind} --config {config}")
    try:
        deadline = time.monotonic() + 90
        while not batch.queued(name):
            assert time.monotonic() < deadline, tmux("capture-pane", "-p", check=False).stdout
            # `+` until the app is up and takes it: one worker, one job.
            tmux("send-keys", "-t", "hpctui", "+", check=False)
            time.sleep(2)
        tmux("kill-server", check=False)
        t = time.monotonic()
        left = batch.wait_queue_empty(name, 15)
        assert left == [], f"still queued {time.monotonic() - t:.1f} s after kill-server: {left}"
    finally:
        tmux("kill-server", check=False)
        batch.cancel_name(name)
