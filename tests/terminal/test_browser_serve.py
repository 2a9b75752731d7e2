"""`hpctui serve` in a real browser: Debian's chromium, driven by Playwright, on the local backend.

The page renders hpctui, `+` twice gives two connected workers, and closing the tab leaves no
job (the local backend's job is a bash process: its pid) and no worker process (every
process of the job's session) behind, nor the app textual-serve started for the tab.

The screen is read from what the server sends the page (the terminal output over the
WebSocket, escape sequences taken out), so the test does not depend on xterm.js's renderer
(WebGL, canvas or DOM). Playwright's own browser download is not reachable from these
machines: it runs /usr/bin/chromium (tests/run installs it as root).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from needs import need

from waits import POLL_S, WAIT_S, wait_until

pytestmark = pytest.mark.timeout(240)

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).parents[2]
# --headless is Playwright's (headless=True); the profile is the test's own, fresh directory.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ESCAPES = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
                     rb"|\x1b[()][0-9A-Za-z]|\x1b[=>78DEHMc]")
JOB_LOG = re.compile(r"-(\d+)\.err$")


class Screen:
    """Everything the server sent the page, as text without escape sequences."""

    def __init__(self) -> None:
        self._data = bytearray()
        self._lock = threading.Lock()

    def add(self, payload) -> None:
        with self._lock:
            self._data += payload if isinstance(payload, bytes) else payload.encode()

    @property
    def text(self) -> str:
        with self._lock:
            return ESCAPES.sub(b"", bytes(self._data)).decode("utf-8", "replace")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _sessions_alive(sids: set[int]) -> list[str]:
    """Processes (not zombies) whose session is one of `sids`: "pid cmdline"."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) in sids:
            found.append(f"{entry.name} {cmd.strip()}")
    return found


def _children(pid: int) -> list[str]:
    """Live processes whose parent is `pid`: "pid cmdline"."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[1]) == pid:
            found.append(f"{entry.name} {cmd.strip()}")
    return found


def page_until(page, condition, what: str, explain=None) -> None:
    """wait_until for what the page receives: Playwright's sync API delivers its events
    (the WebSocket's frames) only while one of its calls runs, so the pause between two
    looks is one."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            detail = f": {explain()}" if explain is not None else ""
            raise AssertionError(f"timed out after {WAIT_S:.0f} s waiting for {what}{detail}")
        page.wait_for_timeout(POLL_S * 1000 * 5)


@pytest.fixture
def served(tmp_path):
    """`hpctui serve` on a free port, local backend; yields (url, process, log directory)."""
    logs = tmp_path / "logs"
    config = tmp_path / "site.yaml"
    config.write_text("jobqueue:\n  local:\n"
                      f"    log-directory: {logs}\n"
                      "    scheduler-options: {dashboard_address: '127.0.0.1:0'}\n")
    env = {**os.environ, "DASK_CONFIG": str(tmp_path), "HPCTUI_STATE_DIR": str(tmp_path),
           "HOME": str(tmp_path), "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}
    proc = subprocess.Popen([sys.executable, "-m", "hpctui", "serve", "--port", "0",
                             "--scheduler", "local", "--config", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        first = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", first)
        assert match, f"hpctui serve said {first!r}"
        yield f"http://127.0.0.1:{match.group(1)}/", proc, logs
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_serve_in_chromium_two_workers_then_close_the_tab(served, tmp_path):
    need(CHROMIUM.exists(), "chromium is not installed (tests/run installs it when run as root)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "playwright is not installed (pip install -e '.[test]')")
    url, server, logs = served
    screen = Screen()
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True,
            args=ARGS, viewport={"width": 1600, "height": 1000})
        try:
            page = context.new_page()
            page.on("websocket", lambda ws: ws.on("framereceived", screen.add))
            page.goto(url)
            # The app is up, then its local cluster (the status bar names the scheduler).
            page_until(page, lambda: "config:" in screen.text, "hpctui's screen in the page",
                       explain=lambda: screen.text[-2000:])
            assert "1:Job script" in screen.text
            page_until(page, lambda: "scheduler: tcp://" in screen.text, "the local cluster started",
                       explain=lambda: screen.text[-2000:])
            page.locator("#terminal").click()
            page.keyboard.type("+")
            page.keyboard.type("+")
            page_until(page, lambda: "2/2 connected" in screen.text, "two connected workers",
                       explain=lambda: screen.text[-3000:])
            jobs = {int(m.group(1)) for p in logs.glob("*.err")
                    if (m := JOB_LOG.search(p.name))}
            assert len(jobs) == 2, sorted(logs.iterdir())
            assert all(_alive(j) for j in jobs)
            assert _sessions_alive(jobs)  # the jobs' worker processes, found the same way
            page.close()  # the tab goes: textual-serve ends the app, which cancels its jobs
            wait_until(lambda: not any(_alive(j) for j in jobs), "the jobs to end",
                       explain=lambda: str([j for j in jobs if _alive(j)]))
            wait_until(lambda: not _sessions_alive(jobs), "no worker process left",
                       explain=lambda: "\n".join(_sessions_alive(jobs)))
            wait_until(lambda: not [c for c in _children(server.pid) if "-m hpctui" in c],
                       "the tab's hpctui to exit",
                       explain=lambda: "\n".join(_children(server.pid)))
        finally:
            context.close()
