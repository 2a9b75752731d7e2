"""The silent worker in the TUI (part of benchmarks/time_to_verdict.py): a worker held on its
workspace lock, `interface: ib0` right, sampler off. Two figures from one run, through Pilot:

- statement: seconds from the job RUNNING to the Findings pane's plain statement ("running with
  no worker connected; nothing says why yet"), which the app makes once the early probe has
  found the network fine and the job has been silent for doctor's patience (6 s);
- lock named: `f` on that statement (then `y` on the apply preview) re-submits the worker under
  the stack sampler; seconds from that new job RUNNING to the file-lock finding.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

from ttv_cases import _hold_lock
from ttv_doctor_lock import _config


async def ui_silent_lock(tmp: Path, partition: str) -> dict:
    """{"statement": s | None, "named": s | None}; None where the app never got there."""
    from hpctui.core.session.context import LaunchContext
    from hpctui.core.session.workspace import Workspace
    from hpctui.ui.app import HpcTuiApp
    from hpctui.ui.screens.apply import ApplyScreen

    name = f"ttv-uis-{uuid.uuid4().hex[:6]}"
    path = _config(tmp, name, partition)
    release = _hold_lock(tmp / name / "local")()
    app = HpcTuiApp(LaunchContext("slurm", "bench", path, True),
                    workspace_loader=lambda: Workspace.from_config("slurm", path, paths=[],
                                                                   environ={}))
    out: dict = {"statement": None, "named": None}

    def finding(rule_id: str):
        pane = app.pane("findings")
        return next((f for f in pane.findings if f.rule_id == rule_id), None) if pane else None

    def running_since(exclude: set[str]) -> float | None:
        return next((j.running_since for j in app.session.snapshot().jobs
                     if j.running_since and j.job_id not in exclude and j.role != "scheduler"),
                    None)

    async def until(condition, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return True
            await pilot.pause(0.05)
        return False

    try:
        async with app.run_test(size=(160, 48)) as pilot:
            if await until(lambda: app.session is not None, 120):
                await pilot.press("plus")
                if await until(lambda: finding("running-no-worker") is not None, 180):
                    first = {j.job_id for j in app.session.snapshot().jobs}
                    started = running_since(set())
                    out["statement"] = time.monotonic() - started if started else None
                    app.show_pane("findings")
                    app.pane("findings").select_rule("running-no-worker")
                    await pilot.press("f")
                    if await until(lambda: isinstance(app.screen, ApplyScreen), 60):
                        await pilot.press("y")
                        if await until(lambda: finding("nfs-file-locks") is not None, 180):
                            named = time.monotonic()
                            again = running_since(first)
                            out["named"] = named - again if again else None
            app.session.close()
            app.exit()
        app.shutdown(120)
    finally:
        release()
        subprocess.run(["scancel", f"--name={name}"], capture_output=True, timeout=30)
    return out
