"""HTCondor: `condor_q -json` for this session's jobs, its parser, log paths, and the pre-flight
check (`condor_submit -dry-run`).

Ids are "<ClusterId>.<ProcId>" (dask-jobqueue appends ".0" to the cluster id condor_submit
prints). Completed jobs leave the queue (then "gone from queue"); removed ones linger briefly as
JobStatus 3. A held job (5) never starts until released, so its HoldReason is shown as the reason.
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

KIND = "htcondor"

ATTRIBUTES = (
    "ClusterId,ProcId,JobStatus,HoldReason,RemoteHost,LastRemoteHost,JobCurrentStartDate,"
    "ServerTime,JobBatchName,ExitCode"
)

# JobStatus numbers, as in the HTCondor manual's job ClassAd attributes.
STATES: dict[int, tuple[JobState, str]] = {
    0: (JobState.PENDING, "Unexpanded"),
    1: (JobState.PENDING, "Idle"),
    2: (JobState.RUNNING, "Running"),
    3: (JobState.CANCELLED, "Removed"),
    4: (JobState.DONE, "Completed"),
    5: (JobState.PENDING, "Held"),
    6: (JobState.COMPLETING, "Transferring Output"),
    7: (JobState.PENDING, "Suspended"),
}


def status_command(job_ids: list[str]) -> list[str]:
    """One `condor_q` call for all ids, as JSON with only the attributes we read."""
    return ["condor_q", "-json", "-attributes", ATTRIBUTES, *check_job_ids(job_ids)]


def means_no_jobs(exit_code: int | None, stdout: str, stderr: str) -> bool:
    """condor_q prints nothing (exit 0) for ids no longer in the queue: nothing to recognise."""
    return False


def preflight_command(script_path: str) -> list[str]:
    """`condor_submit -dry-run`: parses the submit description and builds the job ads as a real
    submit would, without contacting the schedd; the ads go to /dev/null (we want the verdict)."""
    return ["condor_submit", "-dry-run", "/dev/null", script_path]


def parse_preflight(exit_code: int | None, stdout: str, stderr: str) -> tuple[bool | None, str]:
    """(accepted, the line to show). Exit 0 prints "1 job(s) dry-run to cluster 1.", with a
    "WARNING: the line '...' was unused by condor_submit. Is it a typo?" worth showing first; a
    refusal prints "ERROR: ..." (the expression that does not parse on the next line). A
    failure with no ERROR line (no condor_config on this node, say) checked nothing: None."""
    lines = [ln.strip() for ln in (stderr + "\n" + stdout).splitlines() if ln.strip()]
    if exit_code == 0:
        said = next((ln for ln in lines if ln.startswith("WARNING")), None)
        said = said or next((ln for ln in lines if "dry-run to cluster" in ln), "")
        return True, said
    for i, line in enumerate(lines):
        if line.startswith("ERROR"):
            if line.endswith(":") and i + 1 < len(lines):  # "Parse error in expression:"
                line = f"{line} {lines[i + 1]}"
            return False, line
    said = next((ln for ln in lines if ln != "Exiting." and not ln.startswith("Dry-Run")), "")
    return None, said


def _host(slot: str) -> str:
    # "slot1_1@cn001.cluster" -> "cn001.cluster"
    return slot.split("@", 1)[-1]


def parse_status(text: str) -> list[JobRow]:
    """Rows from `condor_q -json`; ParseError when it is not a JSON list of job ads."""
    if not text.strip():
        return []
    ads = load_json(text, "condor_q -json")
    if not isinstance(ads, list):
        raise ParseError(f"condor_q -json output is not a list of job ads: {text[:200]!r}")
    rows = []
    for ad in ads:
        status = ad.get("JobStatus")
        state, raw = STATES.get(status, (JobState.UNKNOWN, str(status)))
        reason = ""
        if status == 5:
            reason = f"held: {ad.get('HoldReason', '')}"
        elif status == 4 and ad.get("ExitCode") not in (None, 0):
            state, reason = JobState.FAILED, f"exit code {ad['ExitCode']}"
        elapsed_s = None
        start, now = ad.get("JobCurrentStartDate"), ad.get("ServerTime")
        if status == 2 and isinstance(start, int) and isinstance(now, int):
            elapsed_s = float(max(0, now - start))
        rows.append(JobRow(
            job_id=f"{ad.get('ClusterId')}.{ad.get('ProcId', 0)}",
            state=state,
            raw_state=raw,
            reason=reason,
            nodes=_host(ad.get("RemoteHost") or ad.get("LastRemoteHost") or ""),
            elapsed=format_duration(elapsed_s),
            name=ad.get("JobBatchName", ""),
            elapsed_s=elapsed_s,
        ))
    return rows


def log_paths(job_id: str, job_name: str, log_directory: str | None, submit_dir: str) -> list[Path]:
    """stderr then stdout. With `log-directory` dask-jobqueue's submit description sets
    `Error = $(LogDirectory)/worker-$F(MY.JobId).err` and `Output = ...out` (JobId is
    "<cluster>.<proc>"); without it, HTCondor keeps no output files."""
    if not log_directory:
        return []
    full = job_id if "." in job_id else f"{job_id}.0"
    return [Path(log_directory) / f"worker-{full}.err", Path(log_directory) / f"worker-{full}.out"]
