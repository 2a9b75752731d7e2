"""The stacks pane with live workers next to the recorded files' processes: markers, order,
the silent worker's state line, the reports for diagnosis and the ReportsChanged message."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from editing_apps import make_workspace
from findings_inputs import all_summaries, recording_app
from hpctui.core.stacks.live import LiveSamples, WorkerLive
from hpctui.core.stacks.live_window import LiveWindow
from hpctui.core.stacks.samples import Frame, Sample
from hpctui.ui.panes.stacks import StacksPane

LOOP = (Frame("/usr/lib/python3.11/asyncio/base_events.py", "run_forever", 608),
        Frame("/usr/lib/python3.11/selectors.py", "select", 468))


def worker(name: str, t: float, answered: bool) -> WorkerLive:
    samples = tuple(Sample(t + i / 20, LOOP) for i in range(20)) if answered else ()
    return WorkerLive(f"tcp://10.0.0.5:{4000 + int(name[-1])}", name, "17", answered, samples,
                      "cn01", 4242)


async def test_live_workers_listed_with_the_files_and_a_silent_one_marked(tmp_path):
    ws = make_workspace(tmp_path)
    window = LiveWindow()
    window.add(LiveSamples(100.0, 1.0, 20.0, 3.0, (worker("w-0", 100.0, True),
                                                    worker("w-1", 100.0, True))))
    window.add(LiveSamples(103.0, 1.0, 20.0, 3.0, (worker("w-0", 103.0, True),
                                                    worker("w-1", 103.0, False))))
    changed = []

    class App(type(recording_app(StacksPane, ws))):
        def on_stacks_pane_reports_changed(self, message: StacksPane.ReportsChanged) -> None:
            changed.append(message)

    app = App()
    async with app.run_test(size=(140, 45)) as pilot:
        pane = app.query_one(StacksPane)
        pane.update_samples(all_summaries())
        await pilot.pause()
        assert len(changed) == 1  # the file-lock finding
        pane.update_live(window.view())
        await pilot.pause()
        assert len(changed) == 2  # the silent worker
        table = app.query_one("#stacks-list", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        # Worst first: the file lock, the slow imports, then the silent live worker.
        assert rows[2] == ["?", "live w-1"]
        assert ["✓", "live w-0"] in rows
        assert pane.select("live w-1")
        await pilot.pause()
        state = str(app.query_one("#stacks-state", Static).render())
        assert state.startswith("? worker w-1 (job 17): no answer in 3 s, silent for ")
        assert "worker's event loop not answering" in str(
            app.query_one("#stacks-finding", Static).render())
        reports = {(r.source, r.finding.site, r.job_id) for r in pane.stack_reports()}
        assert ("live w-1", "no-answer", "17") in reports
        assert ("vm 29394 (worker process)", "file-lock", None) in reports
        pane.select("live w-0")
        await pilot.pause()
        state = str(app.query_one("#stacks-state", Static).render())
        assert state.splitlines() == [
            "live: worker w-0 (job 17) at tcp://10.0.0.5:4000, pid 4242 on cn01",
            "✓ not stuck; now in selectors.py:select:468"]
        # The same live round again changes no finding: no new message.
        pane.update_live(window.view())
        await pilot.pause()
        assert len(changed) == 2
        # l: off, the live workers go; updates that still arrive are ignored.
        table.focus()
        await pilot.press("l")
        await pilot.pause()
        assert not any(label.startswith("live ") for label in pane.summaries)
        pane.update_live(window.view())
        assert not pane.live
