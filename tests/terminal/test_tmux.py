"""hpctui in a real terminal: tmux runs it, keys are sent, and the screen is read back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from needs import need

from waits import WAIT_S, wait_until

HPCTUI = Path(sys.executable).with_name("hpctui")


@pytest.fixture
def tmux(tmp_path):
    need(shutil.which("tmux") is not None,
         "tmux is not installed (tests/run installs it when run as root)")
    name = f"hpctui-test-{os.getpid()}"
    socket = tmp_path / "tmux.sock"

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-S", str(socket), *args], capture_output=True,
                              text=True, timeout=20, check=check)

    yield name, run
    run("kill-server", check=False)


def _screen(run, name: str) -> str:
    return run("capture-pane", "-p", "-t", name, check=False).stdout


def _wait_for(run, name: str, needle: str, present: bool = True) -> str:
    """The screen once `needle` is on it (or, with present=False, once it is gone)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        screen = _screen(run, name)
        if (needle in screen) == present:
            return screen
        if time.monotonic() > deadline:
            state = "never appeared on" if present else "never left"
            raise AssertionError(f"{needle!r} {state} the screen; last screen:\n{screen}")
        time.sleep(0.2)


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
    _wait_for(run, name, "hpctui keys", present=False)
    run("send-keys", "-t", name, "q")
    # The shell creates the file before it writes the code into it: wait for the code.
    wait_until(lambda: done.exists() and done.read_text().strip(), "hpctui to exit after q",
               explain=lambda: _screen(run, name))
    assert done.read_text().strip() == "0"
