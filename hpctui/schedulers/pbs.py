"""PBS Professional / OpenPBS: `qstat -x -f -F json` for this session's jobs, its parser, log paths.

`-x` includes finished jobs (job history, when the server keeps it), so a job that failed shows
F with its Exit_status instead of vanishing. `-F json` exists in PBS Pro 13+ and OpenPBS; Torque's
qstat has neither (its `-x` means XML), see the fixtures README. Job ids: dask-jobqueue keeps the
leading number of qsub's "4101.pbs01", so rows are keyed by that number.
"""

from __future__ import annotations

from pathlib import Path

from hpctui.schedulers.base import (
    JobRow,
    JobState,
    ParseError,
    check_job_ids,
    load_json,
    parse_duration,
)

KIND = "pbs"
# No pre-flight check (hpctui/core/jobscript/preflight.py): said in one line, never faked.
PREFLIGHT_NONE = "PBS has no check that queues nothing (qsub always queues the job)"

STATES: dict[str, JobState] = {
    "Q": JobState.PENDING,
    "H": JobState.PENDING,  # held
    "W": JobState.PENDING,  # waiting for its start time
    "T": JobState.PENDING,  # moving to a new location
    "M": JobState.PENDING,  # moved to another server
    "S": JobState.PENDING,  # suspended
    "U": JobState.PENDING,  # suspended (workstation busy)
    "B": JobState.RUNNING,  # array job: at least one subjob started
    "R": JobState.RUNNING,
    "E": JobState.COMPLETING,  # exiting after having run
    "X": JobState.DONE,  # subjob finished
    "F": JobState.DONE,  # finished: refined by Exit_status below
}

# Exit_status of finished jobs: negative values are PBS's own JOB_EXEC_* codes; 256+N is
# "killed by signal N" (qdel sends SIGTERM, so 271 is a deleted job).
EXEC_CODES = {
    -1: "job exec failed, before files, no retry",
    -2: "job exec failed, after files, no retry",
    -3: "job exec failed, do retry",
    -4: "job aborted on MoM initialization",
    -11: "job couldn't create or access its files",
    -24: "killed: ncpus burst limit",
    -25: "killed: ncpus sum limit",
    -26: "killed: vmem limit exceeded",
    -27: "killed: memory limit exceeded",
    -28: "killed: cput limit exceeded",
    -29: "killed: walltime limit exceeded",
}


def status_command(job_ids: list[str]) -> list[str]:
    """One `qstat` call for all ids, finished ones included, as JSON."""
    return ["qstat", "-x", "-f", "-F", "json", *check_job_ids(job_ids)]


def means_no_jobs(exit_code: int | None, stdout: str, stderr: str) -> bool:
    """qstat exits non-zero ("Unknown Job Id ...", status 153) when an id left the server (history
    expired or disabled); the known jobs are still printed on stdout."""
    return bool(exit_code) and "Unknown Job Id" in stderr


def _final_state(info: dict) -> tuple[JobState, str]:
    code = info.get("Exit_status")
    if code is None:
        # Deleted before it ever ran: PBS records no exit status.
        return JobState.CANCELLED, info.get("comment", "")
    try:
        code = int(code)
    except (TypeError, ValueError):
        return JobState.UNKNOWN, f"Exit_status {code!r}"
    if code == 0:
        return JobState.DONE, ""
    if code in (256 + 15, 256 + 9):
        return JobState.CANCELLED, f"killed by signal {code - 256} (qdel)"
    if code > 256:
        return JobState.FAILED, f"killed by signal {code - 256}"
    if code < 0:
        return JobState.FAILED, EXEC_CODES.get(code, f"PBS exec error {code}")
    return JobState.FAILED, f"exit status {code}"


def _nodes(exec_host: str) -> str:
    # "cn001/0*4+cn002/0*4" -> "cn001,cn002"
    hosts = [part.split("/", 1)[0] for part in exec_host.split("+") if part]
    return ",".join(dict.fromkeys(hosts))


def parse_status(text: str) -> list[JobRow]:
    """Rows from `qstat -x -f -F json`; ParseError when it is not the JSON qstat documents."""
    if not text.strip():
        return []
    # strict=False: PBS puts raw control characters (tabs, newlines) inside strings.
    data = load_json(text, "qstat -F json", strict=False)
    jobs = data.get("Jobs", {}) if isinstance(data, dict) else None
    if not isinstance(jobs, dict):
        raise ParseError(f"qstat -F json output has no 'Jobs' object: {text[:200]!r}")
    rows = []
    for full_id, info in jobs.items():
        raw = str(info.get("job_state", ""))
        state = STATES.get(raw, JobState.UNKNOWN)
        reason = info.get("comment", "") if state is JobState.PENDING else ""
        if raw == "F":
            state, reason = _final_state(info)
        elapsed = str(info.get("resources_used", {}).get("walltime", ""))
        limit = str(info.get("Resource_List", {}).get("walltime", ""))
        rows.append(JobRow(
            job_id=full_id.split(".", 1)[0],
            state=state,
            raw_state=raw,
            reason=reason,
            nodes=_nodes(str(info.get("exec_host", ""))),
            elapsed=elapsed,
            time_limit=limit,
            name=str(info.get("Job_Name", "")),
            elapsed_s=parse_duration(elapsed),
            time_limit_s=parse_duration(limit),
        ))
    return rows


def log_paths(job_id: str, job_name: str, log_directory: str | None, submit_dir: str) -> list[Path]:
    """stderr then stdout: `<name>.e<seq>` and `<name>.o<seq>` (seq: the id's number), in the
    `log-directory` dask-jobqueue passes as `-e <dir>/ -o <dir>/`, else where qsub ran."""
    folder = Path(log_directory or submit_dir)
    seq = job_id.split(".", 1)[0]
    name = job_name or "worker"
    return [folder / f"{name}.e{seq}", folder / f"{name}.o{seq}"]
