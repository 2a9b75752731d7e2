"""The whole app on the local backend: with the stacks pane shown, a connected worker is listed
live with its current stack; when its event loop is blocked it is marked as not answering;
`l` switches live samples off."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import cloudpickle
from textual.widgets import Static

from hpctui.core.session.context import LaunchContext
from hpctui.core.session.workspace import Workspace
from hpctui.ui.fitted_table import FittedTable
from hpctui.ui.app import HpcTuiApp
from hpctui.ui.screens.quit import QuitScreen
from waits import WAIT_S, pilot_until

# block_the_loop runs on the worker, which cannot import this test module: by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


async def block_the_loop(seconds: float) -> None:
    """Runs on the worker's event loop and blocks it."""
    time.sleep(seconds)


def make_app(tmp_path: Path) -> HpcTuiApp:
    config = tmp_path / "local.yaml"
    config.write_text(
        "jobqueue:\n"
        "  local:\n"
        "    cores: 1\n"
        "    memory: 1GB\n"
        f"    log-directory: {tmp_path / 'logs'}\n"
        "    scheduler-options: {dashboard_address: '127.0.0.1:0'}\n"
        "    worker-extra-args: ['--dashboard-address', '127.0.0.1:0']\n"
    )
    return HpcTuiApp(LaunchContext("local", "test", config, True),
                     workspace_loader=lambda: Workspace.from_config("local", config, paths=[],
                                                                    environ={}))


async def wait_for(pilot, condition, timeout: float = WAIT_S, what: str = "condition"):
    await pilot_until(pilot, condition, what, timeout)


def block_worker(scheduler_address: str, worker: str, seconds: float) -> None:
    from distributed import Client

    with Client(scheduler_address, timeout=30) as client:
        client.run(block_the_loop, seconds, wait=False, workers=[worker])


async def test_stacks_pane_lists_the_connected_worker_live(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, what="the session")
        await pilot.press("plus")
        await wait_for(pilot, lambda: app.session.snapshot().connected_workers == 1,
                       timeout=120, what="a worker connected")
        worker = app.session.snapshot().workers[0]
        label = f"live {worker.name}"
        await pilot.press("8")
        stacks = app.pane("stacks")

        def text(selector: str) -> str:
            return str(stacks.query_one(selector, Static).render())

        await wait_for(pilot, lambda: label in stacks.summaries and stacks.selected_label == label,
                       what="the live worker in the stacks pane")
        table = stacks.query_one("#stacks-list", FittedTable)
        assert table.whole_row(0) == ("✓", label)  # drawn cut in a narrow list
        assert text("#stacks-state").startswith(
            f"live: worker {worker.name} (job {worker.job_id}) at {worker.address}, pid ")
        assert "✓ not stuck; now in selectors.py:select" in text("#stacks-state")
        assert "selectors.py:select" in text("#stacks-current")
        assert "base_events.py:run_forever" in text("#stacks-current")
        assert "live: on (l)" in text("#stacks-sampler")
        # The key is in the footer, the help screen and the palette (they list pane bindings).
        assert any(c.title == "Stacks: Live samples on/off (l)"
                   for c in app.get_system_commands(app.screen))

        # The worker's event loop blocked for 10 s: the next round gets no answer.
        await asyncio.to_thread(block_worker, app._status.scheduler_address, worker.address,
                                10.0)
        # Only while it is blocked (10 s): a worker that answers again is no longer marked.
        await wait_for(pilot, lambda: stacks.live[label].silent_for() is not None, timeout=15,
                       what="the worker marked as not answering")
        await wait_for(pilot, lambda: table.whole_row(0) == ("?", label),
                       what="the worker's row marked ?")
        assert "no answer in 3 s" in text("#stacks-state")
        assert "event loop blocked?" in text("#stacks-state")
        assert "worker's event loop not answering" in text("#stacks-finding")
        assert [(r.source, r.finding.site) for r in stacks.stack_reports()] == \
            [(label, "no-answer")]
        # Free again: it answers, and the mark goes.
        await wait_for(pilot, lambda: stacks.live[label].silent_for() is None,
                       what="the worker answering again")

        # l: live samples off, the live entry goes.
        table.focus()
        await pilot.press("l")
        await wait_for(pilot, lambda: label not in stacks.summaries and not stacks.live_on,
                       what="the live entry gone")
        assert "live: off (l)" in text("#stacks-sampler")
        # A tick passes (one that is off starts a fresh window): nothing comes back while off.
        window = app._live_window
        await wait_for(pilot, lambda: app._live_window is not window, what="a live tick")
        assert label not in stacks.summaries
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitScreen),
                       what="the quit confirmation")
        await pilot.press("y")
    assert app.shutdown(timeout=60)
