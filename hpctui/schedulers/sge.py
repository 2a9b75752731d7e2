"""Sun/Son of/Univa Grid Engine: `qstat -xml -r` for this user's jobs, its parser, log paths.

Plain qstat cannot be limited to a list of ids (`-j` prints a different, long report), so we
list the user's jobs and `base.merge_rows` keeps this session's. SGE drops a job from qstat the
moment it ends: finished jobs become "gone from queue" (qacct would know the exit status, but
only where accounting is readable). `-r` adds the hard requests, for the h_rt time limit. The
XML gives the start time but not the elapsed time, so `elapsed` stays empty.
"""

from __future__ import annotations

import getpass
from pathlib import Path

from hpctui.schedulers.base import (
    JobRow,
    JobState,
    check_job_ids,
    load_xml,
    parse_duration,
)

KIND = "sge"


def _state(raw: str) -> tuple[JobState, str]:
    """SGE's state letters combine: E error, d deletion, h hold, s/S/T suspended, t transferring,
    r running, R restarted, q queued, w waiting."""
    if "E" in raw:
        # Error states never leave the queue by themselves: the job will not run.
        return JobState.FAILED, "error state: `qstat -j <id>` shows why"
    if "d" in raw:
        return JobState.COMPLETING, "being deleted"
    if "h" in raw:
        return JobState.PENDING, "held"
    if any(c in raw for c in "sST"):
        return JobState.PENDING, "suspended"
    if "t" in raw:
        return JobState.PENDING, "transferring to its node"
    if "r" in raw:
        return JobState.RUNNING, ""
    if "q" in raw or "w" in raw:
        return JobState.PENDING, ""
    return JobState.UNKNOWN, ""


def status_command(job_ids: list[str]) -> list[str]:
    """One `qstat` call for the current user's jobs, with hard requests."""
    check_job_ids(job_ids)
    return ["qstat", "-xml", "-r", "-u", getpass.getuser()]


def means_no_jobs(exit_code: int | None, stdout: str, stderr: str) -> bool:
    """qstat prints empty lists (exit 0) when the user has no jobs: nothing to recognise."""
    return False


def parse_status(text: str) -> list[JobRow]:
    """Rows from `qstat -xml -r`; ParseError when it is not that XML."""
    if not text.strip():
        return []
    root = load_xml(text, "qstat -xml", "job_info")
    rows = []
    for job in root.iter("job_list"):
        raw = (job.findtext("state") or "").strip()
        state, reason = _state(raw)
        queue = (job.findtext("queue_name") or "").strip()
        limit = ""
        for req in job.findall("hard_request"):
            if req.get("name") == "h_rt":
                limit = (req.text or "").strip()
        rows.append(JobRow(
            job_id=(job.findtext("JB_job_number") or "").strip(),
            state=state,
            raw_state=raw,
            reason=reason,
            # "all.q@cn001.cluster" -> the host after the @
            nodes=queue.split("@", 1)[1] if "@" in queue else "",
            time_limit=limit,
            name=(job.findtext("JB_name") or "").strip(),
            time_limit_s=parse_duration(limit),
        ))
    return rows


def log_paths(job_id: str, job_name: str, log_directory: str | None, submit_dir: str) -> list[Path]:
    """`<name>.o<id>`: dask-jobqueue's header joins stderr into stdout (`-j y`) and runs in the
    submit directory (`-cwd`); with `log-directory` it is in that folder (`-o <dir>/`)."""
    return [Path(log_directory or submit_dir) / f"{job_name or 'worker'}.o{job_id}"]
