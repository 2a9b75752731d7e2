"""Replayed scenarios: failures of batch systems that cannot run on this machine, shown by the
real app with a stand-in submit command that prints the site's captured output.

LSF is proprietary, so Summit's refusal of dask-jobqueue's default LSF script (from the case
study this project starts from, kept in tests/fixtures/diagnosis/summit_bsub_rejection.txt) is
replayed by a stand-in `bsub` on PATH that prints that stdout and stderr and exits with that
code, whatever the script. Everything after it is real: dask-jobqueue renders and submits the
script, hpctui's session catches the refusal, the rejection view and the diagnosis read it.
The README's captions say these pictures are replayed.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from hpctui.core.jobscript.submit_errors import parse_submit_exception
from hpctui.ui.screens.rejection import RejectionScreen

from shots import GRID, ROOT, Shot, has_finding, quit_app, settle, show_finding, wait

SUMMIT_REJECTION = ROOT / "tests" / "fixtures" / "diagnosis" / "summit_bsub_rejection.txt"

# Summit's values from the case study: 42 usable cores, 500 GB, a project, 30 minutes.
SUMMIT_PROFILE = ("    cores: 42\n    memory: 500GB\n    account: GEN119\n    walltime: '00:30'\n"
                  "    use-stdin: false\n")


def stand_in(bin_dir: Path, command: str, captured: Path) -> None:
    """An executable `command` in `bin_dir` that replays the captured failure in `captured`
    (dask-jobqueue's "Command exited with non-zero exit code" text): its stdout, its stderr,
    its exit code."""
    error = parse_submit_exception(RuntimeError(captured.read_text()))
    bin_dir.mkdir(parents=True, exist_ok=True)
    (bin_dir / f"{command}.stdout").write_text(error.stdout)
    (bin_dir / f"{command}.stderr").write_text(error.stderr)
    script = bin_dir / command
    here = shlex.quote(str(bin_dir / command))
    script.write_text(
        "#!/bin/sh\n"
        f"# Stand-in for {command}: replays captured output (hpctui screenshots/scenarios_replay.py)\n"
        f"cat {here}.stdout\ncat {here}.stderr >&2\nexit {error.exit_code}\n")
    script.chmod(0o755)


async def summit_rejection(shot: Shot) -> None:
    """Failure mode 8 on Summit (replayed): bsub refuses `-n` and `-R`; the rejection view marks
    those header lines, and the finding skips them and adds `-nnodes 1`."""
    bin_dir = shot.tmp / "bin"
    stand_in(bin_dir, "bsub", SUMMIT_REJECTION)
    path_before = os.environ["PATH"]
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{path_before}"
    try:
        app = shot.app("lsf", shot.config("lsf", shot.job_name(), SUMMIT_PROFILE, resources=False))
        async with app.run_test(size=GRID) as pilot:
            await wait(pilot, lambda: app.session is not None, 30, "the session")
            await pilot.press("plus")
            await wait(pilot, lambda: isinstance(app.screen, RejectionScreen), 60,
                       "the rejection view")
            await settle(pilot, 0.5)
            shot.save(app, "replay-summit-rejection")
            await pilot.press("escape")
            await wait(pilot, lambda: not isinstance(app.screen, RejectionScreen), 5,
                       "the rejection view closed")
            await wait(pilot, lambda: has_finding(app, "lsf-easy-mode"), 30,
                       "the Summit finding")
            await show_finding(pilot, app, "lsf-easy-mode")
            await settle(pilot)
            shot.save(app, "replay-summit-finding")
            await quit_app(pilot, app)
        app.shutdown(60)
    finally:
        os.environ["PATH"] = path_before


SCENARIOS = {
    "replay-summit-rejection": summit_rejection,
}
