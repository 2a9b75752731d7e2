"""hpctui in a real terminal: tmux runs it, keys are sent, and the screen is read back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

HPCTUI = Path(sys.executable).with_name("hpctui")


@pytest.fixture
def tmux(tmp_path):
    if shutil.which("tmux") is None:
        message = "tmux is not installed (tests/run installs it when run as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI=true: this test must run")
        pytest.skip(message + " (not under CI)")
    name = f"hpctui-test-{os.getpid()}"
    socket = tmp_path / "tmux.sock"

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-S", str(socket), *args], capture_output=True,
                              text=True, timeout=20, check=check)

    yield name, run
    run("kill-server", check=False)


def _wait_for(run, name: str, needle: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        out = run("capture-pane", "-p", "-t", name, check=False)
        screen = out.stdout
        if needle in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{needle!r} never appeared on screen; last screen:\n{screen}")


@pytest.mark.parametrize("term", [
    "TERM=xterm-256color",
    # 16 colours and no colour at all: still usable (markers, not colour alone, carry meaning).
    "TERM=xterm NO_COLOR=1",
], ids=["256-colours", "16-colours-NO_COLOR"])
def test_runs_in_tmux_shows_help_and_quits(tmux, tmp_path, term):
    name, run = tmux
    config = tmp_path / "site.yaml"
    config.write_text("# my site\njobqueue:\n  local:\n"
                      "    scheduler-options: {dashboard_address: '127.0.0.1:0'}\n")
    done = tmp_path / "exit-code"
    env = f"DASK_CONFIG={tmp_path} HPCTUI_STATE_DIR={tmp_path} HOME={tmp_path} {term}"
    command = f"env {env} {HPCTUI} --scheduler local --config {config}; echo $? > {done}; sleep 30"
    run("new-session", "-d", "-s", name, "-x", "100", "-y", "30", command)
    screen = _wait_for(run, name, "config:")
    assert "local" in screen and "site.yaml" in screen
    assert "1:Job script" in screen
    _wait_for(run, name, "scheduler")  # the local cluster started (status bar or its notice)
    run("send-keys", "-t", name, "?")
    _wait_for(run, name, "hpctui keys")
    run("send-keys", "-t", name, "Escape")
    time.sleep(0.5)
    run("send-keys", "-t", name, "q")
    deadline = time.monotonic() + 20
    while not done.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert done.exists(), "hpctui did not exit after q"
    assert done.read_text().strip() == "0"
