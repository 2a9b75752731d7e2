"""Rules for memory and time (failure modes 10-13): LSF memory units, memory missing from the
request, workers out of memory, jobs killed at their walltime.
"""

from __future__ import annotations

import math
import re

from hpctui.core.diagnosis.finding import SET, Evidence, Finding, Fix, PatchOp
from hpctui.core.diagnosis.headers import header_lines
from hpctui.core.diagnosis.search import error_lines, grep, grep_all, rx
from hpctui.core.diagnosis.signals import Signals
from hpctui.schedulers.base import JobState, parse_duration

_LSF_MEMLIMIT = rx(r"TERM_MEMLIMIT", r"reaching LSF memory usage limit")
_OOM = rx(r"exceeded \d+% memory budget", r"memory budget\.? Restarting",
          r"killed by signal 9", r"Detected \d+ oom[-_ ]kill event",
          r"oom[-_ ]kill", r"Out Of Memory", r"Memory cgroup out of memory",
          r"exceeded memory limit", r"Worker process \d+ was killed by unknown signal")
_TIME_LIMIT = rx(r"CANCELLED AT \S+ DUE TO TIME LIMIT", r"TERM_RUNLIMIT",
                 r"walltime \S+ exceeded limit", r"job killed: walltime",
                 r"exceeded (?:the )?(?:wall ?clock|run ?time) limit", r"KilledWorker")
_OAR_NO_MEMORY = rx(r"OAR Job memory reserved resources will not be")


