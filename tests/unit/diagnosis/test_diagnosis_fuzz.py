"""Property test: whatever text the signals hold, diagnosis never crashes and every finding is
well formed (valid mode and confidence, evidence quoted from the input, a fix or an action)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hpctui.core.diagnosis import Signals, WorkerLog, diagnose, findings_to_json, \
    render_findings_text
from hpctui.core.config.profile import Profile
from hpctui.core.jobscript.rejection import SubmitRejection
from hpctui.schedulers.base import JobRow, JobState

# Fragments of real messages mixed with noise, so rules get near-misses, not just garbage.
FRAGMENTS = ["Timed out trying to connect to tcp://", "10.1.2.3:8786", "No route to host",
             "is not a valid network interface", "Valid network interfaces are: [", "'ib0'",
             "Port 8787 is already in use", "Hosting the HTTP server on port ", "invalid partition",
             "specified: ", "Use --mem-per-cpu", "-n is no longer supported", "TERM_MEMLIMIT",
             "DUE TO TIME LIMIT", "No module named", "Mismatched versions found", "nprocs",
             "Could not parse job id", "Start Nanny at: 'tcp://", "Registered to:", "oom-kill",
             "failure-to-start-<class 'OSError'>", "Waiting to connect to: tcp://", "\n", " ", ":"]
text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=12).map("".join)
lines = st.lists(text, max_size=6).map(tuple)


@settings(max_examples=150, deadline=None)
@given(logs=st.lists(lines, max_size=3), stderr=text, errors=lines, sched=lines,
       reason=text, code=st.one_of(st.none(), st.integers(-1, 255)),
       kind=st.sampled_from(["slurm", "pbs", "lsf", "sge", "oar"]), partitions=lines)
def test_diagnosis_never_crashes_and_findings_are_well_formed(logs, stderr, errors, sched, reason,
                                                              code, kind, partitions):
    signals = Signals(
        profile=Profile(kind, {"cores": 2, "memory": "4GB", "walltime": "01:00:00"}),
        worker_logs=tuple(WorkerLog(f"w{i}.err", ls) for i, ls in enumerate(logs)),
        submit_failures=(SubmitRejection("sbatch job.sh", code, "", stderr),),
        errors=errors, scheduler_log=sched,
        queue=(JobRow("1", JobState.PENDING, "PD", reason),), workers_connected=0,
        partitions=tuple(p for p in partitions if p.strip()),
    )
    findings = diagnose(signals)
    quoted = {ln.strip() for ls in logs for ln in ls} | {ln.rstrip("\n") for ls in logs for ln in ls}
    for f in findings:
        assert 1 <= f.mode <= 24 and 0 <= f.confidence <= 1
        assert f.evidence, f.rule_id
        assert f.fix.ops or f.fix.action, f.rule_id
        for e in f.evidence:
            if e.source.startswith("worker log"):
                assert e.text in quoted
    render_findings_text(findings)
    findings_to_json(findings)
