"""Rules for worker start-up and lifetime (failure modes 14-17): slow scratch directories, NFS file
locks, the scheduler going away, jobs pending while nothing says so (mode 18: adaptive.py).
"""

from __future__ import annotations

import re

from hpctui.core.stacks import hangsites
from hpctui.core.diagnosis.finding import SET, Evidence, Finding, Fix, PatchOp
from hpctui.core.diagnosis.search import grep_workers, rx
from hpctui.core.diagnosis.signals import Signals
from hpctui.schedulers.base import JobState, parse_duration

_SLOW_SCRATCH = rx(r"Creating scratch directories is taking a surprisingly long time")
_LOCKS = rx(r"No locks available", r"Could not acquire workspace lock", r"\bENOLCK\b", r"Errno 37\b")
_SCHEDULER_GONE = rx(r"worker-handle-scheduler-connection-broken", r"worker-heartbeat-missing",
                     r"Scheduler was unaware of this worker", r"Connection to scheduler broken",
                     r"Timed out waiting for scheduler", r"scheduler (?:is )?unreachable")
_START_TIMEOUT = rx(r"failure-to-start-<class '(?:asyncio\.exceptions\.|builtins\.)?TimeoutError'>",
                    r"nanny-instantiate-timeout")
_DRAINED = re.compile(r"ReqNodeNotAvail|PartitionDown|PartitionInactive|PartitionNodeLimit|"
                      r"NodeDown|UnavailableNodes", re.I)
_HELD = re.compile(r"Held|JobHeld|\bhold\b", re.I)
_LIMIT = re.compile(r"QOSMax|AssocMax|MaxSubmit|JobLimit", re.I)


def _stack_fix(s: Signals, fix: hangsites.Fix) -> Fix:
    """A sampler fix (a patch and prologue lines) as profile operations."""
    ops = [PatchOp(SET, key, value) for key, value in fix.patch.items()]
    if fix.prologue:
        lines = list((s.profile.get("job-script-prologue") if s.profile else None) or [])
        ops.append(PatchOp(SET, "job-script-prologue",
                           lines + [line for line in fix.prologue if line not in lines]))
    return Fix(tuple(ops), fix.label if not ops else None)


def _stack_evidence(s: Signals, site: str) -> list[Evidence]:
    found = []
    for report in s.stacks:
        f = report.finding
        if f.site == site:
            where = f.evidence.short() if f.evidence is not None else "?"
            found.append(Evidence(f"stack {report.source}", f"{where} ({f.seconds:.0f} s)"))
    return found[:3]


def slow_scratch(s: Signals) -> list[Finding]:
    """Mode 14: the workers' local directory is on a slow (network) file system."""
    logged = grep_workers(s, _SLOW_SCRATCH)
    evidence = logged + _stack_evidence(s, "scratch-dir")
    if not evidence:
        return []
    return [Finding(
        "slow-local-directory", 14, "Worker scratch space is on a slow network file system",
        "Each worker creates its scratch directory under `local-directory`; on a network file "
        "system that takes seconds per worker, minutes for hundreds. The node's own disk "
        "($TMPDIR, set by most batch systems) is fast.",
        tuple(evidence), 0.9 if logged else 0.75,
        _stack_fix(s, hangsites.LOCAL_DIRECTORY_TMPDIR))]


def file_locks(s: Signals) -> list[Finding]:
    """Mode 15: start-up stuck in file locking (locket) on NFS."""
    logged = grep_workers(s, _LOCKS)
    evidence = logged + _stack_evidence(s, "file-lock")
    if not evidence:
        return []
    return [Finding(
        "nfs-file-locks", 15, "Worker start-up is stuck on file locks",
        "distributed locks each worker's scratch directory with file locks (locket); on many "
        "NFS mounts those are slow, fail (No locks available) or hang. Turning file locking "
        "off (in the config and, for workers that read another config, in the job's "
        "environment) avoids them; a node-local `local-directory` avoids NFS altogether.",
        tuple(evidence), 0.9, _stack_fix(s, hangsites.FILE_LOCKING_OFF))]


