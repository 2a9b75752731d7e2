"""Diagnosis rules for the network (failure modes 1-4, 20, 21), on real text: the catalogue's
symptom lines and a worker .err captured on the SLURM testbed."""

from __future__ import annotations

from pathlib import Path

from hpctui.core.diagnosis import SET, PatchOp, Signals, WorkerLog, apply_fix, diagnose
from hpctui.core.network.facts import Address, InterfaceFacts
from hpctui.core.network.probe_verdict import LOCKED_DOWN, REACHABLE, ProbeResult, Recommendation, \
    TargetResult
from hpctui.core.config.profile import Profile

FIXTURES = Path(__file__).parents[2] / "fixtures" / "diagnosis"


def iface(name, address=None, prefix=24, default=False, loopback=False):
    ipv4 = (Address(address, prefix),) if address else ()
    return InterfaceFacts(name, ipv4, (), True, None, 1500, loopback, default)


# The testbed's login node: eth0 carries the default route, ib0 the compute network.
TESTBED_LOGIN = (iface("lo", "127.0.0.1", 8, loopback=True), iface("eth0", "192.0.2.2", default=True),
                 iface("ib0", "10.213.7.1"))


def log(text: str, source="dask-worker-17.err") -> WorkerLog:
    return WorkerLog(source, tuple(text.splitlines()), job_id="17")


def by_mode(findings, mode):
    return [f for f in findings if f.mode == mode]


def captured_log(name: str) -> WorkerLog:
    return log((FIXTURES / name).read_text(), source=name)


# --- mode 1 ----------------------------------------------------------------------------------

def test_testbed_no_interface_log_proposes_the_login_interface_sharing_the_workers_subnet():
    signals = Signals(profile=Profile("slurm", {"cores": 1, "memory": "1GB"}),
                      worker_logs=(captured_log("testbed_no_interface.err"),),
                      login_interfaces=TESTBED_LOGIN)
    findings = diagnose(signals)
    assert [f.mode for f in findings] == [1]
    f = findings[0]
    assert f.rule_id == "workers-cannot-reach-scheduler"
    quoted = [e.text for e in f.evidence]
    assert "OSError: Timed out trying to connect to tcp://192.0.2.2:41735 after 30 s" in quoted
    assert "RuntimeError: Nanny failed to start." in quoted
    assert all(e.source == "worker log testbed_no_interface.err" and e.line for e in f.evidence)
    # The worker's own address (10.213.7.2) is in ib0's subnet; eth0 is the advertised one.
    assert f.fix.ops == (PatchOp(SET, "interface", "ib0"),)
    assert f.fix.action is None
    assert "192.0.2.2 (the login node's eth0, the one with the default route)" in f.explanation
    assert apply_fix(signals.profile, f.fix).get("interface") == "ib0"


def test_interface_comes_from_the_facts_not_a_fixed_name():
    # Same log, another machine: the compute network is hsn0 on a /16.
    text = (FIXTURES / "testbed_no_interface.err").read_text().replace("10.213.7.2", "10.50.3.4")
    login = (iface("eno1", "192.0.2.2", default=True), iface("hsn0", "10.50.0.1", 16),
             iface("ib0", "172.16.0.1", 24))
    f = by_mode(diagnose(Signals(worker_logs=(log(text),), login_interfaces=login)), 1)[0]
    assert f.fix.ops == (PatchOp(SET, "interface", "hsn0"),)


def test_probe_recommendation_wins_and_keeps_other_scheduler_options():
    rec = Recommendation("ib1", "eth3", "ib1 reached from cn07 in 0.4 ms")
    probe = ProbeResult(REACHABLE, "reachable", "slurm", "5", "tcp", "cn07", recommendation=rec)
    profile = Profile("slurm", {"scheduler-options": {"dashboard_address": ":8790"}})
    signals = Signals(profile=profile, probe=probe, login_interfaces=TESTBED_LOGIN,
                      worker_logs=(captured_log("testbed_no_interface.err"),))
    f = by_mode(diagnose(signals), 1)[0]
    assert f.fix.ops == (PatchOp(SET, "interface", "ib1"),
                         PatchOp(SET, "scheduler-options",
                                 {"dashboard_address": ":8790", "interface": "eth3"}))
    assert "ib1 reached from cn07" in f.explanation


