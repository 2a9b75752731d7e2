"""Verdict rules over probe reports: recommended interface, differing names, locked down."""

from __future__ import annotations

from hpctui.core.batch.kinds import KINDS
from hpctui.core.network.facts import AF_INET, FakeInterfaceTable, LinkStats, login_interfaces
from hpctui.core.network.probe_verdict import LOCKED_DOWN, REACHABLE, recommend, target_results, verdict_from_report

LOGIN = login_interfaces(FakeInterfaceTable(
    addresses={
        "eth0": {AF_INET: [{"addr": "192.0.2.10", "netmask": "255.255.255.0"}]},
        "ib0": {AF_INET: [{"addr": "10.20.0.5", "netmask": "255.255.0.0"}]},
        "hsn0": {AF_INET: [{"addr": "10.40.0.5", "netmask": "255.255.0.0"}]},
    },
    link_stats={
        "eth0": LinkStats(True, 1000, 1500),
        "ib0": LinkStats(True, 100000, 2044),
        "hsn0": LinkStats(True, 0, 9000),
    },
    gateway_table={"default": {AF_INET: ("192.0.2.1", "eth0")}},
))


def _report(statuses: dict[str, tuple[str, str, str | None]], node_ifaces=None) -> dict:
    """statuses: target name -> (host, status, local_address)."""
    return {
        "token": "t", "stage": "final", "hostname": "cn042",
        "interfaces": node_ifaces or [
            {"name": "lo", "up": True, "loopback": True, "mtu": 65536, "ipv4": ["127.0.0.1/8"], "ipv6": []},
            {"name": "ib0", "up": True, "loopback": False, "mtu": 2044, "ipv4": ["10.20.3.7/16"], "ipv6": []},
            {"name": "eno1", "up": True, "loopback": False, "mtu": 1500, "ipv4": ["192.0.2.77/24"], "ipv6": []},
        ],
        "targets": [
            {"name": n, "host": h, "port": 4000 + i, "status": s, "ms": 0.3 if s == "ok" else 1500.0,
             "error": "" if s == "ok" else "TimeoutError: timed out", "local_address": la}
            for i, (n, (h, s, la)) in enumerate(statuses.items())
        ],
        "python": {"python": "/sw/py/bin/python", "ok": True, "dask": "2026.8.0",
                   "distributed": "2026.7.0", "error": ""},
    }


def test_only_ib0_reachable_recommends_ib0():
    report = _report({"eth0": ("192.0.2.10", "timeout", None), "ib0": ("10.20.0.5", "ok", "10.20.3.7")})
    r = verdict_from_report(report, "slurm", LOGIN, ("2026.8.0", "2026.8.0"), "tcp", "17")
    assert r.verdict == REACHABLE
    assert r.recommendation.settings_patch() == {"interface": "ib0"}
    assert "not reachable: eth0" in r.message and "`interface: ib0`" in r.message
    rows = {t.login_interface: t for t in r.targets}
    assert rows["ib0"].compute_interface == "ib0" and rows["eth0"].compute_interface is None
    assert rows["eth0"].words.startswith("timed out")
    assert r.python.ok and not r.python.versions_match  # distributed differs
    assert r.interactive_command is None


def test_fastest_reachable_wins_then_not_default_route():
    both = _report({"eth0": ("192.0.2.10", "ok", "192.0.2.77"), "ib0": ("10.20.0.5", "ok", "10.20.3.7")})
    assert recommend(target_results(both), LOGIN).interface == "ib0"
    # hsn0's speed is unknown (psutil's 0), so eth0's known 1000 Mb/s wins over it ...
    eth_hsn = _report({"eth0": ("192.0.2.10", "ok", "192.0.2.77"), "hsn0": ("10.40.0.5", "ok", None)})
    rec = recommend(target_results(eth_hsn), LOGIN)
    # (the compute node calls its interface on eth0's network eno1)
    assert (rec.interface, rec.scheduler_interface) == ("eno1", "eth0")
    # ... and at equal speed the interface without the default route wins.
    equal = login_interfaces(FakeInterfaceTable(
        addresses={"eth0": {AF_INET: [{"addr": "192.0.2.10"}]}, "ib0": {AF_INET: [{"addr": "10.20.0.5"}]}},
        gateway_table={"default": {AF_INET: ("192.0.2.1", "eth0")}},
    ))
    assert recommend(target_results(both), equal).interface == "ib0"


def test_different_compute_name_sets_scheduler_interface():
    # The compute node reaches the login node's ib0 network through an interface it calls ib1.
    nodes = [{"name": "ib1", "up": True, "loopback": False, "mtu": 2044, "ipv4": ["10.20.9.9/16"], "ipv6": []}]
    report = _report({"ib0": ("10.20.0.5", "ok", "10.20.9.9")}, node_ifaces=nodes)
    r = verdict_from_report(report, "pbs", LOGIN)
    assert r.recommendation.settings_patch() == {
        "interface": "ib1", "scheduler-options": {"interface": "ib0"}}
    assert "scheduler-options.interface: ib0" in r.message


def test_subnet_fallback_when_local_address_unknown():
    nodes = [{"name": "ibp0", "up": True, "loopback": False, "mtu": 2044, "ipv4": ["10.20.9.9/16"], "ipv6": []}]
    report = _report({"ib0": ("10.20.0.5", "ok", None)}, node_ifaces=nodes)
    assert target_results(report)[0].compute_interface == "ibp0"


def test_nothing_reachable_is_locked_down_with_the_interactive_command():
    report = _report({"eth0": ("192.0.2.10", "timeout", None), "ib0": ("10.20.0.5", "no-route", None)})
    r = verdict_from_report(report, "slurm", LOGIN, channel="file")
    assert r.verdict == LOCKED_DOWN and r.recommendation is None
    assert r.interactive_command == KINDS["slurm"].interactive_command
    assert "locked down" in r.message and "`salloc" in r.message and "hpctui" in r.message
    assert "ib0 10.20.0.5: no route to host" in r.message
    lsf = verdict_from_report(report, "lsf", LOGIN)
    assert lsf.interactive_command.startswith("bsub -Is")


def test_refused_is_not_reachable():
    report = _report({"ib0": ("10.20.0.5", "refused", None)})
    assert verdict_from_report(report, "sge", LOGIN).verdict == LOCKED_DOWN


def test_report_without_python_check_yet():
    report = _report({"ib0": ("10.20.0.5", "ok", "10.20.3.7")})
    report["python"] = None
    assert verdict_from_report(report, "slurm", LOGIN).python is None
