"""The login node's network interfaces, as facts the interface picker and the probe work from.

For each interface: name, IPv4 and IPv6 addresses (with prefix length), up or down, link speed,
MTU, whether it carries the default route and whether it is loopback. Addresses and routes come
from netifaces, link state from psutil; both are reached through an injectable `InterfaceTable`
so tests can describe a machine that is not this one (an interface without IPv4, one that is down).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Protocol

# netifaces' address family keys (Linux values; netifaces exports the same numbers).
AF_INET = 2
AF_INET6 = 10


@dataclass(frozen=True)
class Address:
    """One address of an interface, with its prefix length when known."""

    address: str
    prefixlen: int | None = None

    @property
    def network(self) -> str | None:
        """The subnet in CIDR form ("10.213.7.0/24"), or None when the prefix is unknown."""
        if self.prefixlen is None:
            return None
        return str(ipaddress.ip_interface(f"{self.address}/{self.prefixlen}").network)

    def __str__(self) -> str:
        return self.address if self.prefixlen is None else f"{self.address}/{self.prefixlen}"


@dataclass(frozen=True)
class InterfaceFacts:
    """What the login node knows about one of its interfaces."""

    name: str
    ipv4: tuple[Address, ...]
    ipv6: tuple[Address, ...]
    is_up: bool
    speed_mbps: int | None  # None when the driver doesn't say (psutil reports 0)
    mtu: int | None
    is_loopback: bool
    is_default_route: bool  # carries the IPv4 (or, failing that, IPv6) default route

    @property
    def ipv4_addresses(self) -> tuple[str, ...]:
        return tuple(a.address for a in self.ipv4)

    @property
    def usable(self) -> bool:
        """Up, not loopback and with an IPv4 address: something a compute node could try to reach."""
        return self.is_up and not self.is_loopback and bool(self.ipv4)


@dataclass(frozen=True)
class LinkStats:
    """psutil's per-interface stats, reduced to what hpctui shows."""

    is_up: bool
    speed_mbps: int
    mtu: int
    flags: str = ""  # psutil's comma-separated flags ("up,loopback,running"), "" when unknown


class InterfaceTable(Protocol):
    """Where interface facts come from: netifaces-shaped addresses and gateways, psutil-shaped stats."""

    def interfaces(self) -> list[str]: ...

    def ifaddresses(self, name: str) -> dict[int, list[dict[str, Any]]]: ...

    def gateways(self) -> dict[Any, Any]: ...

    def stats(self) -> dict[str, LinkStats]: ...


class SystemInterfaceTable:
    """The real machine's table: netifaces for addresses and routes, psutil for link state."""

    def interfaces(self) -> list[str]:
        import netifaces

        return list(netifaces.interfaces())

    def ifaddresses(self, name: str) -> dict[int, list[dict[str, Any]]]:
        import netifaces

        try:
            return netifaces.ifaddresses(name)
        except ValueError:
            # The interface vanished between interfaces() and now (a VPN or container going away).
            return {}

    def gateways(self) -> dict[Any, Any]:
        import netifaces

        return netifaces.gateways()

    def stats(self) -> dict[str, LinkStats]:
        import psutil

        return {
            name: LinkStats(s.isup, s.speed, s.mtu, getattr(s, "flags", ""))
            for name, s in psutil.net_if_stats().items()
        }


@dataclass
class FakeInterfaceTable:
    """A table described by data: for tests, and for showing facts captured on another machine."""

    addresses: dict[str, dict[int, list[dict[str, Any]]]]
    link_stats: dict[str, LinkStats] = field(default_factory=dict)
    gateway_table: dict[Any, Any] = field(default_factory=dict)

    def interfaces(self) -> list[str]:
        return list(self.addresses)

    def ifaddresses(self, name: str) -> dict[int, list[dict[str, Any]]]:
        return self.addresses.get(name, {})

    def gateways(self) -> dict[Any, Any]:
        return self.gateway_table

    def stats(self) -> dict[str, LinkStats]:
        return self.link_stats


def _prefixlen(netmask: str | None) -> int | None:
    """Prefix length from netifaces' netmask ("255.255.255.0", or "ffff:ffff::/64" for IPv6)."""
    if not netmask:
        return None
    if "/" in netmask:
        try:
            return int(netmask.rsplit("/", 1)[1])
        except ValueError:
            return None
    try:
        return ipaddress.ip_network(f"0.0.0.0/{netmask}").prefixlen
    except ValueError:
        try:
            return ipaddress.ip_network(f"::/{netmask}").prefixlen
        except ValueError:
            return None


def _addresses(entries: list[dict[str, Any]]) -> tuple[Address, ...]:
    out = []
    for entry in entries:
        addr = entry.get("addr")
        if not addr:
            continue
        # Link-local IPv6 comes as "fe80::1%eth0": the zone is the interface itself.
        addr = addr.split("%", 1)[0]
        out.append(Address(addr, _prefixlen(entry.get("netmask"))))
    return tuple(out)


def default_route_interfaces(gateways: dict[Any, Any]) -> tuple[str | None, str | None]:
    """(IPv4, IPv6) names of the interfaces carrying the default routes, None where there is none."""
    defaults = gateways.get("default") or {}
    v4 = defaults.get(AF_INET)
    v6 = defaults.get(AF_INET6)
    return (v4[1] if v4 else None, v6[1] if v6 else None)


def login_interfaces(table: InterfaceTable | None = None) -> list[InterfaceFacts]:
    """Facts about every interface of this machine (or of `table`), in the table's order."""
    table = table or SystemInterfaceTable()
    stats = table.stats()
    v4_default, v6_default = default_route_interfaces(table.gateways())
    default_name = v4_default or v6_default
    facts = []
    for name in table.interfaces():
        addrs = table.ifaddresses(name)
        ipv4 = _addresses(addrs.get(AF_INET, []))
        ipv6 = _addresses(addrs.get(AF_INET6, []))
        st = stats.get(name)
        loopback = (
            (st is not None and "loopback" in st.flags.split(","))
            or any(ipaddress.ip_address(a.address).is_loopback for a in ipv4 + ipv6)
        )
        facts.append(
            InterfaceFacts(
                name=name,
                ipv4=ipv4,
                ipv6=ipv6,
                # With no stats at all, an interface holding an address is taken to be up.
                is_up=st.is_up if st is not None else bool(ipv4 or ipv6),
                speed_mbps=(st.speed_mbps or None) if st is not None else None,
                mtu=(st.mtu or None) if st is not None else None,
                is_loopback=loopback,
                is_default_route=(name == default_name),
            )
        )
    return facts


def interface_by_name(facts: list[InterfaceFacts], name: str) -> InterfaceFacts:
    """The interface called `name`, or ValueError listing the ones that exist."""
    for f in facts:
        if f.name == name:
            return f
    raise ValueError(
        f"interface {name!r} does not exist on this machine; interfaces: "
        f"{', '.join(f.name for f in facts) or '(none)'}"
    )


def interface_of_address(facts: list[InterfaceFacts], address: str) -> InterfaceFacts | None:
    """The interface holding `address` (IPv4 or IPv6), or None."""
    for f in facts:
        if any(a.address == address for a in f.ipv4 + f.ipv6):
            return f
    return None
