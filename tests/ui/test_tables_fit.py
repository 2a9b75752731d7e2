"""At 120x40 (a laptop terminal over SSH) each table keeps what matters whole: the Queue its
node and elapsed time, Workers the host, Settings "set by"; Findings titles end with `…` after
a word, and the line under a table shows the cursor row's cut values whole."""

from __future__ import annotations

from findings_inputs import real_findings
from hpctui.ui.columns import ELLIPSIS
from main_screen import (CONNECTED_JOBS, CONNECTED_WORKERS, FAILING_JOBS, MainScreen, Scene,
                         make_workspace)
from waits import pilot_until

SIZE = (120, 40)


def drawn(table) -> list[str]:
    """The table's lines as on screen (header first)."""
    return ["".join(s.text for s in table.render_line(y)).rstrip()
            for y in range(min(table.size.height, table.row_count + 1))]


async def _ready(pilot):
    await pilot_until(pilot, lambda: pilot.app.ready, "the scene drawn")
    await pilot.pause()


async def test_queue_keeps_node_and_elapsed_whole_and_workers_keep_host(tmp_path):
    scene = Scene(jobs=CONNECTED_JOBS + FAILING_JOBS, workers=CONNECTED_WORKERS, expected=4,
                  not_connected=["4103"], log_job="4103")
    app = MainScreen(make_workspace(tmp_path), scene)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot)
        queue = app.pane("queue").table
        assert queue.size.width < 60  # a grid column, not the whole screen
        lines = drawn(queue)
        assert "node" in lines[0].split() and "elapsed" in lines[0].split()
        assert "cn-017" in lines[1].split() and "1:15" in lines[1].split()
        assert "4103 ✗ no worker cn-017 1:04" in " ".join(lines[3].split())  # all whole
        assert "limit 30:00" in app.pane("queue").query_one("#queue-summary").text
        workers = app.pane("workers").table
        lines = drawn(workers)
        assert "host" in lines[0].split()
        assert "10.213.7.17" in lines[1].split() and "10.213.7.18" in lines[2].split()
        for table in (queue, workers):
            for line in drawn(table):
                for word in line.split():
                    # a cut value ends after a whole word: "…" stands alone or follows one
                    assert ELLIPSIS not in word[:-1], (table.id, line)
            # What the narrow table gave up is on the line under it, whole.
            if 0 in table.fitted_widths:
                hidden = table.columns[table.fitted_widths.index(0)]
                assert hidden + ": " in table.detail.text


async def test_settings_keep_set_by_and_findings_titles_end_after_a_word(tmp_path):
    ws = make_workspace(tmp_path)
    scene = Scene(findings=real_findings(ws.pending), side="settings")
    app = MainScreen(ws, scene)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot)
        settings = app.pane("settings").query_one("#settings-table")
        assert settings.size.width < 60
        header = [str(c.label) for c in settings.ordered_columns]
        assert "set by" in header and "key" in header
        source = header.index("set by")
        assert [str(c) for c in settings.get_row("cores")][source] == "site.yaml"

        await pilot.press("escape")
        app.area.show("findings")
        await pilot.pause()
        table = app.pane("findings").query_one("#findings-table")
        header = [str(c.label) for c in table.ordered_columns]
        title = header.index("problem")
        cut = 0
        for i, finding in enumerate(app.pane("findings").findings):
            shown = str(table.get_row_at(i)[title])
            whole = finding.title
            if shown != whole:
                cut += 1
                assert shown.endswith(ELLIPSIS)
                kept = shown[:-1]
                assert whole.startswith(kept) and whole[len(kept)] in " /,;=", (shown, whole)
            assert len(shown) <= table.ordered_columns[title].width
        assert cut  # at this width some titles are long enough to be cut
