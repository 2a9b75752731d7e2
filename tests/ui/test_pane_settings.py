"""Pilot tests of the settings pane: edit values, see provenance, bad values kept and named."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from editing_apps import PaneApp, make_workspace
from hpctui.ui.fitted_table import FittedTable
from hpctui.ui.panes.settings import SettingsPane, settings_keys


async def _edit(pilot, app, key: str, text: str) -> None:
    pane = app.query_one(SettingsPane)
    pane.edit_key(key)
    await pilot.pause()
    await pilot.press("ctrl+u", *text, "enter")


def _row(app, key: str) -> list[str]:
    """The row's values whole (a narrow table draws them cut: see test_tables_fit)."""
    table = app.query_one("#settings-table", FittedTable)
    return list(table.whole_row(table.get_row_index(key)))


def _detail(app) -> str:
    return str(app.query_one("#settings-detail", Static).render())


async def test_rows_show_values_and_where_they_come_from(tmp_path):
    ws = make_workspace(tmp_path)
    app = PaneApp(SettingsPane, ws)
    async with app.run_test(size=(120, 40)) as pilot:
        path = str(tmp_path / "site.yaml")
        assert _row(app, "cores") == [" ", "cores", "4", path]
        assert _row(app, "account")[3] == "default"
        assert _row(app, "job-extra-directives")[2:] == [
            "[--exclusive]", path + " (old name: migrates on write)"]
        assert _row(app, "distributed.worker.use-file-locking")[2] == "true"
        notes = str(app.query_one("#settings-notes", Static).render())
        assert "job-extra" in notes and "renamed to job-extra-directives" in notes


async def test_enter_edits_a_value_and_posts_profile_edited(tmp_path):
    ws = make_workspace(tmp_path)
    app = PaneApp(SettingsPane, ws)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one("#settings-table", DataTable)
        table.focus()
        table.move_cursor(row=settings_keys("slurm").index("interface"))
        await pilot.press("enter")
        box = app.query_one("#settings-input", Input)
        assert box.has_focus and box.value == ""
        await pilot.press(*"ib0", "enter")
        assert ws.pending.get("interface") == "ib0"
        assert app.edits == ["interface: 'ib0'"]
        assert table.has_focus
        mark, _, value, source = _row(app, "interface")
        assert (mark, value) == ("*", "ib0") and source.startswith("edited")


async def test_typed_values_get_the_key_s_shape(tmp_path):
    ws = make_workspace(tmp_path)
    app = PaneApp(SettingsPane, ws)
    async with app.run_test(size=(120, 40)) as pilot:
        await _edit(pilot, app, "cores", "8")
        await _edit(pilot, app, "walltime", "02:00:00")
        await _edit(pilot, app, "worker-extra-args", "[--lifetime, 55m]")
        await _edit(pilot, app, "scheduler-options", "{interface: ib0}")
        await _edit(pilot, app, "distributed.worker.use-file-locking", "false")
        await _edit(pilot, app, "account", "")
        p = ws.pending
        assert p.get("cores") == 8
        assert p.get("walltime") == "02:00:00"  # text, not YAML's sexagesimal 7200
        assert p.get("worker-extra-args") == ["--lifetime", "55m"]
        assert p.get("scheduler-options") == {"interface": "ib0"}
        assert p.get("distributed.worker.use-file-locking") is False
        assert p.get("account") is None
        assert len(app.edits) == 5  # account was already unset: no change, no message


async def test_bad_value_is_named_and_what_was_typed_is_kept(tmp_path):
    ws = make_workspace(tmp_path)
    app = PaneApp(SettingsPane, ws)
    async with app.run_test(size=(120, 40)) as pilot:
        await _edit(pilot, app, "memory", "12 GiGs")
        box = app.query_one("#settings-input", Input)
        assert box.has_focus and box.value == "12 GiGs"
        assert "✗ memory: '12 GiGs' is not a size" in _detail(app)
        assert ws.pending.get("memory") == "8GB" and app.edits == []

        await pilot.press("ctrl+u", *"[a, b", "enter")  # not even a value: still named
        assert box.value == "[a, b"
        await pilot.press("escape")
        assert not box.has_focus and ws.pending.get("memory") == "8GB"

        await _edit(pilot, app, "worker-extra-args", "[a, b")
        assert "✗ worker-extra-args: '[a, b' is not a YAML list" in _detail(app)
        await pilot.press("escape")
        await _edit(pilot, app, "interface", "eth9")
        assert "interface: 'eth9' is not a network interface on this host; this host " \
               "has: lo, ib0" in _detail(app)
        await pilot.press("escape")
        await _edit(pilot, app, "distributed.worker.use-file-locking", "maybe")
        assert "must be true or false" in _detail(app)
        assert app.edits == []


async def test_problem_from_the_file_marks_the_row(tmp_path):
    ws = make_workspace(tmp_path, text="jobqueue:\n  slurm:\n    cores: 4\n    memory: 8GB\n"
                                       "    processes: 3\n")
    app = PaneApp(SettingsPane, ws)
    async with app.run_test(size=(120, 40)) as pilot:
        assert _row(app, "processes")[0] == "✗"
        app.query_one(SettingsPane).edit_key("processes")
        await pilot.pause()
        assert "processes: 3 does not divide cores: 4" in _detail(app)
        await pilot.press("ctrl+u", "2", "enter")
        assert _row(app, "processes")[0] == "*"


async def test_narrow_pane_shows_short_sources(tmp_path):
    ws = make_workspace(tmp_path)
    app = PaneApp(SettingsPane, ws)
    async with app.run_test(size=(60, 30)) as pilot:
        assert _row(app, "cores")[3] == "site.yaml"
        assert _row(app, "job-extra-directives")[3] == "site.yaml (old name)"
        await _edit(pilot, app, "queue", "long")
        assert _row(app, "queue")[2:] == ["long", "edited"]
        assert "set by edited (was: " + str(tmp_path / "site.yaml") in _detail(app)
        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        assert _row(app, "cores")[3] == str(tmp_path / "site.yaml")


async def test_hpctui_s_own_keys_show_their_default_when_unset(tmp_path):
    ws = make_workspace(tmp_path)
    app = PaneApp(SettingsPane, ws)
    async with app.run_test(size=(120, 40)) as pilot:
        assert _row(app, "scheduler-placement")[2:] == ["login", "hpctui's default"]
        assert _row(app, "scheduler-idle-timeout")[2:] == ["30 minutes", "hpctui's default"]
        assert _row(app, "security")[2:] == ["false", "hpctui's default"]
        assert _row(app, "account")[2:] == ["", "default"]  # dask-jobqueue's: nothing to show
        app.query_one(SettingsPane).edit_key("scheduler-placement")
        await pilot.pause()
        assert "scheduler-placement = login (not set: hpctui's default)" in _detail(app)
        await pilot.press("escape")
        await _edit(pilot, app, "scheduler-placement", "job")
        path = str(tmp_path / "site.yaml")
        assert _row(app, "scheduler-placement")[2:] == ["job", "edited (was: default)"]
        ws.write()
        assert _row(app, "scheduler-placement")[2] == "job"
        app.query_one(SettingsPane).refresh_view()
        assert _row(app, "scheduler-placement")[2:] == ["job", path]
