"""Test helper: the profile (a Dask config file) an end-to-end test writes for a real testbed, and
the app opened on it and quit.

Every testbed test needs the same `jobqueue.<kind>` section: its own job name (so its jobs can
be found and cancelled), one core and 1 GB per worker (the one compute node is shared by all the
tests running at once), its own log folder next to the file, and dashboards on free loopback
ports (two tests' schedulers must not fight over 8787). Each test adds only what it is about
(a queue, an interface or none, a python, a comment that must survive a write, extra keys).
"""

from __future__ import annotations

import os
from pathlib import Path

LOOPBACK_DASHBOARDS = (
    "    scheduler-options: {dashboard_address: '127.0.0.1:0'}\n"
    "    worker-extra-args: ['--dashboard-address', '127.0.0.1:0']\n")


def write_profile(path: Path, name: str, *, kind: str = "slurm", comment: str | None = None,
                  name_comment: str | None = None, queue: str | None = None,
                  walltime: str | None = None, interface: str | None = None,
                  python: str | os.PathLike | None = None, extra: str = "",
                  dashboards: bool = True) -> Path:
    """Write the profile to `path` (logs go to `<its folder>/logs`) and return `path`.

    `comment` is a first line (`# ...`) and `name_comment` one after the job name, for tests
    that check hpctui keeps comments; `extra` is more key lines, indented as the section's;
    None leaves a key out (no `interface`, say, is what some tests are about)."""
    lines = [f"# {comment}"] if comment else []
    lines += ["jobqueue:", f"  {kind}:",
              f"    name: {name}" + (f"   # {name_comment}" if name_comment else ""),
              "    cores: 1", "    memory: 1GB"]
    if queue is not None:
        lines.append(f"    queue: {queue}")
    if walltime is not None:
        lines.append(f"    walltime: '{walltime}'")
    if interface is not None:
        lines.append(f"    interface: {interface}")
    lines.append(f"    log-directory: {path.parent / 'logs'}")
    if python is not None:
        lines.append(f"    python: {python}")
    text = "\n".join(lines) + "\n" + extra + (LOOPBACK_DASHBOARDS if dashboards else "")
    path.write_text(text)
    return path


def app_on(path: Path, kind: str = "slurm"):
    """The real app on the profile at `path`, reading no other config file."""
    from hpctui.core.session.context import LaunchContext
    from hpctui.core.session.workspace import Workspace
    from hpctui.ui.app import HpcTuiApp

    return HpcTuiApp(LaunchContext(kind, "test", path, True),
                     workspace_loader=lambda: Workspace.from_config(kind, path, paths=[],
                                                                    environ={}))


async def quit_app(pilot, app) -> None:
    """`q`, and `y` when the app asks whether to quit and cancel the jobs (`app.shutdown` then
    waits for the cancel)."""
    from hpctui.ui.screens.quit import QuitScreen

    await pilot.press("q")
    await pilot.pause(0.3)
    if isinstance(app.screen, QuitScreen):
        await pilot.press("y")
