"""The whole app with a real cluster session on the local backend: scale, watch workers connect,
read a job's logs, and quit with no job left running."""

from __future__ import annotations

import os
from pathlib import Path

from hpctui.core.session.context import LaunchContext
from hpctui.core.session.workspace import Workspace
from hpctui.ui.app import HpcTuiApp
from hpctui.ui.screens.quit import QuitScreen
from waits import WAIT_S, pilot_until


def local_config(tmp_path: Path) -> Path:
    path = tmp_path / "local.yaml"
    path.write_text(
        "# laptop test\n"
        "jobqueue:\n"
        "  local:\n"
        "    cores: 1\n"
        "    memory: 1GB\n"
        f"    log-directory: {tmp_path / 'logs'}\n"
        "    scheduler-options: {dashboard_address: '127.0.0.1:0'}\n"
        "    worker-extra-args: ['--dashboard-address', '127.0.0.1:0']\n"
    )
    return path


def make_app(tmp_path: Path, kind: str = "local", config: Path | None = None) -> HpcTuiApp:
    config = config or local_config(tmp_path)
    context = LaunchContext(kind, "test", config, True)
    return HpcTuiApp(context, workspace_loader=lambda: Workspace.from_config(
        kind, config, paths=[], environ={}))


async def wait_for(pilot, condition, timeout: float = WAIT_S, what: str = "condition"):
    await pilot_until(pilot, condition, what, timeout)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


async def test_scale_up_workers_connect_logs_show_and_quit_cancels(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, what="the session")
        await wait_for(pilot, lambda: "scheduler" in str(app.query_one("#status-bar").render()),
                       what="the scheduler address")
        await pilot.press("plus", "plus")
        await wait_for(pilot, lambda: app.session.snapshot().connected_workers == 2,
                       what="2 workers connected")
        await wait_for(pilot, lambda: "2/2 connected" in str(
            app.pane("workers").query_one("#workers-count").render()),
            what="the workers pane to say 2/2")
        jobs = [j.job_id for j in app.session.snapshot().jobs]
        assert app.pane("queue").table.row_count == 2
        # The first job's log is selected and shows the worker's start-up lines.
        await wait_for(pilot, lambda: any("Registered to" in e.text
                                          for e in app.logs.lines(app.selected_job)),
                       what="worker log lines")
        assert app.pane("logs").shown_lines()
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitScreen),
                       what="the quit confirmation")
        assert "cancels the 2 jobs" in str(app.screen.query_one("Static").render())
        await pilot.press("y")
    assert app.shutdown(timeout=60)
    assert not any(_pid_alive(int(j)) for j in jobs)


async def test_leftovers_of_a_killed_hpctui_are_offered_and_cancelled(tmp_path):
    import subprocess

    import sys

    from hpctui.core.batch.cleanup import find_leftovers
    from hpctui.ui.screens.leftovers import LeftoversScreen

    # A real "job" (a local process in its own session), recorded by an hpctui process that
    # is then killed with -9, so nothing cancels it.
    job = subprocess.Popen(["sleep", "300"], start_new_session=True)
    killed = subprocess.run([sys.executable, "-c", (
        "import os, signal\n"
        "from hpctui.core.batch.cleanup import JobRecord\n"
        f"JobRecord('local').add('{job.pid}')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n")], timeout=60)
    assert killed.returncode == -9
    try:
        assert find_leftovers(), "the record should be a leftover"
        app = make_app(tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, LeftoversScreen)
                           and bool(app.screen.query("#leftovers-text")),
                           what="the leftovers question")
            assert str(job.pid) in str(app.screen.query_one("#leftovers-text").render())
            await pilot.press("y")
            await wait_for(pilot, lambda: job.poll() is not None, what="the job cancelled")
            app._quit()
        app.shutdown(60)
        assert find_leftovers() == []
    finally:
        if job.poll() is None:
            job.kill()


class _Notices:
    """Every notice the app shows, as text (the status line moves on; the notice log keeps
    them all)."""

    def __init__(self, app: HpcTuiApp) -> None:
        self.app = app

    def __iter__(self):
        return iter([text for _, text in self.app.notices])

    def __repr__(self) -> str:
        return repr(list(self))


def _notifications(app: HpcTuiApp) -> _Notices:
    return _Notices(app)


def _open_warnings(app: HpcTuiApp) -> list[str]:
    """The rules that fire on the session's signals now: findings about an open scheduler."""
    from hpctui.core.diagnosis import diagnose

    signals = app.collector.signals(app.workspace.applied)
    return [f.rule_id for f in diagnose(signals) if f.rule_id == "scheduler-open-without-tls"]


async def test_first_start_on_the_local_backend_warns_of_nothing(tmp_path):
    # A first start: nothing but where the logs go. hpctui's local defaults put the scheduler,
    # the workers and the dashboard on loopback: the workers are local.
    config = tmp_path / "first.yaml"
    config.write_text(f"jobqueue:\n  local:\n    log-directory: {tmp_path / 'logs'}\n")
    app = make_app(tmp_path, config=config)
    shown = _notifications(app)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, what="the session")
        await pilot.press("plus")
        await wait_for(pilot, lambda: app.session.snapshot().connected_workers == 1,
                       what="a worker connected")
        app.show_pane("network")
        text = lambda: str(app.pane("network").query_one("#net-scheduler").render())  # noqa: E731
        await wait_for(pilot, lambda: "listens on tcp://127.0.0.1:" in text(), 30,
                       what="the scheduler's addresses in the network pane")
        assert "`interface: lo` chose it" in text()
        assert "!" not in text(), text()
        access = lambda: str(app.pane("network").query_one("#net-access").render())  # noqa: E731
        await wait_for(pilot, lambda: "Dashboard: http://127.0.0.1:" in access(), 30,
                       what="the dashboard on loopback")
        assert ":127.0.0.1:" in access()  # ssh -L <port>:127.0.0.1:<port>
        assert not [m for m in shown if "interfaces" in m or "TLS" in m or "loopback" in m], shown
        assert _open_warnings(app) == []
        app._quit()
    assert app.shutdown(30)


async def test_a_user_who_binds_every_interface_is_warned(tmp_path):
    config = tmp_path / "open.yaml"
    config.write_text(f"jobqueue:\n  local:\n    log-directory: {tmp_path / 'logs'}\n"
                      "    scheduler-options: {host: 0.0.0.0}\n")
    app = make_app(tmp_path, config=config)
    shown = _notifications(app)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, what="the session")
        app.show_pane("network")
        text = lambda: str(app.pane("network").query_one("#net-scheduler").render())  # noqa: E731
        await wait_for(pilot, lambda: "listens on tcp://0.0.0.0:" in text(),
                       what="the scheduler's addresses in the network pane")
        assert "without TLS" in text() and "`scheduler-options.host: 0.0.0.0` chose it" in text()
        assert any("all interfaces" in m for m in shown), shown
        await wait_for(pilot, lambda: _open_warnings(app) != [], 30,
                       what="the open-scheduler finding")
        app._quit()
    assert app.shutdown(60)


async def test_sampling_the_scheduler_shows_hpctui_itself_in_the_stacks_pane(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.session is not None
                       and app.session.loop_thread_id is not None, what="the session")
        await wait_for(pilot, lambda: app.pane("stacks") is not None, what="the stacks pane")
        await pilot.press("K")
        stacks = app.pane("stacks")
        await wait_for(pilot, lambda: bool(stacks._labels),
                       what="a sampled process in the stacks pane")
        app._quit()
    assert app.shutdown(60)
