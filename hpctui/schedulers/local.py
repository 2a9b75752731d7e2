"""hpctui's local backend (hpctui/core/batch/localjob.py): each job is a bash process, its id the pid.

Status comes from `ps`; a pid that is no longer there has finished (the generic
"gone from queue" rule in `base.merge_rows`). A zombie has exited and only waits to be reaped.
"""

from __future__ import annotations

from pathlib import Path

from hpctui.schedulers.base import JobRow, JobState, ParseError, check_job_ids, parse_duration

KIND = "local"
# No pre-flight check (hpctui/core/jobscript/preflight.py): said in one line, never faked.
PREFLIGHT_NONE = "the local backend runs the script with bash: there is no batch system to ask"

# First letter of ps's STAT column (procps): what the process is doing.
STATES: dict[str, JobState] = {
    "R": JobState.RUNNING,
    "S": JobState.RUNNING,  # sleeping: a waiting worker is still a running job
    "D": JobState.RUNNING,
    "I": JobState.RUNNING,
    "T": JobState.PENDING,  # stopped (SIGSTOP): like a suspended batch job
    "t": JobState.PENDING,
    "Z": JobState.DONE,
    "X": JobState.DONE,
}


def status_command(job_ids: list[str]) -> list[str]:
    """One `ps` call for all pids."""
    ids = check_job_ids(job_ids)
    for j in ids:
        if not j.isdigit():
            raise ValueError(f"local job id {j!r} is not a pid")
    return ["ps", "-o", "pid=,stat=,etime=", "-p", ",".join(ids)]


def means_no_jobs(exit_code: int | None, stdout: str, stderr: str) -> bool:
    """ps exits 1, silently, when none of the pids exists: every job has ended."""
    return exit_code == 1 and not stderr.strip()


def parse_status(text: str) -> list[JobRow]:
    """Rows from `ps -o pid=,stat=,etime=` output."""
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 3 or not fields[0].isdigit():
            raise ParseError(f"ps line is not 'pid stat etime': {line!r}")
        pid, stat, etime = fields
        rows.append(JobRow(
            job_id=pid,
            state=STATES.get(stat[0], JobState.UNKNOWN),
            raw_state=stat,
            nodes="localhost",
            elapsed=etime,
            elapsed_s=parse_duration(etime),
        ))
    return rows


def log_paths(job_id: str, job_name: str, log_directory: str | None, submit_dir: str) -> list[Path]:
    """stderr then stdout: `<log-directory>/<job-name>-<pid>.err|.out`, as BashLocalJob writes them
    (in its default log folder when the profile sets none)."""
    if not log_directory:
        # Imported here: localjob pulls in dask-jobqueue, which the parsers don't need.
        from hpctui.core.batch.localjob import default_log_directory

        log_directory = default_log_directory()
    base = Path(log_directory) / f"{job_name or 'worker'}-{job_id}"
    return [base.with_name(base.name + ".err"), base.with_name(base.name + ".out")]
