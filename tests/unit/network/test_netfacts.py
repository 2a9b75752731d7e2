"""Interface facts from a fake table (no IPv4, down, loopback, default route) and from this machine."""

from __future__ import annotations

import pytest

from hpctui.core.network.facts import (
    AF_INET,
    AF_INET6,
    FakeInterfaceTable,
    LinkStats,
    interface_by_name,
    interface_of_address,
    login_interfaces,
)

# A login node as netifaces and psutil would describe it: loopback, a default-route eth0 with
# IPv4 and IPv6, an InfiniBand ib0, an ib1 that is down, and an hsn0 with only link-local IPv6.
FAKE = FakeInterfaceTable(
    addresses={
        "lo": {
            AF_INET: [{"addr": "127.0.0.1", "netmask": "255.0.0.0"}],
            AF_INET6: [{"addr": "::1", "netmask": "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"}],
        },
        "eth0": {
            17: [{"addr": "02:00:00:00:00:01"}],
            AF_INET: [{"addr": "192.0.2.10", "netmask": "255.255.255.0"}],
            AF_INET6: [
                {"addr": "2001:db8::10", "netmask": "ffff:ffff:ffff:ffff::/64"},
                {"addr": "fe80::1%eth0", "netmask": "ffff:ffff:ffff:ffff::/64"},
            ],
        },
        "ib0": {AF_INET: [{"addr": "10.20.0.5", "netmask": "255.255.0.0"}]},
        "ib1": {AF_INET: [{"addr": "10.30.0.5", "netmask": "255.255.255.0"}]},
        "hsn0": {AF_INET6: [{"addr": "fe80::2%hsn0", "netmask": "ffff:ffff:ffff:ffff::/64"}]},
    },
    link_stats={
        "lo": LinkStats(True, 0, 65536, "up,loopback,running"),
        "eth0": LinkStats(True, 1000, 1500, "up,broadcast,running,multicast"),
        "ib0": LinkStats(True, 100000, 2044, "up,broadcast,running,multicast"),
        "ib1": LinkStats(False, 0, 2044, "broadcast,multicast"),
        "hsn0": LinkStats(True, 200000, 9000, "up,broadcast,running,multicast"),
    },
    gateway_table={
        "default": {AF_INET: ("192.0.2.1", "eth0"), AF_INET6: ("2001:db8::1", "eth0")},
        AF_INET: [("192.0.2.1", "eth0", True)],
    },
)


def _facts():
    return {f.name: f for f in login_interfaces(FAKE)}


def test_order_and_names_follow_the_table():
    assert [f.name for f in login_interfaces(FAKE)] == ["lo", "eth0", "ib0", "ib1", "hsn0"]


def test_addresses_prefixes_and_link_local_zone_stripped():
    f = _facts()
    assert f["eth0"].ipv4_addresses == ("192.0.2.10",)
    assert str(f["eth0"].ipv4[0]) == "192.0.2.10/24"
    assert f["ib0"].ipv4[0].network == "10.20.0.0/16"
    assert [str(a) for a in f["eth0"].ipv6] == ["2001:db8::10/64", "fe80::1/64"]


def test_interface_without_ipv4_is_listed_but_not_usable():
    hsn0 = _facts()["hsn0"]
    assert hsn0.ipv4 == ()
    assert [a.address for a in hsn0.ipv6] == ["fe80::2"]
    assert hsn0.is_up and not hsn0.usable
    assert hsn0.speed_mbps == 200000 and hsn0.mtu == 9000


def test_down_interface_is_marked_down_and_not_usable():
    ib1 = _facts()["ib1"]
    assert ib1.is_up is False
    assert ib1.speed_mbps is None  # psutil's 0 means "unknown"
    assert not ib1.usable


def test_loopback_and_default_route_marked():
    f = _facts()
    assert f["lo"].is_loopback and not f["lo"].usable
    assert [n for n, x in f.items() if x.is_loopback] == ["lo"]
    assert [n for n, x in f.items() if x.is_default_route] == ["eth0"]
    assert f["ib0"].usable and f["eth0"].usable


def test_loopback_recognised_by_address_when_stats_are_missing():
    table = FakeInterfaceTable(addresses={"lo0": {AF_INET: [{"addr": "127.0.0.1"}]}})
    (lo0,) = login_interfaces(table)
    assert lo0.is_loopback and lo0.is_up and lo0.ipv4[0].prefixlen is None
    assert lo0.is_default_route is False


def test_lookup_helpers():
    facts = login_interfaces(FAKE)
    assert interface_by_name(facts, "ib0").ipv4_addresses == ("10.20.0.5",)
    with pytest.raises(ValueError, match=r"'ib9' does not exist.*lo, eth0, ib0, ib1, hsn0"):
        interface_by_name(facts, "ib9")
    assert interface_of_address(facts, "10.30.0.5").name == "ib1"
    assert interface_of_address(facts, "198.51.100.1") is None


def test_this_machine_has_a_loopback_interface():
    facts = login_interfaces()
    assert any(f.is_loopback and "127.0.0.1" in f.ipv4_addresses for f in facts)
