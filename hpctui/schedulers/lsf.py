"""IBM Spectrum LSF: `bjobs -o ... -json` for this session's jobs, its parser, log paths.

`-a` keeps recently finished jobs (for CLEAN_PERIOD, an hour by default) so an EXIT is seen
with its reason; `-hms` prints times as hh:mm:ss. An id LSF no longer knows comes back as a record
with only an "ERROR" ("Job <7199> is not found"), and bjobs exits non-zero: that job is gone.
"""

from __future__ import annotations

import re
from pathlib import Path

from hpctui.schedulers.base import (
    JobRow,
    JobState,
    ParseError,
    check_job_ids,
    load_json,
    parse_duration,
)

KIND = "lsf"
# No pre-flight check (hpctui/core/jobscript/preflight.py): said in one line, never faked.
PREFLIGHT_NONE = "LSF has no check that queues nothing (bsub always queues the job)"

FIELDS = "jobid stat job_name exec_host pend_reason run_time runtimelimit exit_code exit_reason"

STATES: dict[str, JobState] = {
    "PEND": JobState.PENDING,
    "PSUSP": JobState.PENDING,  # suspended while pending
    "WAIT": JobState.PENDING,  # chunk job waiting
    "PROV": JobState.PENDING,  # hosts being provisioned
    "RUN": JobState.RUNNING,
    "USUSP": JobState.PENDING,  # suspended while running
    "SSUSP": JobState.PENDING,
    "DONE": JobState.DONE,
    "EXIT": JobState.FAILED,  # refined by the exit reason below
    "UNKWN": JobState.UNKNOWN,
    "ZOMBI": JobState.COMPLETING,  # killed, but its host hasn't confirmed
}


def status_command(job_ids: list[str]) -> list[str]:
    """One `bjobs` call for all ids, recently finished ones included, as JSON."""
    return ["bjobs", "-a", "-hms", "-o", FIELDS, "-json", *check_job_ids(job_ids)]


def means_no_jobs(exit_code: int | None, stdout: str, stderr: str) -> bool:
    """bjobs exits non-zero when some id is not found; the others are still in the JSON."""
    return bool(exit_code) and ("is not found" in stdout or "is not found" in stderr)


def _duration(text: str) -> float | None:
    # "-hms" gives hh:mm:ss; without it, run_time is "62 second(s)" and the limit "30.0/host" (min).
    m = re.match(r"^(\d+) second", text)
    if m:
        return float(m.group(1))
    m = re.match(r"^(\d+(?:\.\d+)?)/", text)
    if m:
        return float(m.group(1)) * 60
    return parse_duration(text)


def _nodes(exec_host: str) -> str:
    # "2*cn004:2*cn005" -> "cn004,cn005"
    hosts = [h.split("*", 1)[-1] for h in exec_host.split(":") if h]
    return ",".join(dict.fromkeys(hosts))


def parse_status(text: str) -> list[JobRow]:
    """Rows from `bjobs -o ... -json`; ids LSF reports as not found are left out (gone)."""
    if not text.strip():
        return []
    data = load_json(text, "bjobs -json")
    records = data.get("RECORDS") if isinstance(data, dict) else None
    if not isinstance(records, list):
        raise ParseError(f"bjobs -json output has no 'RECORDS' list: {text[:200]!r}")
    rows = []
    for rec in records:
        if "ERROR" in rec:
            continue
        raw = rec.get("STAT", "")
        state = STATES.get(raw, JobState.UNKNOWN)
        exit_reason = rec.get("EXIT_REASON", "")
        reason = rec.get("PEND_REASON", "").strip().rstrip(";")
        if raw == "EXIT":
            killed = "TERM_OWNER" in exit_reason or "TERM_ADMIN" in exit_reason
            state = JobState.CANCELLED if killed else JobState.FAILED
            code = rec.get("EXIT_CODE", "")
            reason = exit_reason or (f"exit code {code}" if code else "")
        run_time, limit = rec.get("RUN_TIME", ""), rec.get("RUNTIMELIMIT", "")
        rows.append(JobRow(
            job_id=str(rec.get("JOBID", "")),
            state=state,
            raw_state=raw,
            reason=reason,
            nodes=_nodes(rec.get("EXEC_HOST", "")),
            elapsed=run_time,
            time_limit=limit,
            name=rec.get("JOB_NAME", ""),
            elapsed_s=_duration(run_time),
            time_limit_s=_duration(limit),
        ))
    return rows


def log_paths(job_id: str, job_name: str, log_directory: str | None, submit_dir: str) -> list[Path]:
    """stderr then stdout. With `log-directory` dask-jobqueue's header sets `-e <dir>/<name>-%J.err`
    and `-o <dir>/<name>-%J.out`, where <name> is the dask worker's name (LSFJob uses `self.name`,
    not the job name): pass that. Without it LSF mails the output: no file to follow."""
    if not log_directory:
        return []
    base = Path(log_directory) / f"{job_name or 'worker'}-{job_id}"
    return [base.with_name(base.name + ".err"), base.with_name(base.name + ".out")]


# -- the site's memory unit (failure mode 10) --------------------------------------------------

_UNIT_LINE = re.compile(r"^\s*LSF_UNIT_FOR_LIMITS\s*=\s*[\"']?([A-Za-z]+)")


def parse_unit_for_limits(conf_text: str) -> str | None:
    """LSF_UNIT_FOR_LIMITS from the text of an lsf.conf (`KB`, `MB`, `GB`, ...), or None when it
    is not set. The last setting wins, as LSF reads the file; commented lines don't count."""
    found = None
    for line in conf_text.splitlines():
        m = _UNIT_LINE.match(line)
        if m:
            found = m.group(1).upper()
    return found


def lsf_conf_path(environ: dict[str, str]) -> Path:
    """Where lsf.conf is: `$LSF_ENVDIR` (or `$LSF_CONFDIR`, which dask-jobqueue also reads),
    else /etc, the same search dask-jobqueue makes for its own unit guess."""
    for name in ("LSF_ENVDIR", "LSF_CONFDIR"):
        if environ.get(name):
            return Path(environ[name]) / "lsf.conf"
    return Path("/etc/lsf.conf")


def site_unit_for_limits(environ: dict[str, str]) -> str | None:
    """The site's LSF_UNIT_FOR_LIMITS, or None when lsf.conf cannot be read or does not say."""
    try:
        text = lsf_conf_path(environ).read_text(errors="replace")
    except OSError:
        return None
    return parse_unit_for_limits(text)
