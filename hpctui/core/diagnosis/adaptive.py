"""Failure mode 18: adaptive scaling submits jobs and cancels them in a loop.

Seen from the session's own events: jobs cancelled by adapt (or a scale) before any worker of
theirs connected (`Signals.cancelled_unstarted`, with when each was submitted and cancelled).
The fix proposed is the one that stops the loop for the case seen:

- `processes > 1` with bounds counted in workers (dask-jobqueue issue 498): adapt's target
  falls between two multiples of `processes`, `scale` rounds it up to whole jobs, the next round
  finds one worker too many, cancels a job that has not started, and submits it again. The fix
  is `adapt.unit: jobs` (hpctui then rounds the target to whole jobs), the bounds in jobs.
- otherwise the target moves faster than jobs start: `wait-count` x `interval` is shorter than
  the time a job takes from submission to its worker connecting, so pending jobs are
  suggested for removal long enough to go. The fix raises `wait-count` above that time.
"""

from __future__ import annotations

import math
import statistics

from hpctui.core.diagnosis.finding import SET, Evidence, Finding, Fix, PatchOp
from hpctui.core.diagnosis.signals import Signals

LOOP_AT = 3  # cancelled-before-connecting jobs that make a loop


def _timing(s: Signals) -> str:
    jobs = sorted(s.cancelled_unstarted, key=lambda c: c.cancelled_at)
    if len(jobs) < 2:
        return ""
    span = jobs[-1].cancelled_at - jobs[0].submitted_at
    lived = statistics.median(c.cancelled_at - c.submitted_at for c in jobs)
    return (f" in {span:.1f} s (one every {span / len(jobs):.1f} s; each lived "
            f"{lived:.2f} s from submission to its cancel, median); jobs "
            + ", ".join(c.job_id for c in jobs[:8]) + (" ..." if len(jobs) > 8 else ""))


def _adapt_mapping(s: Signals) -> dict | None:
    """The profile's `adapt` mapping (None when the session was not adaptive by the profile)."""
    value = s.profile.get("adapt") if s.profile is not None else None
    return dict(value) if isinstance(value, dict) else None


def submit_cancel_loop(s: Signals) -> list[Finding]:
    """Mode 18: adaptive scaling submits and cancels jobs in a loop."""
    count = max(s.jobs_cancelled_unstarted, len(s.cancelled_unstarted))
    if count < LOOP_AT:
        return []
    a = s.adapt
    processes = (a.workers_per_job if a is not None else None) or \
        (s.profile.get("processes") if s.profile else None) or 1
    evidence = [Evidence("session", f"{s.jobs_submitted} jobs submitted, {count} cancelled "
                                    f"before a worker connected" + _timing(s))]
    if a is not None:
        evidence.append(Evidence("profile", f"adapt: {a.minimum}..{a.maximum} {a.unit}, "
                                            f"interval {a.interval:g}s, wait-count "
                                            f"{a.wait_count}; processes: {processes}"))
    elif s.profile is not None:
        evidence.append(Evidence("profile", f"processes: {processes}; adaptive: {s.adaptive}"))
    mapping = _adapt_mapping(s)
    title = "Jobs are submitted and cancelled in a loop"
    if processes > 1 and (a is None or a.unit == "workers"):
        explanation = (
            f"Adaptive scaling counts workers, but each job brings {processes} (`processes`). "
            "When adapt's target falls between two multiples of it, the job submitted for the "
            "odd worker is one worker too many at the next round and is cancelled before it "
            "starts, then submitted again (dask-jobqueue issue 498).")
        if mapping is not None and a is not None:
            fixed = {**mapping, "unit": "jobs",
                     "minimum": math.ceil(a.minimum / processes),
                     "maximum": max(1, math.ceil(a.maximum / processes))}
            fix = Fix((PatchOp(SET, "adapt", fixed),))
        else:
            fix = Fix((), "give adapt its bounds in jobs (`cluster.adapt(minimum_jobs=..., "
                          "maximum_jobs=...)`) and a longer `wait_count`, or use `processes: 1`")
        return [Finding("submit-cancel-loop", 18, title, explanation, tuple(evidence),
                        0.85 if a is not None else (0.8 if s.adaptive else 0.6), fix)]
    start = statistics.median(s.connect_times) if s.connect_times else None
    if a is not None:
        needed = (start or max((c.cancelled_at - c.submitted_at
                                for c in s.cancelled_unstarted), default=a.interval) * 2)
        wait_count = max(3, a.wait_count + 1, math.ceil(1.5 * needed / a.interval))
        if start is not None:
            evidence.append(Evidence("session", f"jobs took {start:.1f} s from submission to "
                                                "their worker connecting (median)"))
        explanation = (
            f"Adapt removes a worker suggested for removal {a.wait_count} round(s) in a row, "
            f"{a.wait_count * a.interval:g} s at an interval of {a.interval:g} s: shorter than "
            "a job takes to start, so when the target moves, jobs still pending are cancelled "
            "and asked for again.")
        fix = Fix((PatchOp(SET, "adapt", {**(mapping or {}), "wait-count": wait_count}),)) \
            if mapping is not None else \
            Fix((), f"call `cluster.adapt(..., wait_count={wait_count})`")
        return [Finding("submit-cancel-loop", 18, title, explanation, tuple(evidence), 0.75,
                        fix)]
    return [Finding(
        "submit-cancel-loop", 18, title,
        "Adaptive scaling counts workers, but each job brings `processes` workers; with "
        "bounds that are not multiples of it (or jobs slower to start than adapt's interval) "
        "it cancels pending jobs it just asked for, again and again.",
        tuple(evidence), 0.8 if s.adaptive and processes > 1 else 0.6,
        Fix((), "give adapt its bounds in jobs (`cluster.adapt(minimum_jobs=..., "
                "maximum_jobs=...)`) and a longer `wait_count`, or use `processes: 1`"))]


RULES = (submit_cancel_loop,)
