"""Rules for the scheduler in a batch job (`scheduler-placement: job`): a scheduler job that
ended before its scheduler started.

The session reports it as a start failure quoting the job's log (hpctui/core/session/
scheduler_job.py: "the scheduler job 17 ended (FAILED) before its scheduler started ...; its
log, <path>:" then the log's last lines); the finding quotes those lines with their file, so a
bad `python` is a finding with the line that says so, not a hang. Which failure mode it is
depends on what the log says: a Python without Dask (5) is the common one.
"""

from __future__ import annotations

import re

from hpctui.core.diagnosis.environment import _NO_MODULE, _python_fix
from hpctui.core.diagnosis.finding import Evidence, Finding, Fix
from hpctui.core.diagnosis.signals import Signals

_FAILED = re.compile(r"the scheduler job (\S+) (ended \([^)]*\)|wrote no scheduler file[^(]*)"
                     r" before its scheduler started")
_LOG = re.compile(r"; its log, (?P<path>[^\n]+?):\n(?P<lines>.*)\Z", re.S)


def scheduler_job_failed(s: Signals) -> list[Finding]:
    """The scheduler job ended (or wrote nothing) before its scheduler listened."""
    for error in s.errors:
        m = _FAILED.search(error)
        if not m:
            continue
        logged = _LOG.search(error)
        evidence = [Evidence("hpctui", error[m.start():m.end()])]
        lines = logged.group("lines").splitlines() if logged else []
        if logged:
            evidence += [Evidence(logged.group("path"), line) for line in lines if line.strip()]
        python = any(_NO_MODULE.search(line) for line in lines)
        fix = (_python_fix(s, "that has dask and distributed") if python else
               Fix((), "read the scheduler job's log (quoted), fix what it says, and apply"))
        return [Finding(
            "scheduler-job-failed", 5, "The scheduler job ended before its scheduler started",
            f"The batch job meant to run the scheduler ({m.group(1)}) {m.group(2)}; its log "
            "says why. It runs the same `python` and `job-script-prologue` as the workers"
            + (", and that Python cannot start distributed's scheduler." if python else "."),
            tuple(evidence), 0.9, fix)]
    return []


RULES = (scheduler_job_failed,)
