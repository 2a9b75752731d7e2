"""Makes the screenshots in this folder from real runs: a real cluster on the local backend,
and the real SLURM testbed for the failure cases (when `tests/testbed/status` says it is up).

    .venv/bin/python screenshots/make.py [--only NAME ...]

Each scenario drives the real app headless through Textual's Pilot, waits for the state it
shows (workers connected, the rejection view, the time-outs in the logs), and saves the
screen as SVG, plus PNG when cairosvg is installed (`pip install -e '.[screenshots]'`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from hpctui.core.context import LaunchContext  # noqa: E402
from hpctui.core.workspace import Workspace  # noqa: E402
from hpctui.ui.app import HpcTuiApp  # noqa: E402
from hpctui.ui.screens.rejection import RejectionScreen  # noqa: E402


def config(tmp: Path, kind: str, job_name: str, extra: str = "") -> Path:
    path = tmp / f"{kind}.yaml"
    path.write_text(
        "# Dask settings for this cluster (written by hpctui, comments kept)\n"
        f"jobqueue:\n  {kind}:\n"
        f"    name: {job_name}\n"
        "    cores: 1\n"
        "    memory: 1GB\n"
        f"    log-directory: {tmp / 'logs'}\n"
        "    scheduler-options: {dashboard_address: '127.0.0.1:8787'}\n"
        "    worker-extra-args: ['--dashboard-address', '127.0.0.1:0']\n" + extra)
    return path


def make_app(kind: str, path: Path) -> HpcTuiApp:
    return HpcTuiApp(LaunchContext(kind, "screenshot", path, True),
                     workspace_loader=lambda: Workspace.from_config(kind, path, paths=[],
                                                                    environ={}))


async def wait(pilot, condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        await pilot.pause(0.2)
    raise RuntimeError(f"timed out waiting for {what}")


def save(app: HpcTuiApp, name: str) -> None:
    svg = HERE / f"{name}.svg"
    app.save_screenshot(svg.name, str(HERE))
    print(f"wrote {svg.relative_to(HERE.parent)}")
    try:
        import cairosvg
    except ImportError:
        print("  (no PNG: cairosvg is not installed)")
        return
    cairosvg.svg2png(url=str(svg), write_to=str(svg.with_suffix(".png")), output_width=1600)
    print(f"wrote {svg.with_suffix('.png').relative_to(HERE.parent)}")


async def finish(pilot, app: HpcTuiApp) -> None:
    app._quit()
    await pilot.pause(0.2)


async def main_local(tmp: Path) -> None:
    """The main screen: 3 workers on the local backend, connecting live."""
    app = make_app("local", config(tmp, "local", "dask-worker"))
    async with app.run_test(size=(160, 48)) as pilot:
        await wait(pilot, lambda: app.session is not None, 30, "the session")
        await pilot.press("plus", "plus", "plus")
        await wait(pilot, lambda: app.session.snapshot().connected_workers == 3, 60, "3 workers")
        await pilot.pause(1.0)
        save(app, "main-local")
        await finish(pilot, app)
    app.shutdown(60)


async def small_terminal(tmp: Path) -> None:
    """80x24: the panes as tabs (the job script pane)."""
    app = make_app("local", config(tmp, "local", "dask-worker"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait(pilot, lambda: app.pane("script") is not None, 30, "the config")
        await pilot.pause(0.5)
        save(app, "small-terminal")
        await finish(pilot, app)
    app.shutdown(60)


async def rejected(tmp: Path) -> None:
    """SLURM refuses a partition that doesn't exist: the rejection view."""
    name = f"shot-{uuid.uuid4().hex[:6]}"
    app = make_app("slurm", config(tmp, "slurm", name,
                                   "    interface: ib0\n    queue: nosuchpartition\n"))
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await wait(pilot, lambda: app.session is not None, 30, "the session")
            await pilot.press("plus")
            await wait(pilot, lambda: isinstance(app.screen, RejectionScreen), 60, "rejection")
            await pilot.pause(0.5)
            save(app, "rejected-submission")
            await pilot.press("escape")
            await finish(pilot, app)
        app.shutdown(60)
    finally:
        subprocess.run(["scancel", f"--name={name}"], capture_output=True, timeout=20)


async def not_connected(tmp: Path) -> None:
    """No interface: jobs run, workers time out on the default-route address."""
    name = f"shot-{uuid.uuid4().hex[:6]}"
    app = make_app("slurm", config(
        tmp, "slurm", name,
        "    job-script-prologue: ['export DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s']\n"))
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await wait(pilot, lambda: app.session is not None, 30, "the session")
            await pilot.press("plus", "plus")
            await wait(pilot, lambda: app.selected_job is not None and any(
                "Nanny failed to start" in e.text for e in app.logs.lines(app.selected_job)),
                90, "the time-outs in the logs")
            await pilot.pause(1.0)
            save(app, "workers-not-connecting")
            await finish(pilot, app)
        app.shutdown(60)
    finally:
        subprocess.run(["scancel", f"--name={name}"], capture_output=True, timeout=20)


SCENARIOS = {
    "main-local": (main_local, False),
    "small-terminal": (small_terminal, False),
    "rejected-submission": (rejected, True),
    "workers-not-connecting": (not_connected, True),
}


def testbed_up() -> bool:
    status = HERE.parent / "tests" / "testbed" / "status"
    return subprocess.run(["bash", str(status)], capture_output=True).returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS))
    args = parser.parse_args()
    up = testbed_up()
    for name in args.only or SCENARIOS:
        scenario, needs_testbed = SCENARIOS[name]
        if needs_testbed and not up:
            print(f"skipped {name}: the SLURM testbed is not running (sudo bash tests/testbed/start)")
            continue
        with tempfile.TemporaryDirectory(prefix="hpctui-shot-") as tmp:
            os.environ["DASK_CONFIG"] = tmp  # never the user's own config
            asyncio.run(scenario(Path(tmp)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
