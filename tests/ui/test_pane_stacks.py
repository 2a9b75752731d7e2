"""Pilot tests of the stacks pane on the recorded sample files (tests/fixtures/stacks): the
process list worst first, stuck in the file lock, the hot tree, f applies the fix, s switches
the sampler in the profile, and watch_directory reads files in a worker thread."""

from __future__ import annotations

import shutil

from textual.widgets import DataTable, Static

from editing_apps import make_workspace
from findings_inputs import STACKS, all_summaries, summary
from hpctui.core.jobscript.render import render_job_script
from hpctui.core.stacks import sampler_wiring
from hpctui.core.stacks.samples import window_samples
from hpctui.ui.panes.stacks import StacksPane
from hpctui.ui.panes.stacks_text import bar, hot_tree, stack_lines
from waits import pilot_until

LOCK = "vm 29394 (worker process)"
CONFIG = """\
jobqueue:
  slurm:
    cores: 4
    memory: 8GB
    python: /usr/bin/python3
    log-directory: {logs}
"""


def _text(app, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


def test_hot_tree_of_the_lock_recording():
    s = summary("lock-worker")
    tree = hot_tree(window_samples(s.file.samples, s.window_seconds))
    top = tree[0]
    assert top.depth == 0 and top.frame == "locket/__init__.py:_lock_file_blocking:52"
    assert top.share > 0.9
    # Its callers follow, indented, with the lock's caller chain into distributed.
    assert [t.depth for t in tree[1:3]] == [1, 2]
    assert tree[1].frame.startswith("locket/__init__.py:")
    roots = [t for t in tree if t.depth == 0]
    assert [r.count for r in roots] == sorted((r.count for r in roots), reverse=True)
    assert sum(r.count for r in roots) <= len(s.file.samples)
    # Only the top frame and frames with >= 5% get their callers listed.
    for a, b in zip(tree, tree[1:]):
        if b.depth > 0 and a.depth == 0:
            assert a is top or a.share >= 0.05


def test_bar_and_stack_lines():
    assert bar(1.0) == "█" * 10 and bar(0.0) == " " * 10 and bar(0.55) == "█████▌    "
    s = summary("lock-worker")
    lines = stack_lines(s.current.stack, limit=3)
    assert lines[0].startswith("… ") and lines[-1] == "locket/__init__.py:_lock_file_blocking:52"


async def test_list_worst_first_stuck_and_finding(tmp_path):
    ws = make_workspace(tmp_path)
    from findings_inputs import recording_app
    app = recording_app(StacksPane, ws)
    async with app.run_test(size=(140, 45)) as pilot:
        pane = app.query_one(StacksPane)
        pane.update_samples(all_summaries())
        await pilot.pause()
        table = app.query_one("#stacks-list", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows[0] == ["✗", LOCK]
        assert rows[1][0] == "!" and "30916" in rows[1][1]  # the slow imports
        assert {r[0] for r in rows[2:]} <= {"✓", "·"}
        assert pane.selected_label == LOCK
        state = _text(app, "#stacks-state")
        assert state.startswith("✗ stuck for 14 s in locket/__init__.py:_lock_file_blocking:52")
        finding = _text(app, "#stacks-finding")
        assert "worker stuck taking a file lock" in finding
        assert "★ f: turn off worker file locking" in finding
        assert "locket/__init__.py:_lock_file_blocking:52" in _text(app, "#stacks-current")
        hot = _text(app, "#stacks-hot")
        assert " 98% █████████▊ locket/__init__.py:_lock_file_blocking:52" in hot
        # Selection kept across an update.
        pane.select("vm 29689 (worker process)")
        pane.update_samples(all_summaries())
        await pilot.pause()
        assert pane.selected_label == "vm 29689 (worker process)"
        assert _text(app, "#stacks-state").startswith("✓ not stuck; now in selectors.py:select")
        assert "✓ no known hang site" in _text(app, "#stacks-finding")
        pane.select("vm 29684 (main process)")
        await pilot.pause()
        assert _text(app, "#stacks-state") == "· ended (exit); last in selectors.py:select:468"


async def test_a_stuck_process_appearing_later_is_selected_until_the_user_picks(tmp_path):
    ws = make_workspace(tmp_path)
    from findings_inputs import recording_app
    app = recording_app(StacksPane, ws)
    everything = all_summaries()
    healthy = {k: v for k, v in everything.items() if k != LOCK and "30916" not in k}
    async with app.run_test(size=(140, 45)) as pilot:
        pane = app.query_one(StacksPane)
        pane.update_samples(healthy)
        await pilot.pause()
        first = pane.selected_label
        assert first is not None and first != LOCK
        pane.update_samples(everything)  # the stuck worker shows up: it goes on top, selected
        await pilot.pause()
        assert pane.selected_label == LOCK
        # The user moves down with the keys: that pick survives the next polls.
        app.query_one("#stacks-list", DataTable).focus()
        await pilot.press("down")
        await pilot.pause()
        picked = pane.selected_label
        assert picked != LOCK
        pane.update_samples(everything)
        await pilot.pause()
        assert pane.selected_label == picked


async def test_f_applies_the_lock_fix_and_requests_apply(tmp_path):
    ws = make_workspace(tmp_path)
    from findings_inputs import recording_app
    app = recording_app(StacksPane, ws)
    async with app.run_test(size=(140, 45)) as pilot:
        pane = app.query_one(StacksPane)
        pane.update_samples(all_summaries())
        pane.query_one("#stacks-list", DataTable).focus()
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        assert ws.pending.distributed["worker.use-file-locking"] is False
        assert "export DASK_DISTRIBUTED__WORKER__USE_FILE_LOCKING=False" in render_job_script(ws.pending)
        assert app.applies == 1 and len(app.edits) == 1
        ws.undo()
        assert not ws.can_undo  # one step
        # The slow-import finding has advice only: f changes nothing.
        pane.select("vm 30916 (main process)")
        await pilot.pause()
        assert "f changes nothing" in _text(app, "#stacks-finding")
        assert "100% ██████████ /tmp/smp/imp/slowpkg/__init__.py:<module>:2" in \
            _text(app, "#stacks-hot")
        before = ws.pending
        await pilot.press("f")
        await pilot.pause()
        assert ws.pending == before and app.applies == 1
        assert "no configuration change" in _text(app, "#stacks-status")


async def test_s_switches_the_sampler_in_the_job_script(tmp_path):
    logs = tmp_path / "logs"
    ws = make_workspace(tmp_path, text=CONFIG.format(logs=logs))
    from findings_inputs import recording_app
    app = recording_app(StacksPane, ws)
    async with app.run_test(size=(120, 40)) as pilot:
        assert _text(app, "#stacks-sampler").startswith("sampler off")
        await pilot.press("s")
        await pilot.pause()
        script = render_job_script(ws.pending)
        # The start-up watcher in front of the sampler (no --abort-after: the UI kills nothing).
        assert (f"/usr/bin/python3 -I -S {logs}/hpctui-startwatch.py --out {logs}/hpctui-stacks"
                f" -- {logs}/hpctui-sampler.py --out {logs}/hpctui-stacks") in script
        assert "--abort-after" not in script
        assert _text(app, "#stacks-sampler").startswith("★ sampler ON")
        assert app.edits and app.applies == 0  # on for the NEXT apply
        await app.workers.wait_for_complete()
        assert (logs / "hpctui-sampler.py").read_bytes() == \
            sampler_wiring.SAMPLER_SOURCE.read_bytes()
        assert (logs / "hpctui-startwatch.py").is_file() and (logs / "hpctui_procview.py").is_file()
        await pilot.press("s")
        await pilot.pause()
        assert ws.pending.get("python") == "/usr/bin/python3"
        assert _text(app, "#stacks-sampler").startswith("sampler off")


async def test_s_without_log_directory_names_the_key(tmp_path):
    ws = make_workspace(tmp_path)
    from findings_inputs import recording_app
    app = recording_app(StacksPane, ws)
    async with app.run_test(size=(120, 40)) as pilot:
        before = ws.pending
        await pilot.press("s")
        await pilot.pause()
        assert ws.pending == before and app.edits == []
        assert "log-directory" in _text(app, "#stacks-status")


async def test_watch_directory_reads_files_in_a_thread(tmp_path):
    out = tmp_path / "hpctui-stacks"
    out.mkdir()
    shutil.copy(STACKS / "lock-worker.stacks", out / "vm-29394.stacks")
    ws = make_workspace(tmp_path)
    from findings_inputs import recording_app
    app = recording_app(StacksPane, ws)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(StacksPane)
        pane.watch_directory(out, interval=0.2)
        await pilot_until(pilot, lambda: pane.summaries, "the recording read")
        assert list(pane.summaries) == [LOCK]
        # The recording ended long ago but has no end record: judged "now", still stuck.
        assert _text(app, "#stacks-state").startswith("✗ stuck for ")
        shutil.copy(STACKS / "healthy-worker.stacks", out / "vm-29689.stacks")
        await pilot_until(pilot, lambda: len(pane.summaries) == 2, "the second recording read")
        assert set(pane.summaries) == {LOCK, "vm 29689 (worker process)"}
        assert pane.selected_label == LOCK
        assert [(r.source, r.finding.site) for r in pane.stack_reports()] == [(LOCK, "file-lock")]


def test_hot_path_finds_the_import_that_crawls():
    from hpctui.ui.panes.stacks_text import hot_path
    s = summary("slow-imports")
    path = hot_path(window_samples(s.file.samples, s.window_seconds))
    # Every innermost frame differs (one module each), but all samples run through the
    # package's __init__ importing them.
    assert any(p.frame == "/tmp/smp/imp/slowpkg/__init__.py:<module>:2" for p in path)
    assert all(p.share >= 0.5 for p in path)
    lock = summary("lock-worker")
    assert hot_path(window_samples(lock.file.samples, lock.window_seconds))[-1].frame == \
        "locket/__init__.py:_lock_file_blocking:52"


async def test_live_sampler_on_a_held_file_lock(tmp_path):
    """The real sampler runs a process that blocks in locket on a lock this test holds: the pane,
    polling the sampler's directory, shows it stuck in the lock, and f turns file
    locking off. (The seed's case, on one machine; the testbed test does it with a worker.)"""
    import fcntl
    import subprocess
    import sys

    from hpctui.core.stacks.sampler_wiring import SAMPLER_SOURCE

    out = tmp_path / "stacks"
    lock_path = tmp_path / "global.lock"
    (tmp_path / "holdlock.py").write_text(
        "import sys\nimport locket\nlocket.lock_file(sys.argv[1]).acquire()\n")
    held = open(lock_path, "w")
    fcntl.flock(held, fcntl.LOCK_EX)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, str(SAMPLER_SOURCE), "--out", str(out),
                             "--rate", "20", "-m", "holdlock", str(lock_path)], env=env)
    ws = make_workspace(tmp_path)
    from findings_inputs import recording_app
    app = recording_app(StacksPane, ws)
    try:
        async with app.run_test(size=(140, 45)) as pilot:
            pane = app.query_one(StacksPane)
            pane.watch_directory(out, interval=0.5, stuck_after=2.0)
            await pilot_until(pilot, lambda: pane.selected_finding is not None,
                              "the process shown stuck", explain=lambda: _text(app, "#stacks-state"))
            assert pane.selected_finding.site == "file-lock"
            assert _text(app, "#stacks-state").startswith("✗ stuck for ")
            assert "locket/__init__.py:_lock_file_blocking" in _text(app, "#stacks-state")
            pane.query_one("#stacks-list", DataTable).focus()
            await pilot.press("f")
            await pilot.pause()
            assert ws.pending.distributed["worker.use-file-locking"] is False
            assert app.applies == 1
    finally:
        proc.kill()
        proc.wait(timeout=10)
        held.close()


async def test_samples_given_before_mounting_are_drawn(tmp_path):
    ws = make_workspace(tmp_path)
    from findings_inputs import recording_app

    def early(workspace):
        pane = StacksPane(workspace)
        pane.update_samples(all_summaries())
        return pane

    app = recording_app(early, ws)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.query_one(StacksPane).selected_label == LOCK
