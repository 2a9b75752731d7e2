"""Classify a log line: its level, and whether it is a known sign of a Dask-on-HPC failure.

The log pane colours lines by level and highlights the ones that matter; the diagnosis rules
look for the same signs. The signs are the symptom texts of the failure-mode catalogue
(`failure_mode` is its row number), matched loosely because wording varies across versions
of distributed, dask-jobqueue and the batch systems.

Some signs are trouble only until something happens: `Waiting to connect to` is every
worker's start-up line, and a sign of trouble only while that job's worker has not connected.
Such a mark names the state that ends it (`until`), and `in_force` drops it once that state
holds for the line's job, so a healthy worker's log carries no warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Level(str, Enum):
    """Severity of a log line, most severe first."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    DEBUG = "debug"


_RANK = {Level.ERROR: 0, Level.WARNING: 1, Level.INFO: 2, Level.DEBUG: 3}


@dataclass(frozen=True)
class LogMark:
    """A text that matters for diagnosis when a log line contains it."""

    name: str
    regex: str
    level: Level
    failure_mode: int | None  # row in the failure-mode catalogue, None for generic signs
    summary: str
    until: str | None = None  # UNTIL_CONNECTED: a sign only while the job has no worker connected


UNTIL_CONNECTED = "connected"


# The symptom texts, as users see them in worker logs, job stderr and submit errors.
MARKS: tuple[LogMark, ...] = (
    LogMark("connect-timeout", r"Timed out trying to connect to", Level.ERROR, 1,
            "the worker could not reach the scheduler's address"),
    LogMark("nanny-connect-timeout", r"Timed out connecting Nanny", Level.ERROR, 1,
            "the nanny could not reach the scheduler's address"),
    LogMark("waiting-to-connect", r"Waiting to connect to", Level.WARNING, 1,
            "the worker has not reached the scheduler's address yet", until=UNTIL_CONNECTED),
    LogMark("nanny-failed", r"Nanny failed to start", Level.ERROR, 1,
            "the worker process never started"),
    LogMark("failure-to-start", r"failure-to-start-<class '[\w.]+'>", Level.ERROR, 1,
            "the worker gave up starting"),
    LogMark("bad-interface", r"is not a valid network interface", Level.ERROR, 2,
            "the configured interface does not exist on this node"),
    LogMark("interface-no-ipv4", r"doesn't have an IPv4 address", Level.ERROR, 2,
            "the configured interface has no IPv4 address on this node"),
    LogMark("no-route", r"No route to host", Level.ERROR, 3,
            "compute nodes cannot reach the scheduler's host (firewall?)"),
    LogMark("network-unreachable", r"Network is unreachable", Level.ERROR, 4,
            "the node has no route to that network"),
    LogMark("no-suitable-ip", r"Couldn't detect a suitable IP address", Level.WARNING, 4,
            "no default route: the process listens on 127.0.0.1"),
    LogMark("module-missing", r"No module named|ModuleNotFoundError", Level.ERROR, 5,
            "the job runs a Python without the needed packages"),
    LogMark("version-mismatch", r"Mismatched versions found|VersionMismatchWarning",
            Level.WARNING, 6, "scheduler, workers and client run different versions"),
    LogMark("nprocs-option", r"Both --nprocs and --nworkers were specified|No such option:?\s*'?-*nprocs"
            r"|Got unexpected extra arguments",
            Level.ERROR, 7, "dask-jobqueue and distributed versions are out of step"),
    LogMark("submit-memory", r"Memory specification can not be satisfied"
            r"|Requesting memory by node is not supported", Level.ERROR, 8,
            "the batch system refused the memory request"),
    LogMark("submit-rejected", r"Requested node configuration is not available"
            r"|-n is no longer supported|Resource strings \(-R\) are not supported"
            r"|Command syntax invalid|job requests unknown queue", Level.ERROR, 8,
            "the batch system refused the job script"),
    LogMark("job-id-unparsed", r"Could not parse job id from submission command output",
            Level.ERROR, 9, "the submit command's output has no job id dask-jobqueue can read"),
    LogMark("lsf-memlimit", r"TERM_MEMLIMIT", Level.ERROR, 10,
            "LSF killed the job at its memory limit"),
    LogMark("memory-budget", r"memory budget", Level.WARNING, 12,
            "the worker is near or over its memory limit"),
    LogMark("killed-signal-9", r"killed by signal 9", Level.ERROR, 12,
            "the worker process was killed (out of memory?)"),
    LogMark("oom-kill", r"oom-kill|oom_kill", Level.ERROR, 12,
            "the kernel killed the job for using too much memory"),
    LogMark("time-limit", r"CANCELLED AT \S+ DUE TO TIME LIMIT", Level.ERROR, 13,
            "the job reached its walltime"),
    LogMark("killed-worker", r"KilledWorker", Level.ERROR, 13,
            "a task's workers kept dying"),
    LogMark("slow-scratch", r"Creating scratch directories is taking a surprisingly long time",
            Level.WARNING, 14, "the local directory is on a slow (network) file system"),
    LogMark("file-locks", r"No locks available|Could not acquire workspace lock", Level.ERROR, 15,
            "file locking does not work on the local directory's file system"),
    LogMark("scheduler-gone", r"scheduler-connection-broken|Connection to scheduler broken"
            r"|worker-heartbeat-missing|Timed out waiting for scheduler", Level.WARNING, 16,
            "the worker lost its scheduler"),
    LogMark("slurm-busy", r"Slurm temporarily unable to accept job", Level.ERROR, 19,
            "the batch system refused more jobs for now"),
    LogMark("port-in-use", r"Port \d+ is already in use", Level.WARNING, 20,
            "the dashboard moved to another port"),
    LogMark("tls-mismatch", r"encryption required by Dask configuration", Level.ERROR, 21,
            "TLS is configured on one side only"),
    LogMark("no-cores-memory", r"You must specify how much cores and memory per job",
            Level.ERROR, 22, "the profile sets no cores or memory"),
    LogMark("traceback", r"^\s*Traceback \(most recent call last\)", Level.ERROR, None,
            "a Python exception"),
    LogMark("exception", r"^\s*(?:[\w.]+\.)?\w*(?:Error|Exception)(?::|$)", Level.ERROR, None,
            "a Python exception"),
)