def test_without_facts_the_fix_says_to_run_the_probe():
    f = by_mode(diagnose(Signals(worker_logs=(captured_log("testbed_no_interface.err"),))), 1)[0]
    assert f.fix.ops == ()
    assert "probe" in f.fix.action


def test_old_distributed_waiting_to_connect_again_and_again():
    text = "\n".join(
        f"distributed.worker - INFO - Waiting to connect to:     tcp://172.20.0.5:36111"
        for _ in range(4)) + "\ndistributed.nanny - INFO - Timed out connecting Nanny <Nanny: None, threads: 4> to scheduler"
    login = (iface("eth0", "172.20.0.5", default=True), iface("ib0", "10.1.0.5", 16))
    f = by_mode(diagnose(Signals(worker_logs=(log(text),), login_interfaces=login)), 1)[0]
    assert f.confidence >= 0.75
    assert "Timed out connecting Nanny" in f.evidence[0].text
    # One other usable interface than the advertised one: proposed, with lower certainty said.
    assert f.fix.ops == (PatchOp(SET, "interface", "ib0"),)


def test_healthy_testbed_log_has_no_findings():
    signals = Signals(worker_logs=(captured_log("testbed_healthy.err"),),
                      login_interfaces=TESTBED_LOGIN, workers_connected=1)
    assert diagnose(signals) == []


# --- mode 2 ----------------------------------------------------------------------------------

def test_interface_missing_on_compute_nodes():
    text = ("Traceback (most recent call last):\n"
            "ValueError: 'ib0' is not a valid network interface. Valid network interfaces are: "
            "['lo', 'eth0', 'hsn0']")
    login = (iface("eth0", "192.0.2.2", default=True), iface("ib0", "10.213.7.1"))
    f = by_mode(diagnose(Signals(profile=Profile("pbs", {"interface": "ib0"}),
                                 worker_logs=(log(text),), login_interfaces=login)), 2)[0]
    assert f.rule_id == "interface-missing-on-compute"
    assert "is not a valid network interface" in f.evidence[0].text
    # eth0 exists on both sides: one name for workers and scheduler.
    assert f.fix.ops == (PatchOp(SET, "interface", "eth0"),)


def test_interface_missing_on_compute_with_no_common_name_splits_the_settings():
    text = "ValueError: 'ib0' is not a valid network interface. Valid network interfaces are: ['lo', 'hsn0']"
    login = (iface("eth0", "192.0.2.2", default=True), iface("ib0", "10.213.7.1"))
    f = by_mode(diagnose(Signals(profile=Profile("slurm", {"interface": "ib0"}),
                                 worker_logs=(log(text),), login_interfaces=login)), 2)[0]
    assert f.fix.ops == (PatchOp(SET, "interface", "hsn0"),
                         PatchOp(SET, "scheduler-options", {"interface": "ib0"}))
    profile = apply_fix(Profile("slurm", {"interface": "ib0"}), f.fix)
    assert profile.cluster_kwargs()["scheduler_options"] == {"interface": "ib0"}


def test_interface_without_ipv4_on_login_node():
    err = "ValueError: interface 'ib0' doesn't have an IPv4 address"
    f = by_mode(diagnose(Signals(errors=(err,))), 2)[0]
    assert f.rule_id == "interface-missing-on-login"
    assert f.evidence[0].source == "hpctui"
    assert "scheduler-options" in f.fix.action


# --- mode 3 ----------------------------------------------------------------------------------

