"""OAR: `oarstat -J -j <id> ...` for this session's jobs, its parser, log paths.

With `-j`, oarstat also shows finished jobs (Terminated, Error), so an end is seen with its exit
code. Field names changed between OAR 2.5 (`startTime`) and OAR 3 (`start_time`); both are read.
oarstat -J gives the start time but not the current time, so `elapsed` stays empty. A job deleted
with oardel ends in Error with a FRAG_JOB_REQUEST event: that one is reported CANCELLED.
"""

from __future__ import annotations

from pathlib import Path

from hpctui.schedulers.base import (
    JobRow,
    JobState,
    ParseError,
    check_job_ids,
    format_duration,
    load_json,
)

KIND = "oar"
# No pre-flight check (hpctui/core/jobscript/preflight.py): said in one line, never faked.
PREFLIGHT_NONE = "OAR has no check that queues nothing (oarsub always queues the job)"

STATES: dict[str, JobState] = {
    "Waiting": JobState.PENDING,
    "Hold": JobState.PENDING,
    "toLaunch": JobState.PENDING,
    "toAckReservation": JobState.PENDING,
    "Launching": JobState.PENDING,
    "Suspended": JobState.PENDING,
    "Resuming": JobState.PENDING,
    "Running": JobState.RUNNING,
    "Finishing": JobState.COMPLETING,
    "toError": JobState.COMPLETING,
    "Terminated": JobState.DONE,  # refined by exit_code below
    "Error": JobState.FAILED,
}


def status_command(job_ids: list[str]) -> list[str]:
    """One `oarstat` call, `-j` repeated for each id, as JSON."""
    argv = ["oarstat", "-J"]
    for job_id in check_job_ids(job_ids):
        argv += ["-j", job_id]
    return argv


def means_no_jobs(exit_code: int | None, stdout: str, stderr: str) -> bool:
    """oarstat prints an empty object for unknown ids: nothing to recognise."""
    return False


def parse_status(text: str) -> list[JobRow]:
    """Rows from `oarstat -J`; ParseError when it is not a JSON object of jobs."""
    if not text.strip():
        return []
    jobs = load_json(text, "oarstat -J")
    if not isinstance(jobs, dict):
        raise ParseError(f"oarstat -J output is not an object of jobs: {text[:200]!r}")
    rows = []
    for key, job in jobs.items():
        raw = str(job.get("state", ""))
        state = STATES.get(raw, JobState.UNKNOWN)
        reason = ""
        code = job.get("exit_code")
        if raw == "Terminated" and code not in (None, 0):
            # OAR stores the shell's wait status: exit code in the high byte, signal in the low.
            status, signal = int(code) >> 8, int(code) & 0x7F
            state = JobState.FAILED
            reason = f"killed by signal {signal}" if signal else f"exit code {status}"
        elif raw == "Error":
            frag = any(e.get("type") == "FRAG_JOB_REQUEST" for e in job.get("events") or [])
            state = JobState.CANCELLED if frag else JobState.FAILED
            reason = "deleted (oardel)" if frag else "error: `oarstat -f -j <id>` and its events say why"
        elif raw == "Hold":
            reason = "held"
        walltime = job.get("walltime")
        limit_s = float(walltime) if isinstance(walltime, (int, float)) else None
        rows.append(JobRow(
            job_id=str(job.get("id", job.get("Job_Id", key))),
            state=state,
            raw_state=raw,
            reason=reason,
            nodes=",".join(job.get("assigned_network_address") or []),
            time_limit=format_duration(limit_s),
            name=str(job.get("name") or ""),
            time_limit_s=limit_s,
        ))
    return rows


def log_paths(job_id: str, job_name: str, log_directory: str | None, submit_dir: str) -> list[Path]:
    """stderr then stdout: OAR's defaults `OAR.<name>.<id>.stderr|.stdout` (`OAR.<id>.*` for an
    unnamed job) in the directory oarsub ran from; dask-jobqueue's OAR header sets no log path."""
    stem = f"OAR.{job_name}.{job_id}" if job_name else f"OAR.{job_id}"
    return [Path(submit_dir) / f"{stem}.stderr", Path(submit_dir) / f"{stem}.stdout"]
