"""Scheduler listen/advertised address, the setting that chose it, and the no-TLS warning."""

from __future__ import annotations

import pytest
from distributed import Scheduler

from hpctui.core.network.facts import AF_INET, FakeInterfaceTable, LinkStats, login_interfaces
from hpctui.core.network.address import (
    address_source,
    describe_running_scheduler,
    describe_scheduler_address,
    split_address,
)

FAKE = login_interfaces(FakeInterfaceTable(
    addresses={
        "lo": {AF_INET: [{"addr": "127.0.0.1", "netmask": "255.0.0.0"}]},
        "eth0": {AF_INET: [{"addr": "192.0.2.10", "netmask": "255.255.255.0"}]},
        "ib0": {AF_INET: [{"addr": "10.20.0.5", "netmask": "255.255.0.0"}]},
    },
    link_stats={"lo": LinkStats(True, 0, 65536, "up,loopback")},
    gateway_table={"default": {AF_INET: ("192.0.2.1", "eth0")}},
))


@pytest.mark.parametrize("settings,key,value", [
    ({}, "default", None),
    ({"interface": "ib0"}, "interface", "ib0"),
    ({"interface": "ib0", "scheduler-options": {"interface": "ib1"}}, "scheduler-options.interface", "ib1"),
    ({"interface": "ib0", "scheduler-options": {"host": "10.0.0.1"}}, "scheduler-options.host", "10.0.0.1"),
    # Any host/interface key in scheduler-options stops dask-jobqueue copying `interface` over.
    ({"interface": "ib0", "scheduler-options": {"host": None}}, "default", None),
    ({"scheduler-options": {"dashboard_address": ":8787"}}, "default", None),
])
def test_source_follows_dask_jobqueue_precedence(settings, key, value):
    src = address_source(settings)
    assert (src.key, src.value) == (key, value)


def test_source_rejects_both_host_and_interface():
    with pytest.raises(ValueError, match=r"scheduler-options sets both host \('h'\) and interface \('ib0'\)"):
        address_source({"scheduler-options": {"host": "h", "interface": "ib0"}})
    with pytest.raises(ValueError, match="scheduler-options must be a mapping, got 'ib0'"):
        address_source({"scheduler-options": "ib0"})


def test_split_address():
    assert split_address("tls://10.0.0.1:8786") == ("tls", "10.0.0.1", 8786)
    assert split_address("tcp://[::]:8786") == ("tcp", "::", 8786)
    assert split_address("10.0.0.1:1") == ("tcp", "10.0.0.1", 1)
    with pytest.raises(ValueError, match="port 'x' is not a number"):
        split_address("tcp://h:x")


def test_default_listens_everywhere_without_tls_warns_and_names_default_route():
    facts = describe_scheduler_address("tcp://0.0.0.0:41999", "tcp://192.0.2.10:41999", {}, FAKE)
    assert facts.listens_on_all_interfaces and not facts.tls
    assert facts.advertised_interface == "eth0"
    assert facts.source.key == "default"
    assert "default route" in facts.explanation
    (warning,) = facts.warnings
    assert "all interfaces" in warning and "security: true" in warning and "41999" in warning


def test_tls_on_all_interfaces_does_not_warn():
    facts = describe_scheduler_address("tls://0.0.0.0:1", "tls://192.0.2.10:1", {}, FAKE)
    assert facts.tls and facts.warnings == ()


def test_loopback_advertised_warns():
    facts = describe_scheduler_address("tcp://127.0.0.1:5", "tcp://127.0.0.1:5", {}, FAKE)
    assert not facts.listens_on_all_interfaces
    assert any("loopback" in w for w in facts.warnings)


async def test_running_scheduler_on_all_interfaces():
    async with Scheduler(host="0.0.0.0", port=0, dashboard_address="127.0.0.1:0") as s:
        facts = describe_running_scheduler(s, {}, login_interfaces())
    assert facts.listen_host == "0.0.0.0" and facts.listens_on_all_interfaces
    assert facts.advertised_address == s.address
    assert facts.warnings and "security: true" in facts.warnings[0]


async def test_running_scheduler_on_one_interface_by_setting():
    # As dask-jobqueue would start it for `interface: lo`.
    async with Scheduler(interface="lo", port=0, dashboard_address="127.0.0.1:0") as s:
        facts = describe_running_scheduler(s, {"interface": "lo"}, login_interfaces())
    assert facts.listen_address == facts.advertised_address == s.address
    assert facts.advertised_host == "127.0.0.1" and facts.advertised_interface == "lo"
    assert (facts.source.key, facts.source.value) == ("interface", "lo")
    assert facts.explanation == f"Workers are told to connect to {s.address} (lo): `interface: lo` chose it."
    assert not facts.listens_on_all_interfaces
    assert [w for w in facts.warnings if "all interfaces" in w] == []


def test_object_without_scheduler_is_a_clear_error():
    with pytest.raises(ValueError, match="has no running scheduler listener"):
        describe_running_scheduler(object(), {})