def test_no_route_to_host_means_locked_down():
    text = ("OSError: Timed out trying to connect to tcp://10.0.0.1:8786 after 30 s\n"
            "ConnectionRefusedError: [Errno 113] No route to host\n"
            "distributed.nanny - INFO - Closing Nanny at 'tcp://10.0.3.3:4000'. "
            "Reason: failure-to-start-<class 'OSError'>")
    findings = diagnose(Signals(profile=Profile("slurm"), worker_logs=(log(text),)))
    assert [f.mode for f in findings] == [3]
    f = findings[0]
    assert "No route to host" in f.evidence[0].text
    # The one-key fix moves the scheduler into a batch job; the interactive job stays the
    # second way, in words.
    assert [(op.key, op.value) for op in f.fix.ops] == [("scheduler-placement", "job")]
    assert f.fix.is_config
    assert "salloc --nodes=1 --time=01:00:00" in f.explanation
    # Once the scheduler runs in a job, the login node's firewall is no longer in the way.
    moved = Profile("slurm", {"scheduler-placement": "job"})
    assert not by_mode(diagnose(Signals(profile=moved, worker_logs=(log(text),))), 3)


def test_probe_locked_down_verdict():
    target = TargetResult("ib0", "10.213.7.1", 40000, "timeout", None, "timed out", None)
    probe = ProbeResult(LOCKED_DOWN, "No login-node address is reachable from cn01", "pbs", "3",
                        "file", "cn01", targets=(target,),
                        interactive_command="qsub -I -l select=1 -l walltime=01:00:00")
    f = by_mode(diagnose(Signals(probe=probe)), 3)[0]
    assert f.confidence >= 0.9
    assert any("10.213.7.1:40000" in e.text for e in f.evidence)
    assert "qsub -I -l select=1" in f.fix.action


# --- mode 4 ----------------------------------------------------------------------------------

def test_no_default_route_falls_back_to_localhost():
    text = ("distributed.utils - WARNING - Couldn't detect a suitable IP address for reaching "
            "'8.8.8.8', defaulting to hostname: [Errno 101] Network is unreachable\n"
            "distributed.worker - INFO -       Start worker at:      tcp://127.0.0.1:34567")
    login = (iface("ib0", "10.3.0.1", 16),)
    f = by_mode(diagnose(Signals(worker_logs=(log(text),), login_interfaces=login)), 4)[0]
    assert "Couldn't detect a suitable IP address" in f.evidence[0].text
    assert any("127.0.0.1" in e.text for e in f.evidence)
    assert f.fix.ops == (PatchOp(SET, "interface", "ib0"),)


# --- mode 20 ---------------------------------------------------------------------------------

def test_dashboard_port_taken_pins_the_port_it_moved_to():
    lines = ("/usr/lib/python3/site-packages/distributed/node.py:182: UserWarning: Port 8787 is "
             "already in use.",
             "Perhaps you already have a cluster running?",
             "Hosting the HTTP server on port 37141 instead")
    profile = Profile("slurm", {"scheduler-options": {"interface": "ib0"}})
    f = by_mode(diagnose(Signals(profile=profile, scheduler_log=lines)), 20)[0]
    assert f.evidence[0].text.endswith("Port 8787 is already in use.")
    assert f.fix.ops == (PatchOp(SET, "scheduler-options",
                                 {"interface": "ib0", "dashboard_address": ":37141"}),)


# --- mode 21 ---------------------------------------------------------------------------------

def test_tls_on_one_side_only():
    text = ("distributed.comm.tcp - WARNING - encryption required by Dask configuration, "
            "refusing communication from/to 'tcp://10.1.1.2:8786'")
    f = by_mode(diagnose(Signals(worker_logs=(log(text),))), 21)[0]
    assert "refusing communication" in f.evidence[0].text
    # The fix is now a profile change hpctui applies: security: true on both sides.
    assert [(op.key, op.value) for op in f.fix.ops] == [("security", True)]
    assert "require-encryption" in f.fix.action


def test_older_quoted_wording_and_a_healthy_neighbour():
    # distributed before 2022 quoted the address and used a 10 s timeout; a second worker that
    # registered fine must not hide the first one's failure, nor count as evidence.
    broken = log("OSError: Timed out trying to connect to 'tcp://192.0.2.2:8786' after 10 s",
                 source="w1.err")
    f = by_mode(diagnose(Signals(worker_logs=(broken, captured_log("testbed_healthy.err")),
                                 login_interfaces=TESTBED_LOGIN)), 1)[0]
    assert [e.source for e in f.evidence] == ["worker log w1.err"]
    assert "192.0.2.2 (the login node's eth0" in f.explanation
