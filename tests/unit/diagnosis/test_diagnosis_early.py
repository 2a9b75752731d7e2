"""Early verdicts and plain statements, from real material: a probe report captured on the SLURM
testbed, session event sequences recorded there, and a probe really refused by a submit
command that is not installed.

- The probe proving the scheduler's advertised address unreachable is the network finding,
  quoting the probe's rows, while the job still runs and before any worker gave up.
- A job running with no worker and nothing explaining it ends in a plain statement of what is
  known (empty log, the probe's outcome), never in a cause.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

from hpctui.core.config.profile import Profile
from hpctui.core.diagnosis import SET, PatchOp, Signals, diagnose
from hpctui.core.diagnosis.collector import SignalCollector
from hpctui.core.diagnosis.probe_facts import proves_unreachable
from hpctui.core.network.probe_run import run_probe
from hpctui.core.network.probe_verdict import LOCKED_DOWN, SUBMIT_FAILED, verdict_from_report
from hpctui.core.session import events as ev

from hpctui.core.network.facts import Address, InterfaceFacts

from recorded_events import before_cancel, recorded, running_at

FIXTURES = Path(__file__).parents[2] / "fixtures" / "diagnosis"
PROFILE = Profile("slurm", {"cores": 1, "memory": "1GB"})


def _iface(name, address, prefix, default=False, loopback=False):
    return InterfaceFacts(name, (Address(address, prefix),), (), True, None, 1500, loopback,
                          default)


# The testbed's login node: eth0 carries the default route, ib0 the compute network.
TESTBED_LOGIN = (_iface("lo", "127.0.0.1", 8, loopback=True),
                 _iface("eth0", "192.0.2.2", 24, default=True), _iface("ib0", "10.213.7.1", 24))


def probe_of_testbed(**changes):
    report = json.loads((FIXTURES / "testbed_probe_report.json").read_text())
    for name, status in changes.items():
        for t in report["targets"]:
            if t["name"] == name:
                t["status"], t["local_address"] = status, None
    return verdict_from_report(report, "slurm", list(TESTBED_LOGIN), ("2026.8.0", "2026.8.0"),
                               channel="tcp", job_id="9")


def collector_running_no_worker() -> tuple[SignalCollector, float]:
    """A collector fed the no-interface session as recorded, up to the cancel: the job RUNNING,
    its log file there and empty, no worker. Returns it and when the job started running."""
    events = recorded("no_interface")
    c = SignalCollector()
    for e in before_cancel(events):
        c.on_event(e)
    return c, running_at(events)


def scheduler(c: SignalCollector) -> str:
    return c.signals().scheduler_address


# -- mode 1 from the probe, before any worker gives up ---------------------------------------

def test_probe_proves_the_advertised_address_unreachable_while_the_job_runs():
    c, start = collector_running_no_worker()
    probe = probe_of_testbed()
    assert scheduler(c).startswith("tcp://192.0.2.2:")  # the default-route address, as recorded
    signals = c.signals(PROFILE, probe=probe, login_interfaces=TESTBED_LOGIN, now=start + 4)
    assert signals.worker_logs[0].lines == ()  # nothing from the worker yet
    findings = diagnose(signals)
    f = findings[0]
    assert f.rule_id == "workers-cannot-reach-scheduler" and f.confidence >= 0.8
    assert f.fix.ops == (PatchOp(SET, "interface", "ib0"),)
    quoted = [(e.source, e.text) for e in f.evidence]
    assert quoted[0][0] == "probe" and "eth0 192.0.2.2 (the address the scheduler advertises)" \
        in quoted[0][1] and "timed out" in quoted[0][1]
    assert any(src == "probe" and "ib0 10.213.7.1: reachable" in text for src, text in quoted)
    assert any(src.startswith("queue job ") and "no worker connected" in text
               for src, text in quoted)
    assert "could not reach the scheduler's address 192.0.2.2 (the login node's eth0" \
        in f.explanation
    # Nothing less sure beside it pretends nothing explains it.
    assert "running-no-worker" not in [x.rule_id for x in findings]


def test_probe_that_reached_the_scheduler_address_names_no_network_cause():
    c, start = collector_running_no_worker()
    signals = dataclasses.replace(
        c.signals(PROFILE, probe=probe_of_testbed(), login_interfaces=TESTBED_LOGIN),
        scheduler_address="tcp://10.213.7.1:40001")  # `interface: ib0` set
    assert proves_unreachable(signals) is None
    assert not [f for f in diagnose(signals) if f.mode in (1, 3)]


def test_scheduler_on_an_address_the_probe_did_not_try_is_no_proof():
    c, _ = collector_running_no_worker()
    signals = dataclasses.replace(c.signals(PROFILE, probe=probe_of_testbed()),
                                  scheduler_address="tcp://198.51.100.7:40001")
    assert proves_unreachable(signals) is None
    assert not [f for f in diagnose(signals) if f.mode == 1]


def test_nothing_reachable_is_locked_down_not_a_wrong_address():
    c, _ = collector_running_no_worker()
    probe = probe_of_testbed(ib0="timeout")
    assert probe.verdict == LOCKED_DOWN
    signals = c.signals(PROFILE, probe=probe, login_interfaces=TESTBED_LOGIN)
    assert proves_unreachable(signals) is None
    modes = [f.mode for f in diagnose(signals)]
    assert 3 in modes and 1 not in modes


# -- bad input: what is known, plainly -------------------------------------------------------

def test_collector_makes_a_quiet_job_only_past_the_patience():
    c, start = collector_running_no_worker()
    assert c.signals(now=start + 5).quiet_jobs == ()  # still "starting": not past patience
    [job] = c.signals(quiet_after=0.0, now=start + 5).quiet_jobs
    assert job.running_for == 5.0 and job.nodes == "cn01"
    assert job.log_seen and job.log_lines == 0 and job.last_line is None
    # The tracker's own verdict (the queue pane's "started, not connected") makes it quiet too.
    c.on_event(ev.JobStateChanged(job_id=job.job_id, old="starting", new="started, not connected",
                                  queue_state="RUNNING", reason="running 60 s with no worker",
                                  nodes="cn01", at=start + 60))
    assert [j.job_id for j in c.signals(now=start + 61).quiet_jobs] == [job.job_id]
    c.on_event(ev.LogLinesAppended(job_id=job.job_id, path="w.err", stream="stderr",
                                   lines=("INFO - Start Nanny at: 'tcp://10.213.7.2:1'",),
                                   at=start + 62))
    [quiet] = c.signals(now=start + 70).quiet_jobs
    assert quiet.log_lines == 1 and quiet.silent_for == 8.0 and "Start Nanny" in quiet.last_line


def test_empty_log_after_the_timeout_is_a_plain_statement_with_no_cause():
    c, start = collector_running_no_worker()
    findings = diagnose(c.signals(PROFILE, quiet_after=0.0, now=start + 30))
    # Only the scheduler's TLS advice (0.5) beside it: it listens on every interface.
    assert [f.rule_id for f in findings if f.confidence >= 0.5] == ["scheduler-open-without-tls"]
    [f] = [f for f in findings if f.rule_id == "running-no-worker"]
    assert f.title.startswith("1 job(s) running 30 s with no worker connected; nothing says why")
    texts = [e.text for e in f.evidence]
    assert "RUNNING on cn01 for 30 s, no worker of it connected" in texts
    assert "its log file exists and is empty: the worker has written nothing" in texts
    assert "No network probe has run." in f.explanation and "No cause is claimed" in f.explanation
    assert f.fix.ops == () and "stack sampler" in f.fix.action and f.confidence < 0.5


def test_probe_that_could_not_be_submitted_is_said_and_no_cause_is_claimed(tmp_path):
    # A real refusal: LSF's bsub is not installed here, so the probe job cannot be submitted.
    probe = run_probe("lsf", dict(cores=1, memory="1GB", python=sys.executable,
                                  log_directory=str(tmp_path)), report_timeout=10)
    assert probe.verdict == SUBMIT_FAILED
    c, start = collector_running_no_worker()
    # The scheduler's address is unreachable in truth, but nothing proves it: no mode 1.
    findings = diagnose(c.signals(PROFILE, probe=probe, login_interfaces=TESTBED_LOGIN,
                                  quiet_after=0.0, now=start + 30))
    assert [f.mode for f in findings if f.confidence >= 0.5] == [21]  # only the TLS advice
    [f] = [f for f in findings if f.rule_id == "running-no-worker"]
    quoted = [e.text for e in f.evidence if e.source == "probe"]
    assert quoted and quoted[0].startswith("could not be submitted: the probe job was rejected")
    assert "Exit code: 127" in quoted[0]
    assert "could not be submitted, so the network is untested" in f.explanation


def test_probe_that_reached_the_scheduler_is_quoted_in_the_statement():
    c, start = collector_running_no_worker()
    signals = dataclasses.replace(
        c.signals(PROFILE, probe=probe_of_testbed(), quiet_after=0.0, now=start + 20),
        scheduler_address="tcp://10.213.7.1:40001")
    [f] = [f for f in diagnose(signals) if f.rule_id == "running-no-worker"]
    assert any(e.source == "probe" and "10.213.7.1 (the scheduler's address): reachable"
               in e.text for e in f.evidence)
    assert "the network is not what stops the workers" in f.explanation


def test_no_statement_once_a_worker_connected():
    signals = Signals(profile=PROFILE, workers_connected=1,
                      quiet_jobs=collector_running_no_worker()[0].signals(
                          quiet_after=0.0, now=time.time()).quiet_jobs)
    assert not [f for f in diagnose(signals) if f.rule_id == "running-no-worker"]
