"""The app starts on the local backend, shows its batch system and config file, and quits with q."""

from pathlib import Path

from hpctui.core.context import LaunchContext
from hpctui.ui.app import HpcTuiApp


def _context(tmp_path: Path) -> LaunchContext:
    return LaunchContext(
        kind="local", detection_reason="chosen for the test",
        config_path=tmp_path / "hpctui.yaml", config_explicit=True,
    )


async def test_starts_shows_facts_and_quits(tmp_path):
    app = HpcTuiApp(_context(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        status = app.query_one("#status-bar")
        text = str(status.render())
        assert "local" in text and str(tmp_path / "hpctui.yaml") in text
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
