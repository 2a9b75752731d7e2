"""Sun/Son of/Univa Grid Engine: `qstat -xml -r` for this user's jobs, its parser, log paths.

Plain qstat cannot be limited to a list of ids (`-j` prints a different, long report), so we
list the user's jobs and `base.merge_rows` keeps this session's. SGE drops a job from qstat the
moment it ends: finished jobs become "gone from queue" (qacct would know the exit status, but
only where accounting is readable). `-r` adds the hard requests, for the h_rt time limit, which
Grid Engine 8.1 prints in seconds ("600"). The XML gives the start time but not the elapsed
time, so `elapsed` stays empty. An array job is one `<job_list>` per task with the same number:
the session's jobs are never arrays, so one row per number is kept (a running task first).

The XML does not say why a job is in error (`Eqw`): `qstat -j <ids>` does ("error reason 1:
... can't open output file ..."). `wants_detail` names the rows worth that second query, once
per state (the poller asks), and `parse_detail` reads its answer. Checked against the real
Grid Engine 8.1.9 of the testbed (tests/fixtures/sge).
"""

from __future__ import annotations

import getpass
import re
from pathlib import Path

from hpctui.schedulers.base import (
    JobRow,
    JobState,
    check_job_ids,
    format_duration,
    load_xml,
    parse_duration,
)

KIND = "sge"


def _state(raw: str) -> tuple[JobState, str]:
    """SGE's state letters combine: E error, d deletion, h hold, s/S/T suspended, t transferring,
    r running, R restarted, q queued, w waiting."""
    if "E" in raw:
        # Error states never leave the queue by themselves: the job will not run until an
        # operator clears it (`qmod -cj`); `parse_detail` replaces this with the real reason.
        return JobState.FAILED, "error state: `qstat -j <id>` shows why"
    if "d" in raw:
        return JobState.COMPLETING, "being deleted"
    if "h" in raw:
        # hqw: a hold (qsub -h, qhold, or a job dependency) keeps it from being scheduled.
        return JobState.PENDING, f"held ({raw}): `qrls` releases it"
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
    rows: dict[str, JobRow] = {}
    for job in root.iter("job_list"):
        job_id = (job.findtext("JB_job_number") or "").strip()
        if job_id in rows:
            continue  # another task of an array job
        raw = (job.findtext("state") or "").strip()
        state, reason = _state(raw)
        queue = (job.findtext("queue_name") or "").strip()
        limit = ""
        for req in job.findall("hard_request"):
            if req.get("name") == "h_rt":
                limit = (req.text or "").strip()
        seconds = parse_duration(limit)
        rows[job_id] = JobRow(
            job_id=job_id,
            state=state,
            raw_state=raw,
            reason=reason.replace("`qrls`", f"`qrls {job_id}`"),
            # "all.q@cn001.cluster" -> the host after the @
            nodes=queue.split("@", 1)[1] if "@" in queue else "",
            # 8.1 prints h_rt in seconds; shown as a duration like the other systems'.
            time_limit=format_duration(seconds) if limit.isdigit() else limit,
            name=(job.findtext("JB_name") or "").strip(),
            time_limit_s=seconds,
        )
    return list(rows.values())


def wants_detail(row: JobRow) -> bool:
    """An error state, or a job waiting (qw) for no reason the queue shows: only `qstat -j`
    says why (its "scheduling info:", written when the scheduler keeps job info)."""
    return "E" in row.raw_state or row.raw_state == "qw"


def detail_command(job_ids: list[str]) -> list[str]:
    """`qstat -j` for the jobs `wants_detail` chose (one call, ids comma-separated)."""
    return ["qstat", "-j", ",".join(check_job_ids(job_ids))]


_JOB_NUMBER = re.compile(r"^job_number:\s+(\d+)", re.M)
# "error reason    1:      12/05/2026 08:44:21 [0:4841]: error: can't open output file ..."
_ERROR_REASON = re.compile(r"^error reason\s+\d+:\s+(?:\S+ \S+ \[[^]]*\]:\s*)?(?:error:\s*)?(.+)$", re.M)


# "scheduling info:            cannot run in PE "smp" because it only offers 0 slots", each
# further message on a line of its own, indented to the same column.
_SCHEDULING = re.compile(r"^scheduling info:[ \t]*(.*(?:\n[ \t]+\S.*)*)", re.M)
# What the scheduler says when it keeps no job info (schedd_job_info false): no reason.
_NO_INFO = "Collecting of scheduler job information is turned off"


def scheduling_info(block: str) -> tuple[str, ...]:
    """The messages under "scheduling info:" of one job's `qstat -j` block, in order."""
    m = _SCHEDULING.search(block)
    if m is None:
        return ()
    lines = (line.strip() for line in m.group(1).splitlines())
    return tuple(dict.fromkeys(line for line in lines if line and _NO_INFO not in line))


def parse_detail(text: str) -> dict[str, str]:
    """{job id: the reason to show} from `qstat -j`'s report: the error reason of a job in an
    error state, with how to go on, or why a waiting job is not scheduled (its scheduling
    info, first message first). Jobs it says nothing useful about are left out."""
    reasons: dict[str, str] = {}
    starts = list(_JOB_NUMBER.finditer(text))
    for i, m in enumerate(starts):
        block = text[m.start():starts[i + 1].start() if i + 1 < len(starts) else len(text)]
        error = _ERROR_REASON.search(block)
        info = scheduling_info(block)
        if error:
            reasons[m.group(1)] = (f"error state: {error.group(1).strip()} "
                                   f"(fix it, then `qmod -cj {m.group(1)}`, or `qdel` it)")
        elif info:
            reasons[m.group(1)] = "; ".join(info)
    return reasons


def preflight_command(script_path: str) -> list[str]:
    """`qsub -w v`: Grid Engine verifies the job against an empty cluster; nothing is queued."""
    return ["qsub", "-w", "v", script_path]


def parse_preflight(exit_code: int | None, stdout: str, stderr: str) -> tuple[bool, str]:
    """(accepted, the line to show): exit 0 and "verification: found suitable queue(s)", or
    exit 1 with "Unable to run job: ..." (an unknown queue or resource, too many slots)."""
    lines = [ln.strip() for ln in (stderr + "\n" + stdout).splitlines()
             if ln.strip() and ln.strip() != "Exiting."]
    if exit_code == 0:
        return True, next((ln for ln in lines if ln.startswith("verification:")), "")
    said = next((ln for ln in lines if ln.startswith("Unable to run job")), lines[0] if lines else "")
    return False, said


def queues_command() -> list[str]:
    """The cluster queues (`qconf -sql`: one name a line), for the unknown-queue fix."""
    return ["qconf", "-sql"]


def parse_queues(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def log_paths(job_id: str, job_name: str, log_directory: str | None, submit_dir: str) -> list[Path]:
    """`<name>.o<id>`: dask-jobqueue's header joins stderr into stdout (`-j y`) and runs in the
    submit directory (`-cwd`); with `log-directory` it is in that folder (`-o <dir>/`)."""
    return [Path(log_directory or submit_dir) / f"{job_name or 'worker'}.o{job_id}"]
