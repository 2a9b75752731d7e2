"""SLURM: `squeue` for this session's jobs, its parser, and where the job logs go."""

from __future__ import annotations

from pathlib import Path

from hpctui.schedulers.base import JobRow, JobState, ParseError, check_job_ids, parse_duration

KIND = "slurm"

# id|state|reason|nodes|elapsed|time limit|name: the name last, so a "|" in it cannot shift the
# other fields; a reason may hold commas ("ReqNodeNotAvail, UnavailableNodes:cn01") but not "|".
FORMAT = "%i|%T|%r|%N|%M|%l|%j"

STATES: dict[str, JobState] = {
    "PENDING": JobState.PENDING,
    "CONFIGURING": JobState.PENDING,  # nodes allocated and booting: no worker yet
    "REQUEUED": JobState.PENDING,
    "REQUEUE_HOLD": JobState.PENDING,
    "REQUEUE_FED": JobState.PENDING,
    "RESV_DEL_HOLD": JobState.PENDING,
    "SUSPENDED": JobState.PENDING,  # has nodes, but its processes are stopped
    "STOPPED": JobState.PENDING,
    "RESIZING": JobState.RUNNING,
    "RUNNING": JobState.RUNNING,
    "COMPLETING": JobState.COMPLETING,
    "SIGNALING": JobState.COMPLETING,
    "STAGE_OUT": JobState.COMPLETING,
    "COMPLETED": JobState.DONE,
    "FAILED": JobState.FAILED,
    "TIMEOUT": JobState.FAILED,
    "NODE_FAIL": JobState.FAILED,
    "OUT_OF_MEMORY": JobState.FAILED,
    "BOOT_FAIL": JobState.FAILED,
    "DEADLINE": JobState.FAILED,
    "SPECIAL_EXIT": JobState.FAILED,
    "CANCELLED": JobState.CANCELLED,
    "PREEMPTED": JobState.CANCELLED,
    "REVOKED": JobState.CANCELLED,
}


def status_command(job_ids: list[str]) -> list[str]:
    """One `squeue` call for all `job_ids`. `--states=all` keeps finished jobs (for MinJobAge
    seconds) so we see FAILED/TIMEOUT instead of jobs that just disappear."""
    ids = check_job_ids(job_ids)
    return ["squeue", "--noheader", "--states=all", f"--format={FORMAT}", f"--jobs={','.join(ids)}"]


def means_no_jobs(exit_code: int | None, stdout: str, stderr: str) -> bool:
    """squeue exits 1 with "Invalid job id specified" when none of the ids is known any more
    (all aged out after MinJobAge): that is an empty queue, not a failure."""
    return exit_code == 1 and "Invalid job id specified" in stderr


def parse_status(text: str) -> list[JobRow]:
    """Rows from `status_command`'s output; ParseError quoting the line it cannot read."""
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = line.split("|", 6)
        if len(fields) != 7:
            raise ParseError(f"squeue line has {len(fields)} fields, expected 7 ({FORMAT}): {line!r}")
        job_id, raw, reason, nodes, elapsed, limit = (f.strip() for f in fields[:6])
        name = fields[6]
        # Only the first word is the state: sacct-style text ("CANCELLED by 0") must still map.
        raw_word = raw.split()[0] if raw else ""
        rows.append(JobRow(
            job_id=job_id,
            state=STATES.get(raw_word, JobState.UNKNOWN),
            raw_state=raw,
            reason="" if reason == "None" else reason,
            nodes=nodes,
            elapsed=elapsed,
            time_limit=limit,
            name=name,
            elapsed_s=parse_duration(elapsed),
            time_limit_s=parse_duration(limit),
        ))
    return rows


def preflight_command(script_path: str) -> list[str]:
    """`sbatch --test-only`: SLURM validates the script and says when it would start; no job."""
    return ["sbatch", "--test-only", script_path]


def parse_preflight(exit_code: int | None, stdout: str, stderr: str) -> tuple[bool, str]:
    """(accepted, the line to show): exit 0 says "sbatch: Job N to start at ... in partition P"
    on stderr; a refusal says "sbatch: error: ..."."""
    lines = [ln.strip() for ln in (stderr + "\n" + stdout).splitlines() if ln.strip()]
    if exit_code == 0:
        said = next((ln for ln in lines if "to start at" in ln), lines[0] if lines else "")
        return True, said.removeprefix("sbatch: ")
    said = next((ln for ln in lines if "error" in ln.lower()), lines[0] if lines else "")
    return False, said


def queues_command() -> list[str]:
    """The partitions, the default one marked `*` (for the unknown-partition fix)."""
    return ["sinfo", "--noheader", "--format=%P"]


def parse_queues(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def log_paths(job_id: str, job_name: str, log_directory: str | None, submit_dir: str) -> list[Path]:
    """stderr then stdout. With `log-directory` dask-jobqueue writes `-e <dir>/<name>-%J.err` and
    `-o <dir>/<name>-%J.out`; without, SLURM puts both in `<submit_dir>/slurm-<id>.out`."""
    if log_directory:
        base = Path(log_directory) / f"{job_name or 'worker'}-{job_id}"
        return [base.with_name(base.name + ".err"), base.with_name(base.name + ".out")]
    return [Path(submit_dir) / f"slurm-{job_id}.out"]