def stack_network_wait(s: Signals) -> list[Finding]:
    """Mode 1 seen by the sampler: a worker blocked in a connect or a name lookup."""
    evidence = _stack_evidence(s, "network-wait")
    if not evidence:
        return []
    from hpctui.core.diagnosis.interfaces import choose_interface
    choice = choose_interface(s)
    return [Finding(
        "stack-network-wait", 1, "A worker is blocked connecting or resolving a name",
        "The sampler found the worker waiting in a socket call: the address it tries is not "
        "reachable from the compute node." + (f" {choice.reason}." if choice.ops else ""),
        tuple(evidence), 0.6, Fix(choice.ops, choice.action))]


def scheduler_gone(s: Signals) -> list[Finding]:
    """Mode 16: workers lost their scheduler (login-node limits, a dead client)."""
    evidence = grep_workers(s, _SCHEDULER_GONE)
    evidence += [Evidence(f"worker {e.worker}", f"left: {e.reason}") for e in s.worker_events
                 if e.what == "left" and _SCHEDULER_GONE.search(e.reason)][:3]
    if not evidence:
        return []
    return [Finding(
        "scheduler-gone", 16, "The workers lost their scheduler",
        "The workers were connected, then the scheduler went away: the process running it was "
        "killed (login nodes often limit CPU time or memory per user) or the SSH session "
        "ended. The workers exit after `death-timeout`; jobs of a killed client may stay in "
        "the queue.",
        tuple(evidence), 0.8,
        Fix((), "keep the scheduler alive: run hpctui inside tmux or screen, or from an "
                "interactive compute node; cancel leftover jobs (`scancel --name=<job name>`)"))]


def _reason_action(s: Signals, reason: str) -> tuple[str, tuple[PatchOp, ...]]:
    if _DRAINED.search(reason):
        queue = s.profile.get("queue") if s.profile else None
        others = [p.rstrip("*") for p in s.partitions if p.rstrip("*") != queue]
        if others:
            return (f"the nodes of this partition are unavailable; try {others[0]}",
                    (PatchOp(SET, "queue", others[0]),))
        return ("the nodes of this partition are down or drained: pick another `queue` "
                "(`sinfo` shows node states)", ())
    if _HELD.search(reason):
        return "the job is held: release it (`scontrol release <id>`, `qrls <id>`)", ()
    return ("the jobs wait for free nodes; they start when the batch system has room "
            "(smaller `cores`, `memory` and `walltime` start sooner)", ())


def jobs_pending(s: Signals) -> list[Finding]:
    """Mode 17: no workers because the jobs have not started (dask-jobqueue cannot tell)."""
    waiting = [r for r in s.queue if r.state == JobState.PENDING and not _LIMIT.search(r.reason)]
    # The scheduler's own job (`scheduler-placement: job`) is no worker job: said apart.
    scheduler = [r for r in waiting if r.job_id in s.scheduler_jobs]
    pending = scheduler or [r for r in waiting if r.job_id not in s.scheduler_jobs]
    findings = []
    if pending and not s.workers_connected:
        reason = pending[0].reason or "no reason given"
        action, ops = _reason_action(s, reason)
        what = ("the scheduler's job is" if scheduler else f"{len(pending)} job(s)") + " still pending"
        findings.append(Finding(
            "jobs-pending", 17, f"No workers yet: {what} ({reason})",
            "dask-jobqueue counts workers as launched once jobs are submitted; the queue says "
            "they have not started, so no worker can connect yet.",
            tuple(Evidence(f"queue job {r.job_id}", f"{r.raw_state} {r.reason}".strip())
                  for r in pending[:3]),
            0.7 if _DRAINED.search(reason) or _HELD.search(reason) else 0.5,
            Fix(ops, None if ops else action)))
    timeouts = grep_workers(s, _START_TIMEOUT)
    if timeouts:
        current = s.profile.get("death-timeout") if s.profile else None
        seconds = parse_duration(str(current)) if current is not None else None
        proposed = max(120, int(2 * (seconds or 60)))
        findings.append(Finding(
            "worker-start-timeout", 17, "Worker processes took longer to start than death-timeout",
            "The nanny started, but its worker process did not come up within `death-timeout` "
            "(slow imports from a network file system, a busy node), so the nanny gave up.",
            tuple(timeouts), 0.7, Fix((PatchOp(SET, "death-timeout", proposed),))))
    return findings


# Mode 18 (adaptive submit/cancel loops) lives in adaptive.py.
RULES = (slow_scratch, file_locks, stack_network_wait, scheduler_gone, jobs_pending)
