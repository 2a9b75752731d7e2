"""The app starts on the local backend, shows its batch system and config file, and quits with q."""

from pathlib import Path

from hpctui.core.session.context import LaunchContext
from hpctui.ui.app import HpcTuiApp
from hpctui.ui.layout import PaneArea
from hpctui.ui.panes.statusbar import StatusBar
from hpctui.ui.screens.help import HelpScreen
from waits import pilot_until


def _context(tmp_path: Path) -> LaunchContext:
    # The app starts a real (local) cluster once the config loads: keep its dashboard on
    # loopback and a free port.
    path = tmp_path / "hpctui.yaml"
    path.write_text("jobqueue:\n  local:\n    scheduler-options: {dashboard_address: '127.0.0.1:0'}\n")
    return LaunchContext(
        kind="local", detection_reason="chosen for the test",
        config_path=path, config_explicit=True,
    )


async def test_starts_shows_facts_and_quits(tmp_path):
    app = HpcTuiApp(_context(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        text = str(app.query_one(StatusBar).render())
        assert "local" in text and "hpctui.yaml" in text
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def _all_mounted(pilot, area):
    # Panes after the first mount right after the first frame.
    await pilot_until(pilot, lambda: all(p.is_mounted for p in area._panes), "every pane mounted")


async def test_small_terminal_shows_one_pane_large_shows_grid(tmp_path):
    app = HpcTuiApp(_context(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        area = app.query_one(PaneArea)
        await _all_mounted(pilot, area)
        assert not area.grid
        shown = [p.PANE_ID for p in area.query(".pane.-shown")]
        assert len(shown) == 1
        await pilot.press("2")
        assert [p.PANE_ID for p in area.query(".pane.-shown")] == [app._panes[1].PANE_ID]
    app = HpcTuiApp(_context(tmp_path))
    async with app.run_test(size=(160, 48)) as pilot:
        area = app.query_one(PaneArea)
        await _all_mounted(pilot, area)
        assert area.grid
        assert len(list(area.query(".pane.-shown"))) >= 2


async def test_help_lists_keys(tmp_path):
    app = HpcTuiApp(_context(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        assert "Quit" in text and "Filter" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_command_palette_lists_every_action(tmp_path):
    app = HpcTuiApp(_context(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await _all_mounted(pilot, app.query_one(PaneArea))
        # The editing panes too (they mount once the config is read).
        await pilot_until(pilot, lambda: app.pane("script") is not None
                          and app.pane("settings") is not None, "the editing panes")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for expected in ("Apply", "+1 worker", "Scale to N", "Quit", "Help",
                         "Logs: Filter", "Network: Probe from a compute node"):
            assert any(expected in t for t in titles), (expected, titles)


async def test_a_notice_gives_the_status_line_back_to_the_ssh_command(tmp_path, monkeypatch):
    import hpctui.ui.app as app_module

    monkeypatch.setattr(app_module, "NOTICE_S", 0.5)
    app = HpcTuiApp(_context(tmp_path))
    async with app.run_test(size=(160, 48)) as pilot:
        status = app.query_one(StatusBar)
        # The real local cluster starts: its dashboard gives the command.
        await pilot_until(pilot, lambda: status.tunnel_command, "the dashboard's ssh command")
        assert status.tunnel_command.startswith("ssh ")
        app.notice("something happened")
        assert "something happened" in str(status.render())
        # Diagnosis may post its own notice meanwhile (once per new finding): each expires.
        await pilot_until(pilot, lambda: "laptop: ssh " in str(status.render()),
                          "the notice to expire", explain=lambda: str(status.render()))
        assert "something happened" not in str(status.render())
        await pilot.press("q")
        await pilot.pause()


async def test_leaving_the_app_any_way_closes_its_session(tmp_path):
    # Not through q: the app ends (an exception, a closed browser tab, a test) and its
    # session must not go on running a scheduler, a poller and a log follower.
    app = HpcTuiApp(_context(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot_until(pilot, lambda: app.session is not None, "the session")
    assert app.session.wait_closed(60)


async def test_a_worker_submitted_again_for_its_scheduler_job_is_a_notice(tmp_path):
    # The session publishes JobReplacing(by="placement") when a worker submitted together with
    # its scheduler job gave up waiting (tests/e2e/test_testbed_workers_ahead.py proves that on
    # SLURM); here: the event reaches the notices, and adapt's own replacements do not (the
    # Workers pane's scaling block shows those).
    from hpctui.core.session import events as ev

    app = HpcTuiApp(_context(tmp_path))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot_until(pilot, lambda: app.session is not None, "the session")
        bus = app.session._bus
        bus.publish(ev.JobReplacing(job_id="41", why="walltime"))
        bus.publish(ev.JobReplacing(job_id="42", why="its worker gave up waiting for the "
                                    "scheduler file", by="placement"))
        await pilot_until(pilot, lambda: any("job 42" in text for _, text in app.notices),
                          "the placement notice", explain=lambda: str(app.notices))
        assert not any("job 41" in text for _, text in app.notices)
        await pilot.press("q")
        await pilot.pause()
