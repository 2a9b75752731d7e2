"""The app with the scheduler in a job (scheduler-placement: job) on the local backend: the
scheduler job in the queue, the hand-off in the Network pane, both scripts in the Job script
pane, q -> leave, a new hpctui reattaches (2/2 connected again), q -> cancel empties it."""

from __future__ import annotations

import os
from pathlib import Path

from hpctui.core.session import state as st
from hpctui.core.session.context import LaunchContext
from hpctui.core.session.workspace import Workspace
from hpctui.ui.app import HpcTuiApp
from hpctui.ui.screens.quit import LeaveOrCancelScreen


def job_config(tmp_path: Path) -> Path:
    path = tmp_path / "local.yaml"
    path.write_text(
        "# laptop test, scheduler in a job\n"
        "jobqueue:\n"
        "  local:\n"
        "    cores: 1\n"
        "    memory: 1GB\n"
        f"    log-directory: {tmp_path / 'logs'}\n"
        "    scheduler-placement: job  # the scheduler in a job of its own\n"
        "    scheduler-idle-timeout: 5 minutes\n"
        "    scheduler-options: {dashboard_address: '127.0.0.1:0'}\n"
        "    worker-extra-args: ['--dashboard-address', '127.0.0.1:0']\n"
    )
    return path


def make_app(config: Path) -> HpcTuiApp:
    context = LaunchContext("local", "test", config, True)
    return HpcTuiApp(context, workspace_loader=lambda: Workspace.from_config(
        "local", config, paths=[], environ={}))


async def wait_for(pilot, condition, timeout: float = 60.0, what: str = "condition"):
    for _ in range(int(timeout / 0.1)):
        if condition():
            return
        await pilot.pause(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def alive(pid: str) -> bool:
    try:
        with open(f"/proc/{int(pid)}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def gone_within(seconds: float, jobs) -> None:
    import time

    deadline = time.monotonic() + seconds
    while any(alive(j) for j in jobs) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [j for j in jobs if alive(j)] == []


def connected_text(app) -> str:
    from textual.css.query import NoMatches

    try:
        return str(app.pane("workers").query_one("#workers-count").render())
    except NoMatches:  # not mounted yet
        return ""


async def test_leave_then_reattach_then_cancel(tmp_path):
    config = job_config(tmp_path)
    app = make_app(config)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, what="the session")
        await wait_for(pilot, lambda: "scheduler in job" in str(
            app.query_one("#status-bar").render()) or app.session.state is not None,
            what="the scheduler job")
        await pilot.press("plus", "plus")
        await wait_for(pilot, lambda: "2/2 connected" in connected_text(app),
                       what="2/2 connected")
        jobs = [j.job_id for j in app.session.snapshot().jobs]
        assert len(jobs) == 3
        queue = app.pane("queue")
        assert any("⚙ scheduler" in queue.row_text(j) for j in jobs)
        handoff = str(app.pane("network").query_one("#net-scheduler").render())
        assert "Client(scheduler_file=" in handoff and "in batch job" in handoff
        preview = app.workspace.preview()
        assert "distributed.cli.dask_worker" in preview.script
        assert "distributed.cli.dask_scheduler" in preview.scheduler_script
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, LeaveOrCancelScreen), timeout=10,
                       what="the leave-or-cancel question")
        await pilot.press("l")
    assert app.shutdown(timeout=60)
    # Left running: every job alive, the state recorded with nobody attached.
    assert all(alive(j) for j in jobs)
    [(path, state, _)] = st.all_states()
    assert set(state.job_ids) == set(jobs) and state.attached == ()

    again = make_app(config)
    async with again.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: "2/2 connected" in connected_text(again),
                       what="2/2 connected after reattaching")
        assert {j.job_id for j in again.session.snapshot().jobs} == set(jobs)
        assert [a.pid for a in st.load(state.key).attached] == [os.getpid()]
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(again.screen, LeaveOrCancelScreen), timeout=10,
                       what="the leave-or-cancel question")
        await pilot.press("c")
    assert again.shutdown(timeout=60)
    gone_within(15, jobs)
    assert st.all_states() == []