def _bytes(value) -> int | None:
    from dask.utils import parse_bytes
    try:
        return parse_bytes(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


def lsf_memory_units(s: Signals) -> list[Finding]:
    """Mode 10: LSF reads memory in other units than dask-jobqueue wrote."""
    evidence = grep_all(s, _LSF_MEMLIMIT)
    if s.kind == "lsf":
        evidence += [Evidence(f"queue job {r.job_id}", f"{r.raw_state} ({r.reason})")
                     for r in s.queue if r.state == JobState.PENDING
                     and re.search(r"mem|rusage", r.reason, re.I)][:3]
    p = s.profile
    units = (p.get("lsf-units") if p else None)
    site = s.lsf_unit_for_limits
    mismatch = bool(site and units and site.lower()[0] != str(units).lower()[0])
    if mismatch:
        evidence.append(Evidence("lsf.conf", f"LSF_UNIT_FOR_LIMITS={site}"))
    if not evidence:
        return []
    if site:
        fix = Fix((PatchOp(SET, "lsf-units", site.lower()),))
    else:
        fix = Fix((), "set `lsf-units` to your site's LSF_UNIT_FOR_LIMITS "
                      "(`grep LSF_UNIT_FOR_LIMITS $LSF_ENVDIR/lsf.conf`), and `mem` if needed")
    return [Finding(
        "lsf-memory-units", 10, "LSF reads the memory request in other units",
        "LSF interprets `-M`/`rusage[mem=]` in the site's LSF_UNIT_FOR_LIMITS; when "
        "dask-jobqueue guesses another unit the job asks far too much (pending forever) or far "
        "too little (killed at the memory limit).",
        tuple(evidence), 0.9 if grep_all(s, _LSF_MEMLIMIT) else 0.8 if mismatch else 0.6, fix)]


def memory_not_requested(s: Signals) -> list[Finding]:
    """Mode 11: the batch system is not told the workers' memory (SGE, OAR), or shows other numbers (PBS)."""
    p = s.profile
    if p is None:
        return []
    memory = _bytes(p.get("memory"))
    warned = grep(error_lines(s), _OAR_NO_MEMORY)
    if p.kind == "oar" and memory and (warned or not p.get("memory-per-core-property-name")):
        return [Finding(
            "memory-not-requested", 11, "OAR is not asked for the workers' memory",
            "Without `memory-per-core-property-name` dask-jobqueue writes no memory constraint, "
            "so OAR may put the job on a node without the memory the workers expect.",
            tuple(warned or [Evidence("profile", f"memory: {p.get('memory')}; "
                                                 "memory-per-core-property-name: not set")]),
            0.8 if warned else 0.5,
            Fix((PatchOp(SET, "memory-per-core-property-name", "memcore"),),
                "check the property's name on your site (`oarnodes | grep -i mem`); "
                "`memcore` is the usual one"))]
    if p.kind == "sge" and memory and not p.get("resource-spec"):
        gib = math.ceil(memory / 2**30)
        return [Finding(
            "memory-not-requested", 11, "SGE is not asked for the workers' memory",
            "SGE's job script carries no memory request unless `resource-spec` holds one, so "
            "the job may land where the memory is not free (or be killed by h_vmem defaults).",
            (Evidence("profile", f"memory: {p.get('memory')}; resource-spec: not set"),), 0.5,
            Fix((PatchOp(SET, "resource-spec", f"h_vmem={gib}G,mem_req={gib}G"),),
                "check your site's memory complexes (`qconf -sc | grep -i mem`)"))]
    if p.kind == "pbs" and memory and not p.get("resource-spec"):
        for line in header_lines(p):
            m = re.search(r"mem=(\d+)([kKMGT]?B)", line)
            if m and str(p.get("memory")).replace(" ", "") != m.group(1) + m.group(2):
                return [Finding(
                    "pbs-memory-units", 11, "PBS shows a different memory number than asked",
                    f"dask-jobqueue writes PBS memory in binary units named GB ({m.group(0)} for "
                    f"memory {p.get('memory')}): the same amount, rounded up. Nothing is lost; "
                    "write `memory` in GiB for the numbers to agree.",
                    (Evidence("job script", line),), 0.3,
                    Fix((), "nothing needed; or write `memory` in GiB"))]
    return []


def _scaled(value, factor: float) -> str | None:
    n = _bytes(value)
    return None if n is None else f"{math.ceil(n * factor / 1e9)}GB"


def out_of_memory(s: Signals) -> list[Finding]:
    """Mode 12: workers ran out of memory and were restarted or killed."""
    evidence = grep_all(s, _OOM)
    evidence += [Evidence(f"queue job {r.job_id}", f"{r.raw_state} ({r.reason})")
                 for r in s.queue if re.search(r"OUT_OF_ME|OutOfMemory|OOM", f"{r.raw_state} {r.reason}")][:3]
    if not evidence:
        return []
    p = s.profile
    ops = []
    if p is not None:
        doubled = _scaled(p.get("memory"), 2)
        if doubled:
            ops.append(PatchOp(SET, "memory", doubled))
        if p.get("job-mem") and _scaled(p.get("job-mem"), 2):
            ops.append(PatchOp(SET, "job-mem", _scaled(p.get("job-mem"), 2)))
    return [Finding(
        "out-of-memory", 12, "Workers ran out of memory",
        "A worker passed its memory limit (the nanny restarted it) or the batch system killed "
        "it for memory. Give each worker more: raise `memory` per job (proposed: double), or "
        "run fewer `processes` per job so each has a larger share.",
        tuple(evidence), 0.85,
        Fix(tuple(ops), None if ops else "raise `memory` (or lower `processes`) per job"))]


def _duration(seconds: float) -> str:
    """For `--lifetime`: whole minutes, or seconds under ten minutes (rounding a short
    lifetime to minutes could land it on the walltime itself)."""
    if seconds >= 600 or (seconds >= 60 and int(seconds) % 60 == 0):
        return f"{int(seconds // 60)}m"
    return f"{max(1, int(seconds))}s"


def walltime_reached(s: Signals) -> list[Finding]:
    """Mode 13: the job hit its walltime with tasks running."""
    evidence = grep_all(s, _TIME_LIMIT)
    evidence += [Evidence(f"queue job {r.job_id}", f"{r.raw_state} ({r.reason})")
                 for r in s.queue if r.raw_state.upper() == "TIMEOUT" or r.reason == "TimeLimit"][:3]
    if not evidence:
        return []
    p = s.profile
    extra = list(p.get("worker-extra-args") or []) if p else []
    walltime = parse_duration(str(p.get("walltime"))) if p and p.get("walltime") else None
    if any(str(a).startswith("--lifetime") for a in extra):
        fix = Fix((), "raise `walltime`: the workers already retire with --lifetime")
    elif walltime:
        # Retire 5 minutes (or a tenth) before the limit, but never more than a quarter of
        # it: a 2-minute walltime gets 90 s, not a lifetime of zero.
        margin = min(max(300, walltime * 0.1), walltime * 0.25)
        lifetime = walltime - margin
        stagger = min(240, lifetime / 10)
        fix = Fix((PatchOp(SET, "worker-extra-args",
                           extra + ["--lifetime", _duration(lifetime),
                                    "--lifetime-stagger", _duration(stagger)]),))
    else:
        fix = Fix((), "add `--lifetime` (a few minutes under the walltime) and "
                      "`--lifetime-stagger` to `worker-extra-args`, or raise `walltime`")
    return [Finding(
        "walltime-reached", 13, "Jobs reached their walltime with work in flight",
        "The batch system killed the job at its time limit, losing the tasks its workers held "
        "(KilledWorker). `--lifetime` makes workers retire cleanly before the limit, handing "
        "their data on; with adapt(), new jobs replace them.",
        tuple(evidence), 0.9, fix)]


RULES = (lsf_memory_units, memory_not_requested, out_of_memory, walltime_reached)
