"""Which address the scheduler listens on, which it tells workers to use, and which setting chose it.

dask-jobqueue starts the scheduler in hpctui's process. Its address comes from, in this order,
`scheduler-options.host`, `scheduler-options.interface`, the section's `interface` (shared with the
workers), or nothing: then distributed listens on every interface and advertises the address of the
default route, which compute nodes often cannot reach (the seed's failure). This module explains
that choice for the network pane and warns when the scheduler listens on all interfaces without
TLS: on a shared login node, anyone who reaches the port can run code as the user.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Mapping

from hpctui.core.network.facts import InterfaceFacts, interface_of_address

WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}  # hosts that mean "every interface"

SOURCE_HOST = "scheduler-options.host"
SOURCE_SCHEDULER_INTERFACE = "scheduler-options.interface"
SOURCE_INTERFACE = "interface"
SOURCE_DEFAULT = "default"


@dataclass(frozen=True)
class AddressSource:
    """The setting that decides the scheduler's address, and its value (None for the default)."""

    key: str  # one of the SOURCE_* names above
    value: str | None


@dataclass(frozen=True)
class SchedulerAddressFacts:
    """The scheduler's listen and contact addresses, explained."""

    listen_address: str  # what it is bound to: tcp://0.0.0.0:8786 means every interface
    advertised_address: str  # what workers are told to connect to
    protocol: str  # "tcp", "tls", ...
    listen_host: str
    advertised_host: str
    port: int | None
    source: AddressSource
    listens_on_all_interfaces: bool
    tls: bool
    advertised_interface: str | None  # the login-node interface holding the advertised address
    warnings: tuple[str, ...]

    @property
    def explanation(self) -> str:
        """One sentence for the pane: what workers are told and why."""
        where = f" ({self.advertised_interface})" if self.advertised_interface else ""
        if self.source.key == SOURCE_DEFAULT:
            why = ("no `interface` or `scheduler-options` host/interface is set, so distributed "
                   "advertises the address of the default route")
        else:
            why = f"`{self.source.key}: {self.source.value}` chose it"
        return f"Workers are told to connect to {self.advertised_address}{where}: {why}."


def address_source(settings: Mapping[str, Any]) -> AddressSource:
    """Which profile setting decides the scheduler's host, with dask-jobqueue's precedence.

    `settings` are the keys of `jobqueue.<kind>` (dashed names). ValueError, naming the keys, when
    `scheduler-options` is not a mapping or sets both host and interface (distributed refuses that).
    """
    options = settings.get("scheduler-options") or {}
    if not isinstance(options, Mapping):
        raise ValueError(f"scheduler-options must be a mapping, got {options!r}")
    host, iface = options.get("host"), options.get("interface")
    if host and iface:
        raise ValueError(
            f"scheduler-options sets both host ({host!r}) and interface ({iface!r}); "
            "distributed accepts only one of them"
        )
    # dask-jobqueue copies `interface` to the scheduler only when scheduler-options names neither
    # key at all, so an explicit `host: null` there also means "distributed's default".
    if "host" in options or "interface" in options:
        if host:
            return AddressSource(SOURCE_HOST, str(host))
        if iface:
            return AddressSource(SOURCE_SCHEDULER_INTERFACE, str(iface))
        return AddressSource(SOURCE_DEFAULT, None)
    if settings.get("interface"):
        return AddressSource(SOURCE_INTERFACE, str(settings["interface"]))
    return AddressSource(SOURCE_DEFAULT, None)


def split_address(address: str) -> tuple[str, str, int | None]:
    """`tls://10.0.0.1:8786` -> ("tls", "10.0.0.1", 8786); IPv6 hosts lose their brackets."""
    protocol, sep, rest = address.partition("://")
    if not sep:
        protocol, rest = "tcp", address
    if rest.startswith("["):
        host, _, port_text = rest[1:].partition("]")
        port_text = port_text.lstrip(":")
    elif rest.count(":") == 1:
        host, _, port_text = rest.partition(":")
    else:
        host, port_text = rest, ""
    try:
        port = int(port_text) if port_text else None
    except ValueError:
        raise ValueError(f"scheduler address {address!r}: port {port_text!r} is not a number") from None
    return protocol, host, port


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def describe_scheduler_address(
    listen_address: str,
    advertised_address: str,
    settings: Mapping[str, Any],
    interfaces: list[InterfaceFacts] | None = None,
    workers_local: bool = False,
) -> SchedulerAddressFacts:
    """Explain a scheduler's listen/contact addresses given the profile's settings.

    `workers_local`: the workers run on this machine (the local backend), so a loopback
    address is what they should be told, not a mistake."""
    protocol, listen_host, port = split_address(listen_address)
    _, advertised_host, advertised_port = split_address(advertised_address)
    tls = protocol == "tls"
    on_all = listen_host in WILDCARD_HOSTS
    iface = interface_of_address(interfaces, advertised_host) if interfaces else None
    warnings = []
    if on_all and not tls:
        warnings.append(
            f"The scheduler listens on all interfaces (port {port}) without TLS: on a shared login "
            "node anyone who can reach that port can run code as you. Set `security: true` "
            "(dask-jobqueue's temporary certificates), or set `interface` so it listens on one "
            "network only."
        )
    if _is_loopback(advertised_host) and not workers_local:
        warnings.append(
            f"The scheduler advertises a loopback address ({advertised_host}): workers on compute "
            "nodes can never reach it. Set `interface` to one the compute nodes can reach."
        )
    return SchedulerAddressFacts(
        listen_address=listen_address,
        advertised_address=advertised_address,
        protocol=protocol,
        listen_host=listen_host,
        advertised_host=advertised_host,
        port=port if port is not None else advertised_port,
        source=address_source(settings),
        listens_on_all_interfaces=on_all,
        tls=tls,
        advertised_interface=iface.name if iface else None,
        warnings=tuple(warnings),
    )


def describe_running_scheduler(
    scheduler_or_cluster: Any,
    settings: Mapping[str, Any],
    interfaces: list[InterfaceFacts] | None = None,
    workers_local: bool = False,
) -> SchedulerAddressFacts:
    """The same, read from a running distributed Scheduler or a cluster holding one."""
    scheduler = getattr(scheduler_or_cluster, "scheduler", scheduler_or_cluster)
    listeners = getattr(scheduler, "listeners", None)
    if not listeners:
        raise ValueError(f"{scheduler_or_cluster!r} has no running scheduler listener")
    listener = listeners[0]
    return describe_scheduler_address(
        listener.listen_address, listener.contact_address, settings, interfaces, workers_local
    )
