"""The machinery every screenshot scenario shares: a config file in a temp folder, the real app
on it, waiting for a real state, saving the screen as SVG and PNG, and cancelling jobs.

A scenario is `async def scenario(shot: Shot) -> None`: it writes its config with
`shot.config(...)`, drives `shot.app(...)` through Textual's Pilot, waits with `wait(...)` for
what it shows, and calls `shot.save(app, name)`. No scenario sleeps its way to a state: a fixed
pause is only ever added after the state is reached, to let the next redraw land.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hpctui.core.session.context import LaunchContext  # noqa: E402
from hpctui.core.session.workspace import Workspace  # noqa: E402
from hpctui.ui.app import HpcTuiApp  # noqa: E402

GRID = (160, 48)  # large enough for the grid layout: several panes in one picture
PNG_WIDTH = 1600


class ScenarioFailed(RuntimeError):
    """A scenario did not reach the state its screenshot is meant to show."""


@dataclass
class Shot:
    """One scenario's run: its temp folder, where pictures go, and what it wrote."""

    tmp: Path  # config, logs, anything the scenario makes (deleted afterwards)
    out: Path  # where the SVG and PNG files go
    png: bool = True
    written: list[Path] = field(default_factory=list)
    job_names: list[str] = field(default_factory=list)

    def job_name(self, prefix: str = "shot") -> str:
        """A unique batch job name, remembered so `cancel_jobs` can clean up after a crash."""
        name = f"{prefix}-{uuid.uuid4().hex[:6]}"
        self.job_names.append(name)
        return name

    def config(self, kind: str, job_name: str, extra: str = "", resources: bool = True) -> Path:
        """A config file for `kind` in the temp folder: commented, with its own log folder, the
        dashboard on loopback (fixed port 8787) and workers' dashboards on random ports."""
        path = self.tmp / f"{kind}.yaml"
        path.write_text(
            "# Dask settings for this cluster (written by hpctui, comments kept)\n"
            f"jobqueue:\n  {kind}:\n"
            f"    name: {job_name}\n"
            + ("    cores: 1\n    memory: 1GB\n" if resources else "")
            + f"    log-directory: {self.tmp / 'logs'}\n"
            "    scheduler-options: {dashboard_address: '127.0.0.1:8787'}\n"
            "    worker-extra-args: ['--dashboard-address', '127.0.0.1:0']\n" + extra)
        return path

    def app(self, kind: str, path: Path) -> HpcTuiApp:
        """The real app on `path`, reading no other config file."""
        return HpcTuiApp(LaunchContext(kind, "screenshot", path, True),
                         workspace_loader=lambda: Workspace.from_config(kind, path, paths=[],
                                                                        environ={}))

    def save(self, app: HpcTuiApp, name: str) -> None:
        """The app's screen as `<name>.svg`, and `<name>.png` (cairosvg) when `png`."""
        svg = self.out / f"{name}.svg"
        app.save_screenshot(svg.name, str(self.out))
        self.written.append(svg)
        print(f"wrote {svg}")
        if not self.png:
            return
        import cairosvg

        png = svg.with_suffix(".png")
        cairosvg.svg2png(url=str(svg), write_to=str(png), output_width=PNG_WIDTH)
        self.written.append(png)
        print(f"wrote {png}")

    def cancel_jobs(self) -> None:
        """Cancel every batch job this scenario named (a no-op for jobs already gone, or
        where there is no SLURM: the local scenarios that name a job submit nothing)."""
        if shutil.which("scancel") is None:
            return
        for name in self.job_names:
            subprocess.run(["scancel", f"--name={name}"], capture_output=True, timeout=20)


async def wait(pilot, condition, timeout: float, what: str) -> None:
    """Poll `condition` between redraws until it holds; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        await pilot.pause(0.2)
    raise ScenarioFailed(f"timed out after {timeout:.0f} s waiting for {what}")


async def settle(pilot, seconds: float = 1.0) -> None:
    """Let the coalesced redraws (100 ms) and any fade-in land before a picture."""
    await pilot.pause(seconds)


def findings(app: HpcTuiApp) -> list:
    """The findings the pane shows now (none while the pane is still loading)."""
    pane = app.pane("findings")
    return list(pane.findings) if pane is not None else []


def has_finding(app: HpcTuiApp, rule_id: str) -> bool:
    return any(f.rule_id == rule_id for f in findings(app))


def log_has(app: HpcTuiApp, text: str) -> bool:
    """True when the selected job's log holds `text`."""
    return app.selected_job is not None and any(text in e.text for e in app.logs.lines(app.selected_job))


async def show_finding(pilot, app: HpcTuiApp, rule_id: str) -> None:
    """The findings pane in the grid's side slot with `rule_id`'s finding highlighted."""
    app.show_pane("findings")
    await wait(pilot, lambda: app.pane("findings") is not None
               and app.pane("findings").select_rule(rule_id), 10, f"finding {rule_id} selected")


async def quit_app(pilot, app: HpcTuiApp) -> None:
    """Quit as `q` + `y` would: the session cancels its jobs (`app.shutdown` waits for it)."""
    app._quit()
    await pilot.pause(0.2)


async def worker_error_finding(shot: "Shot", extra: str, log_text: str, rule_id: str,
                               name: str, kind: str = "local") -> None:
    """One worker asked for (`+`) under a profile with `extra`; wait for `log_text` in its logs
    and the finding `rule_id`, show the finding, save the picture `name`, quit."""
    app = shot.app(kind, shot.config(kind, "dask-worker", extra))
    async with app.run_test(size=GRID) as pilot:
        await wait(pilot, lambda: app.session is not None, 30, "the session")
        await pilot.press("plus")
        await wait(pilot, lambda: log_has(app, log_text), 60, "the worker's error")
        await wait(pilot, lambda: has_finding(app, rule_id), 30, f"the {rule_id} finding")
        await show_finding(pilot, app, rule_id)
        await settle(pilot)
        shot.save(app, name)
        await quit_app(pilot, app)
    app.shutdown(60)