def lowered(pattern: str) -> str:
    """`pattern` with its literal letters in lower case and its escapes (`\\S`, `\\(`) kept:
    on lower-cased text it matches as the pattern does with IGNORECASE."""
    out, escaped = [], False
    for ch in pattern:
        out.append(ch if escaped else ch.lower())
        escaped = not escaped and ch == "\\"
    return "".join(out)


# One pass over the line decides whether any mark can match, so ordinary lines cost one search:
# case-sensitive over the lower-cased line, as IGNORECASE over 30 alternatives costs 3-4
# times as much (every line drawn in the Logs pane pays it).
_ANY = re.compile(lowered("|".join(f"(?:{m.regex})" for m in MARKS)))
_EACH = tuple((m, re.compile(m.regex, re.IGNORECASE)) for m in MARKS)

# Levels as distributed logs them (`... - distributed.worker - WARNING - ...`), as bracketed
# tags, and as batch-system tools print errors (`slurmstepd: error: ...`).
_LEVEL = re.compile(
    r" - (CRITICAL|ERROR|WARNING|INFO|DEBUG) - "
    r"|\[(CRITICAL|ERROR|WARNING|WARN|INFO|DEBUG)\]"
    r"|^\s*[\w.-]+: (error|warning):",
    re.IGNORECASE,
)
_LEVEL_WORDS = {"critical": Level.ERROR, "error": Level.ERROR, "warning": Level.WARNING,
                "warn": Level.WARNING, "info": Level.INFO, "debug": Level.DEBUG}


@dataclass(frozen=True)
class LineClass:
    """What a line is: its level (None if it says nothing about one) and the marks it carries."""

    level: Level | None
    marks: tuple[LogMark, ...] = ()
    own_level: Level | None = None  # the level the line itself says, before its marks

    @property
    def matters(self) -> bool:
        """True when the line is a sign the diagnosis should look at."""
        return bool(self.marks)


def classify_line(text: str) -> LineClass:
    """The level and the diagnosis marks of one log line."""
    level = None
    found = _LEVEL.search(text)
    if found:
        word = next(g for g in found.groups() if g)
        level = _LEVEL_WORDS[word.lower()]
    marks: tuple[LogMark, ...] = ()
    if _ANY.search(text.lower()):
        marks = tuple(m for m, rx in _EACH if rx.search(text))
    return _with_marks(level, marks)


def _with_marks(own: Level | None, marks: tuple[LogMark, ...]) -> LineClass:
    level = own
    for m in marks:
        if level is None or _RANK[m.level] < _RANK[level]:
            level = m.level
    return LineClass(level, marks, own)


def in_force(cls: LineClass, connected: bool) -> LineClass:
    """`cls` with only the marks still true for its job: those `until` the job's worker
    connected drop out while it is (`connected`), and the level goes back to the line's own."""
    if not connected or not any(m.until == UNTIL_CONNECTED for m in cls.marks):
        return cls
    return _with_marks(cls.own_level, tuple(m for m in cls.marks if m.until != UNTIL_CONNECTED))


def legend(marks) -> str:
    """What the marks mean, one clause each (`waiting-to-connect: ... (until it connects)`)."""
    seen: dict[str, str] = {}
    for m in marks:
        if m.name not in seen:
            note = " (until a worker of the job connects)" if m.until == UNTIL_CONNECTED else ""
            seen[m.name] = f"{m.name}: {m.summary}{note}"
    return "; ".join(seen.values())
