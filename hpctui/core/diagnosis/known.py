"""What is known when nothing explains why a running job has no worker: a plain statement.

A worker log that says nothing at all, a job the queue calls RUNNING on a node that is down
or hung, a probe that could not be submitted: none of these names a cause, and diagnosis must
not invent one. Once a job has run past the caller's patience with no worker (`Signals.
quiet_jobs`), this rule says what was seen (the queue's state and node, how much the log said
and when, what the probe found or why it could not run) and where to look next, with no fix.

The engine runs it only when no other finding is confident (`engine.FALLBACK_RULES`): a
statement that nothing says why is false beside a finding that does.
"""

from __future__ import annotations

from hpctui.core.diagnosis.finding import Evidence, Finding, Fix
from hpctui.core.diagnosis.probe_facts import address_verdict
from hpctui.core.diagnosis.signals import QuietJob, Signals
from hpctui.core.network.probe_verdict import NO_REPORT, REACHABLE, SUBMIT_FAILED

MAX_JOBS_QUOTED = 3


QUOTE_CHARS = 300


def _quoted(text: str) -> str:
    """A probe's message on one line (a refusal spans several: command, exit code, stderr)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= QUOTE_CHARS else flat[:QUOTE_CHARS - 1] + "…"


def _job_evidence(job: QuietJob) -> list[Evidence]:
    where = f" on {job.nodes}" if job.nodes else ""
    out = [Evidence(f"queue job {job.job_id}",
                    f"RUNNING{where} for {job.running_for:.0f} s, no worker of it connected")]
    if job.log_lines == 0:
        out.append(Evidence(f"log of job {job.job_id}",
                            "its log file exists and is empty: the worker has written nothing"
                            if job.log_seen else "no log file of it has appeared"))
    elif job.last_line is not None:
        ago = f", {job.silent_for:.0f} s ago" if job.silent_for is not None else ""
        out.append(Evidence(f"log of job {job.job_id}",
                            f"{job.log_lines} line(s); the last{ago}: {job.last_line.strip()}"))
    return out


def _probe_evidence(s: Signals) -> tuple[list[Evidence], str]:
    """The probe's part: evidence, and the sentence the explanation says about it."""
    probe = s.probe
    if probe is None:
        return [], "No network probe has run."
    if probe.verdict == SUBMIT_FAILED:
        return ([Evidence("probe", f"could not be submitted: {_quoted(probe.message)}")],
                "The network probe could not be submitted, so the network is untested.")
    if probe.verdict == NO_REPORT:
        return ([Evidence("probe", _quoted(probe.message))],
                "The network probe sent no report, so the network is untested.")
    verdict = address_verdict(s)
    if probe.verdict == REACHABLE and verdict is not None and verdict.reachable:
        node = probe.hostname or "a compute node"
        return ([Evidence("probe", f"from {node}: {t.login_interface} {t.address} (the "
                                   f"scheduler's address): reachable") for t in verdict.rows
                 if t.reachable][:1],
                f"The network probe reached the scheduler's address from {node}, so the "
                "network is not what stops the workers.")
    return [Evidence("probe", _quoted(probe.message))], ""


def running_without_worker(s: Signals) -> list[Finding]:
    """Jobs running past the patience with no worker, and nothing explaining it: the facts."""
    jobs = list(s.quiet_jobs)
    if not jobs or s.workers_connected:
        return []
    evidence: list[Evidence] = []
    for job in jobs[:MAX_JOBS_QUOTED]:
        evidence += _job_evidence(job)
    probe_evidence, probe_words = _probe_evidence(s)
    evidence += probe_evidence
    longest = max(j.running_for for j in jobs)
    silent = all(j.log_lines == 0 for j in jobs)
    said = ("Their logs are empty." if silent and len(jobs) > 1 else
            "Its log is empty." if silent else
            "The logs say nothing that explains it.")
    nodes = sorted({j.nodes for j in jobs if j.nodes})
    title = (f"{len(jobs)} job(s) running {longest:.0f} s with no worker connected; "
             "nothing says why yet")
    explanation = " ".join(x for x in (
        f"The queue shows {len(jobs)} job(s) running" + (f" on {', '.join(nodes)}" if nodes else "")
        + f" for up to {longest:.0f} s, and no worker of them has connected.", said, probe_words,
        "No cause is claimed: a worker process can stop before it writes a line (a file lock "
        "that hangs, an import from a slow file system) and a node can be down or hung while "
        "the queue still says RUNNING.") if x)
    action = ("look at the worker process with the stack sampler (in hpctui: f on this "
              "finding re-submits the workers under it; `hpctui doctor` samples the next "
              "round) and at the node's state in the batch system"
              + (f" ({', '.join(nodes)})" if nodes else ""))
    return [Finding(RUNNING_NO_WORKER, 17, title, explanation, tuple(evidence), 0.3,
                    Fix((), action))]


RUNNING_NO_WORKER = "running-no-worker"


def offers_sampling(finding: Finding) -> bool:
    """True for the finding whose next step is the stack sampler: no config change explains
    it, but running the workers under the sampler (and its start-up watcher) shows where they
    stop. The TUI's `f` on it switches the sampler on and re-submits, as doctor's observation
    round does."""
    return finding.rule_id == RUNNING_NO_WORKER


RULES = (running_without_worker,)
