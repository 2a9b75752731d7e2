"""The diagnosis engine as a whole: every failure mode reachable, ordering, merging, crashes named,
healthy signals quiet, and the text and JSON reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hpctui.core.diagnosis import Evidence, Finding, Fix, PatchOp, RuleError, Signals, Versions, \
    WorkerLog, diagnose, findings_to_json, render_findings_text
from hpctui.core.diagnosis import network
from hpctui.core.network.facts import Address, InterfaceFacts
from hpctui.core.config.profile import Profile
from hpctui.core.jobscript.rejection import SubmitRejection
from hpctui.schedulers.base import JobRow, JobState

FIXTURES = Path(__file__).parents[2] / "fixtures" / "diagnosis"
LOGIN = (InterfaceFacts("eth0", (Address("192.0.2.2", 24),), (), True, None, 1500, False, True),
         InterfaceFacts("ib0", (Address("10.213.7.1", 24),), (), True, None, 1500, False, False))


def worker_log(source: str, text: str) -> WorkerLog:
    return WorkerLog(source, tuple(text.splitlines()))


# One worker log per failure mode, in the catalogue's words (modes found from other signals below).
CATALOGUE_LOGS = {
    1: (FIXTURES / "testbed_no_interface.err").read_text(),
    2: "ValueError: 'ib0' is not a valid network interface. Valid network interfaces are: ['lo', 'eth0']",
    3: "OSError: [Errno 113] No route to host",
    4: "Couldn't detect a suitable IP address for reaching '8.8.8.8', defaulting to hostname: "
       "[Errno 101] Network is unreachable",
    5: "ModuleNotFoundError: No module named 'distributed'",
    6: "distributed.client - WARNING - Mismatched versions found",
    7: "Error: Both --nprocs and --nworkers were specified. Use --nworkers only.",
    10: "TERM_MEMLIMIT: job killed after reaching LSF memory usage limit.",
    12: "slurmstepd: error: Detected 1 oom-kill event(s) in StepId=51.batch.",
    13: "slurmstepd: error: *** JOB 51 ON cn01 CANCELLED AT 2026-11-27T10:00:00 DUE TO TIME LIMIT ***",
    14: "distributed.utils_perf - WARNING - Creating scratch directories is taking a surprisingly long time. (2.10s)",
    15: "OSError: [Errno 37] No locks available",
    16: "distributed.worker - INFO - Stopping worker. Reason: worker-handle-scheduler-connection-broken",
    17: "distributed.nanny - INFO - Closing Nanny at 'tcp://10.213.7.2:1'. Reason: "
        "failure-to-start-<class 'asyncio.exceptions.TimeoutError'>",
    21: "encryption required by Dask configuration, refusing communication from/to 'tcp://10.1.1.1:8786'",
}


def everything_wrong() -> Signals:
    return Signals(
        profile=Profile("sge", {"cores": 2, "memory": "4GB"}),
        worker_logs=tuple(worker_log(f"mode{m}.err", t) for m, t in CATALOGUE_LOGS.items()),
        submit_failures=(
            SubmitRejection("bsub /tmp/job.sh", 255, "",
                            "ERROR: -n is no longer supported. Please request nodes with -nnodes."),
            SubmitRejection("sbatch /tmp/job.sh", 1, "",
                            "sbatch: error: Slurm temporarily unable to accept job, sleeping and retrying"),
        ),
        errors=("ValueError: Could not parse job id from submission command output.",
                "ValueError: You must specify how much cores and memory per job you want to use",
                "FileNotFoundError: [Errno 2] No such file or directory: 'oarsub'"),
        scheduler_log=("UserWarning: Port 8787 is already in use.",
                       "Hosting the HTTP server on port 40001 instead"),
        jobs_submitted=10, jobs_cancelled_unstarted=8, adaptive=True,
        login_interfaces=LOGIN,
    )


def test_every_failure_mode_has_a_rule_that_fires_on_its_catalogue_text():
    modes = {f.mode for f in diagnose(everything_wrong())}
    # Mode 11 comes from the profile: SGE with memory but no resource-spec.
    assert modes == set(range(1, 24))


def test_findings_are_ordered_by_confidence():
    findings = diagnose(everything_wrong())
    confidences = [f.confidence for f in findings]
    assert confidences == sorted(confidences, reverse=True)
    assert findings[0].confidence > findings[-1].confidence


def test_same_mode_and_fix_from_two_rules_merge_with_their_evidence():
    text = CATALOGUE_LOGS[1]
    signals = Signals(worker_logs=(worker_log("a.err", text), worker_log("b.err", text)),
                      login_interfaces=LOGIN)
    once = diagnose(signals, rules=(network.workers_cannot_connect,))
    twice = diagnose(signals, rules=(network.workers_cannot_connect, network.workers_cannot_connect))
    assert len(once) == len(twice) == 1
    assert twice[0].evidence == once[0].evidence
    assert {e.source for e in once[0].evidence} == {"worker log a.err", "worker log b.err"}


def test_a_crashing_rule_is_named():
    def broken(signals):
        raise KeyError("queue")

    with pytest.raises(RuleError, match=r"test_diagnosis_engine\.broken failed: KeyError"):
        diagnose(Signals(), rules=(broken,))


def test_healthy_signals_give_no_findings():
    healthy = Signals(
        profile=Profile("slurm", {"cores": 1, "memory": "1GB", "interface": "ib0",
                                  "walltime": "00:10:00", "queue": "debug"}),
        worker_logs=(worker_log("testbed_healthy.err",
                                (FIXTURES / "testbed_healthy.err").read_text()),),
        queue=(JobRow("12", JobState.RUNNING, "RUNNING", "None", "cn01"),),
        workers_connected=1, jobs_submitted=1, scheduler_address="tcp://10.213.7.1:39755",
        login_versions=Versions("login node", "3.11.7", "2026.8.0", "2026.8.0"),
        worker_versions=(Versions("job 12", "3.11.7", "2026.8.0", "2026.8.0"),),
        login_interfaces=LOGIN, partitions=("debug*",),
    )
    assert diagnose(healthy) == []
    assert diagnose(Signals()) == []


def test_text_report():
    findings = diagnose(Signals(worker_logs=(worker_log("cn01-7.err", CATALOGUE_LOGS[1]),),
                                login_interfaces=LOGIN))
    text = render_findings_text(findings)
    assert text.startswith("1. Workers cannot reach the scheduler's address  [failure mode 1, "
                           "workers-cannot-reach-scheduler, confidence 90%]")
    assert ("     worker log cn01-7.err:47: OSError: Timed out trying to connect to "
            "tcp://192.0.2.2:41735 after 30 s") in text
    assert "     - set interface: 'ib0'" in text
    assert render_findings_text([]) == "No problems found.\n"


def test_json_report_follows_the_schema():
    finding = Finding("x-rule", 8, "Title", "Why.", (Evidence("sbatch stderr", "boom"),), 0.5,
                      Fix((PatchOp("skip-header", "job-directives-skip", "--mem=", "#SBATCH --mem=1G"),
                           PatchOp("set", "scheduler-options", {"interface": "ib0"})), "and then"))
    doc = json.loads(json.dumps(findings_to_json([finding])))
    assert doc == {"schema": "hpctui.findings/1", "findings": [{
        "rule_id": "x-rule", "mode": 8, "title": "Title", "explanation": "Why.", "confidence": 0.5,
        "evidence": [{"source": "sbatch stderr", "line": None, "text": "boom"}],
        "fix": {"summary": "add '--mem=' to job-directives-skip (drops '#SBATCH --mem=1G'); "
                           "set scheduler-options: {'interface': 'ib0'}; and then",
                "ops": [{"op": "skip-header", "key": "job-directives-skip", "value": "--mem=",
                         "line": "#SBATCH --mem=1G"},
                        {"op": "set", "key": "scheduler-options", "value": {"interface": "ib0"},
                         "line": None}],
                "action": "and then"}}]}
    # The whole catalogue serializes.
    assert json.dumps(findings_to_json(diagnose(everything_wrong())))


def test_bad_finding_values_are_refused_with_the_key():
    with pytest.raises(ValueError, match="mode: 25"):
        Finding("r", 25, "t", "e", (), 0.5)
    with pytest.raises(ValueError, match="confidence: 1.5"):
        Finding("r", 1, "t", "e", (), 1.5)
    with pytest.raises(ValueError, match="op: 'rename'"):
        PatchOp("rename", "interface")


def test_signals_take_lists_and_refuse_a_lone_string_by_name():
    assert Signals(partitions=["debug", "long"]).partitions == ("debug", "long")
    with pytest.raises(TypeError, match=r"Signals.errors: expected a sequence, got 'boom'"):
        Signals(errors="boom")
    with pytest.raises(TypeError, match=r"Signals.profile: expected a Profile, got \{\}"):
        Signals(profile={})
