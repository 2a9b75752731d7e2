"""What every batch-system module returns: normalized job states, one row per job, and the rules
shared by all of them (durations, jobs that vanished from the queue).

Each `hpctui/schedulers/<kind>.py` provides `KIND`, `status_command(job_ids)`,
`parse_status(text)`, `means_no_jobs(exit_code, stdout, stderr)` (True when a non-zero exit
only says that some or all of the ids are unknown: the jobs left the queue; stdout is still
parsed for the others) and
`log_paths(job_id, job_name, log_directory, submit_dir)`; `hpctui.schedulers.get(kind)` returns it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import Enum

GONE_FROM_QUEUE = "gone from queue"


class JobState(str, Enum):
    """A batch job's state, the same words for every batch system."""

    PENDING = "PENDING"  # queued, held, or starting up: no worker can be running yet
    RUNNING = "RUNNING"
    COMPLETING = "COMPLETING"  # ending: processes being killed, files staged out
    DONE = "DONE"
    FAILED = "FAILED"  # non-zero exit, time limit, node failure, out of memory
    CANCELLED = "CANCELLED"
    UNKNOWN = "UNKNOWN"  # the batch system said something we don't know

    @property
    def is_final(self) -> bool:
        """True when the job will not run (again): its workers are gone for good."""
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


@dataclass(frozen=True)
class JobRow:
    """One job as the batch system reported it, with its state normalized."""

    job_id: str
    state: JobState
    raw_state: str  # the batch system's own word ("PD", "R", "TIMEOUT", "gone from queue")
    reason: str = ""  # why it waits or ended ("Priority", "Resources", "ReqNodeNotAvail, ...")
    nodes: str = ""  # node list as the system prints it ("cn[01-03]")
    elapsed: str = ""  # as printed ("1:26", "2-03:04:05")
    time_limit: str = ""  # as printed ("30:00", "UNLIMITED")
    name: str = ""
    elapsed_s: float | None = None  # `elapsed` in seconds, when it could be read
    time_limit_s: float | None = None  # `time_limit` in seconds; None when unlimited or unknown


class ParseError(ValueError):
    """A status command printed something its parser cannot read; the message quotes it."""


_DURATION = re.compile(r"^(?:(?P<d>\d+)-)?(?:(?P<h>\d+):)?(?P<m>\d+):(?P<s>\d+(?:\.\d+)?)$")


def parse_duration(text: str) -> float | None:
    """Seconds in "[D-][HH:]MM:SS" (SLURM, ps etime, PBS walltime "HH:MM:SS"); None otherwise.

    Words such as UNLIMITED, INVALID or NOT_SET mean "no number", not an error.
    """
    text = text.strip()
    if text.isdigit():
        return float(text)
    m = _DURATION.match(text)
    if not m:
        return None
    d, h = int(m["d"] or 0), int(m["h"] or 0)
    return ((d * 24 + h) * 60 + int(m["m"])) * 60 + float(m["s"])


def format_duration(seconds: float | None) -> str:
    """"[D-]H:MM:SS"-style text for a number of seconds, as SLURM prints it; "" for None."""
    if seconds is None:
        return ""
    s = int(seconds)
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    body = f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
    return f"{d}-{h:02d}:{m:02d}:{s:02d}" if d else body


def merge_rows(
    previous: Mapping[str, JobRow], parsed: Iterable[JobRow], job_ids: Iterable[str]
) -> list[JobRow]:
    """The current picture of `job_ids`, given the last known rows and a fresh parse.

    The one place for the rule "a job missing from the queue has finished": batch systems drop
    finished jobs (SLURM after MinJobAge, SGE at once), so an id we asked about and did not get
    back is DONE with raw state "gone from queue" — unless we already saw it end, in which case
    its last row (FAILED, CANCELLED...) stays, being more precise. Rows for ids we did not ask
    about (SGE and Moab list all of the user's jobs) are dropped. Order follows `job_ids`.
    """
    fresh = {row.job_id: row for row in parsed}
    merged = []
    for job_id in job_ids:
        if job_id in fresh:
            merged.append(fresh[job_id])
            continue
        last = previous.get(job_id)
        if last is not None and last.state.is_final:
            merged.append(last)
        elif last is not None:
            merged.append(replace(last, state=JobState.DONE, raw_state=GONE_FROM_QUEUE))
        else:
            merged.append(JobRow(job_id, JobState.DONE, GONE_FROM_QUEUE))
    return merged


def check_job_ids(job_ids: Iterable[str]) -> list[str]:
    """The ids as strings, refusing ones that would break a command line (empty, spaces, commas)."""
    ids = [str(j) for j in job_ids]
    for j in ids:
        if not j or any(c.isspace() for c in j) or "," in j or j.startswith("-"):
            raise ValueError(f"job id {j!r} is not a valid batch job id")
    return ids


def load_json(text: str, command: str, *, strict: bool = True):
    """`text` parsed as JSON; ParseError naming `command` and quoting the text otherwise."""
    import json

    try:
        return json.loads(text, strict=strict)
    except json.JSONDecodeError as e:
        raise ParseError(f"{command} output is not valid JSON ({e}): {text[:200]!r}") from None


def load_xml(text: str, command: str, root_tag: str):
    """`text` parsed as XML whose root is `root_tag`; ParseError naming `command` otherwise."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise ParseError(f"{command} output is not XML ({e}): {text[:200]!r}") from None
    if root.tag != root_tag:
        raise ParseError(f"{command} output starts with <{root.tag}>, expected <{root_tag}>")
    return root
