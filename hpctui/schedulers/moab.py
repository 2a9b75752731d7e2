"""Moab (on Torque/PBS): `showq --xml` for this user's jobs, its parser; log paths as PBS's.

showq takes no job list, so it lists all of the user's jobs in three queues (active, eligible,
blocked); `base.merge_rows` keeps only this session's. Finished jobs leave showq at once and
become "gone from queue". dask-jobqueue's MoabJob is a PBSJob (`-e <dir>/ -o <dir>/`), and keeps
the first number of msub's output ("Moab.5103" -> "5103"), so rows are keyed by that number.
"""

from __future__ import annotations

import getpass
import re
from pathlib import Path

from hpctui.schedulers import pbs
from hpctui.schedulers.base import (
    JobRow,
    JobState,
    check_job_ids,
    format_duration,
    load_xml,
)

KIND = "moab"
# No pre-flight check (hpctui/core/jobscript/preflight.py): said in one line, never faked.
PREFLIGHT_NONE = "Moab has no check that queues nothing (msub always queues the job)"

STATES: dict[str, JobState] = {
    "Idle": JobState.PENDING,
    "Starting": JobState.PENDING,
    "Staging": JobState.PENDING,
    "Staged": JobState.PENDING,
    "Hold": JobState.PENDING,
    "UserHold": JobState.PENDING,
    "SystemHold": JobState.PENDING,
    "BatchHold": JobState.PENDING,
    "Deferred": JobState.PENDING,
    "Blocked": JobState.PENDING,
    "NotQueued": JobState.PENDING,
    "Migrated": JobState.PENDING,
    "Suspended": JobState.PENDING,
    "Running": JobState.RUNNING,
    "Completed": JobState.DONE,
    "Removed": JobState.CANCELLED,
    "Vacated": JobState.FAILED,
}


def status_command(job_ids: list[str]) -> list[str]:
    """One `showq` call for the current user's jobs (it cannot be given ids)."""
    check_job_ids(job_ids)
    return ["showq", "--xml", "-w", f"user={getpass.getuser()}"]


def means_no_jobs(exit_code: int | None, stdout: str, stderr: str) -> bool:
    """showq lists nothing (exit 0) when the user has no jobs: no special exit to recognise."""
    return False


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def parse_status(text: str) -> list[JobRow]:
    """Rows from `showq --xml`; ParseError when it is not that XML."""
    if not text.strip():
        return []
    root = load_xml(text, "showq --xml", "Data")
    rows = []
    for queue in root.iter("queue"):
        for job in queue.iter("job"):
            raw_id = job.get("JobID", "")
            number = re.search(r"\d+", raw_id)
            raw = job.get("State", "")
            state = STATES.get(raw, JobState.UNKNOWN)
            reason = job.get("BlockReason", "") or job.get("BlockMsg", "")
            if not reason and state is JobState.PENDING:
                reason = queue.get("option", "")  # "eligible": waits for resources
            elapsed_s = _seconds(job.get("AWDuration"))
            limit_s = _seconds(job.get("ReqAWDuration"))
            rows.append(JobRow(
                job_id=number.group(0) if number else raw_id,
                state=state,
                raw_state=raw,
                reason=reason,
                nodes=job.get("MasterHost", ""),
                elapsed=format_duration(elapsed_s),
                time_limit=format_duration(limit_s),
                name=job.get("JobName", ""),
                elapsed_s=elapsed_s,
                time_limit_s=limit_s,
            ))
    return rows


def log_paths(job_id: str, job_name: str, log_directory: str | None, submit_dir: str) -> list[Path]:
    """As PBS: `<name>.e<id>` and `<name>.o<id>` in the log directory or where msub ran."""
    return pbs.log_paths(job_id, job_name, log_directory, submit_dir)
