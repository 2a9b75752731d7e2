"""Watch the probe job in the queue, so a probe that dies without reporting is noticed at once.

Without it, a probe whose python does not start on the compute node would leave hpctui waiting for
the whole report timeout. One status query at a time, every few seconds, each with a timeout,
through the kind's module in hpctui/schedulers (kinds without one are simply not watched).
"""

from __future__ import annotations

import asyncio
import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from hpctui.core.logs.tail import read_tail

POLL_SECONDS = 2.0
QUERY_TIMEOUT = 20.0


@dataclass
class JobWatch:
    """What the watcher last learned about the probe job."""

    state: str = ""  # JobState value ("PENDING", "FAILED", ...) or "" before the first answer
    raw_state: str = ""
    reason: str = ""
    ended: bool = False  # final state, or gone from the queue


def scheduler_module(kind: str) -> ModuleType | None:
    """hpctui's module for `kind`, or None when there is none for that batch system yet."""
    try:
        return importlib.import_module(f"hpctui.schedulers.{kind}")
    except ImportError:
        return None


async def _query(module: ModuleType, job_id: str) -> tuple[int | None, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *module.status_command([job_id]), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), QUERY_TIMEOUT)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        return None, "", "timed out"
    except asyncio.CancelledError:
        # Reaped before the task ends: a child left to its loop's end prints "Event loop is
        # closed" when its transport is collected.
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
        raise
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


async def watch_job(kind: str, job_id: str, watch: JobWatch, ended: asyncio.Event,
                    poll_seconds: float = POLL_SECONDS) -> None:
    """Update `watch` until the job ends (then set `ended`) or the task is cancelled."""
    module = scheduler_module(kind)
    if module is None:
        return
    from hpctui.schedulers.base import JobState, ParseError

    # A first look soon after submission catches a job that fails at once (a missing python).
    delay = min(0.5, poll_seconds)
    while True:
        await asyncio.sleep(delay)
        delay = poll_seconds
        try:
            code, out, err = await _query(module, job_id)
        except OSError:
            continue  # status command missing or not executable: no watching, no harm
        if code not in (0, None) and not module.means_no_jobs(code, out, err):
            continue
        try:
            rows = [r for r in module.parse_status(out) if r.job_id == job_id] if code == 0 else []
        except ParseError:
            continue
        if code is None:
            continue
        if not rows:
            watch.state, watch.raw_state, watch.ended = "GONE", "gone from queue", True
        else:
            row = rows[0]
            watch.state, watch.raw_state, watch.reason = row.state.value, row.raw_state, row.reason
            watch.ended = row.state in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)
        if watch.ended:
            ended.set()
            return


def job_log_tail(kind: str, job_id: str, job_name: str, log_directory: str | None,
                 submit_dir: str, n_lines: int = 15) -> str:
    """The end of the probe job's stderr (or combined) log, "" when there is none to read."""
    module = scheduler_module(kind)
    if module is None:
        return ""
    for path in module.log_paths(job_id, job_name, log_directory, submit_dir):
        try:
            lines = read_tail(Path(path), n_lines)
        except OSError:
            continue
        text = "\n".join(line.rstrip("\n") for line in lines).strip()
        if text:
            return f"{path}:\n{text}"
    return ""
