"""The whole app, adaptive on the local backend: `S` with MIN..MAX, the demo workload from the
command palette, the Workers pane's scaling block showing mode, target and each decision, and
nothing left running on `q`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hpctui.core.session.adapt_settings import AdaptSettings
from hpctui.core.session.context import LaunchContext
from hpctui.core.session.workspace import Workspace
from hpctui.ui.app import HpcTuiApp
from hpctui.ui.screens.quit import QuitScreen
from hpctui.ui.screens.scale import ScaleScreen, parse_scale
from waits import pilot_until

pytestmark = pytest.mark.timeout(240)


def adapt_config(tmp_path: Path) -> Path:
    path = tmp_path / "local.yaml"
    path.write_text(
        "jobqueue:\n"
        "  local:\n"
        "    cores: 1\n"
        "    memory: 1GB\n"
        f"    log-directory: {tmp_path / 'logs'}\n"
        "    scheduler-options: {dashboard_address: '127.0.0.1:0'}\n"
        "    worker-extra-args: ['--dashboard-address', '127.0.0.1:0']\n"
        "    adapt: {maximum: 2, interval: 250ms, wait-count: 2, target-duration: 0.5s}\n")
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_parse_scale_fixed_or_adaptive():
    base = AdaptSettings(0, 2, "workers", 0.25, 2, 0.5)
    assert parse_scale(" 3 ") == 3
    assert parse_scale("0..4", base) == AdaptSettings(0, 4, "workers", 0.25, 2, 0.5)
    assert parse_scale("1:3").unit == "jobs"
    with pytest.raises(ValueError, match="adapt.minimum: 5 is more than"):
        parse_scale("5..1")
    with pytest.raises(ValueError, match="workers: 'x' is not a whole number"):
        parse_scale("x")


async def test_adaptive_demo_load_decisions_on_the_workers_pane_and_quit(tmp_path):
    config = adapt_config(tmp_path)
    app = HpcTuiApp(LaunchContext("local", "test", config, True),
                    workspace_loader=lambda: Workspace.from_config("local", config, paths=[],
                                                                   environ={}))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot_until(pilot, lambda: app.session is not None and app.adapt_view is not None
                          and app.adapt_view.adaptive, "the adaptive session")
        block = app.pane("workers").adapt_status
        await pilot_until(pilot, lambda: "adaptive 0..2 jobs" in block.text,
                          "the mode on the Workers pane")
        await pilot.press("S")
        await pilot_until(pilot, lambda: isinstance(app.screen, ScaleScreen), "the scale prompt")
        from textual.widgets import Input

        assert app.screen.query_one(Input).value == "0..2"  # the bounds in force
        app.screen.query_one(Input).value = "0..3"
        await pilot.press("enter")
        await pilot_until(pilot, lambda: "adaptive 0..3 jobs" in block.text,
                          "the new bounds on the Workers pane", explain=lambda: block.text)
        # The command palette's "Start the demo workload".
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "Start the demo workload" in commands
        app.action_demo_load()
        await pilot_until(pilot, lambda: "▲ up to" in block.text, "a scale-up decision shown")
        await pilot_until(pilot, lambda: "demo load: 300/300 tasks — finished" in block.text,
                          "the demo load's progress to the end", timeout=120)
        await pilot_until(pilot, lambda: "▼ down" in block.text, "a scale-down decision shown")
        jobs = [j.job_id for j in app.session.snapshot().jobs]
        assert jobs
        await pilot.press("q")
        if isinstance(app.screen, QuitScreen):
            await pilot.press("y")
    assert app.shutdown(timeout=60)
    assert not any(_alive(int(j)) for j in jobs)


async def test_the_loop_fixture_shows_mode_18_and_after_f_the_demo_runs_without_it(tmp_path):
    """tests/fixtures/adapt/submit-cancel-loop.yaml (processes 2, an odd maximum in workers,
    wait-count 1: see its comment) loops under the demo workload; the Findings pane names it;
    `f`, `y` writes `adapt.unit: jobs` and applies; the demo workload again: no loop."""
    import yaml
    from textual.widgets import DataTable

    from hpctui.ui.app import ConfigWritten
    from hpctui.ui.screens.apply import ApplyScreen

    fixture = Path(__file__).parents[1] / "fixtures" / "adapt" / "submit-cancel-loop.yaml"
    doc = yaml.safe_load(fixture.read_text())
    doc["jobqueue"]["local"].update({
        "log-directory": str(tmp_path / "logs"),
        "scheduler-options": {"dashboard_address": "127.0.0.1:0"},
        "worker-extra-args": ["--dashboard-address", "127.0.0.1:0"]})
    config = tmp_path / "loop.yaml"
    config.write_text(yaml.safe_dump(doc))
    written = []

    class App(HpcTuiApp):
        def on_config_written(self, message: ConfigWritten) -> None:
            written.append(message.outcome)

    app = App(LaunchContext("local", "test", config, True),
              workspace_loader=lambda: Workspace.from_config("local", config, paths=[],
                                                             environ={}))

    def rules() -> list[str]:
        pane = app.pane("findings")
        return [f.rule_id for f in pane.findings] if app._pane_ready(pane) else []

    async with app.run_test(size=(160, 48)) as pilot:
        await pilot_until(pilot, lambda: app.adapt_view is not None and app.adapt_view.adaptive,
                          "the adaptive session")
        app.action_demo_load()
        await pilot_until(pilot, lambda: "submit-cancel-loop" in rules(), "the mode-18 finding",
                          timeout=120)
        findings = app.pane("findings")
        assert findings.select_rule("submit-cancel-loop")
        findings.query_one(DataTable).focus()
        await pilot.press("f")
        assert app.workspace.pending.get("adapt")["unit"] == "jobs"
        await pilot_until(pilot, lambda: isinstance(app.screen, ApplyScreen), "the preview")
        await pilot.press("y")
        await pilot_until(pilot, lambda: written, "the config written")
        assert written[0].ok and "unit: jobs" in config.read_text()
        await pilot_until(pilot, lambda: "adaptive 0..2 jobs" in app.pane("workers")
                          .adapt_status.text, "the fixed bounds in force")
        await pilot_until(pilot, lambda: app.session._cluster is not None, "the new cluster")
        load = app.session.start_demo_load(tasks=150, seconds=0.05)
        await pilot_until(pilot, lambda: load.finished.is_set(), "the demo load again",
                          timeout=120)
        assert load.done == 150
        await pilot_until(pilot, lambda: app.collector.version == app._diagnosed_version,
                          "the last diagnosis")
        assert len(app.collector.signals().cancelled_unstarted) < 3
        assert "submit-cancel-loop" not in rules()
        jobs = [j.job_id for j in app.session.snapshot().jobs]
        await pilot.press("q")
        if isinstance(app.screen, QuitScreen):
            await pilot.press("y")
    assert app.shutdown(timeout=60)
    assert not any(_alive(int(j)) for j in jobs)
