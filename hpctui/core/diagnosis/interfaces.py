"""Which `interface` to propose, from the facts at hand: the probe's recommendation, else the login
interface sharing a subnet with the address a worker reported, else the candidates in words.

Never a hard-coded name: every proposal comes from this machine's interface list, the probe, or
what the workers' own logs said.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from hpctui.core.diagnosis.finding import SET, PatchOp
from hpctui.core.diagnosis.signals import Signals
from hpctui.core.network.facts import InterfaceFacts

# A worker's own address in its log: "Start Nanny at: 'tcp://10.213.7.2:44365'",
# "Closing Nanny at 'tcp://10.213.7.2:43011'", "Start worker at: tcp://...".
_OWN_ADDRESS = re.compile(
    r"(?:Start (?:Nanny|worker) at|Closing Nanny at|Listening to|Nanny at)[:\s']*"
    r"(?:tcp|tls|ucx)://\[?([0-9.]+)", re.I)


@dataclass(frozen=True)
class InterfaceChoice:
    """A proposed change (ops), or why none can be proposed (ops empty, action in words)."""

    ops: tuple[PatchOp, ...]
    reason: str
    action: str | None = None


def _is_ipv4(text: str) -> bool:
    # A line cut mid-address ("tcp://0") must not reach ipaddress's subnet test, which raises.
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def worker_addresses(s: Signals) -> list[str]:
    """The compute nodes' own IPv4 addresses, as the workers logged them."""
    seen: list[str] = []
    for log in s.worker_logs:
        for line in log.lines:
            m = _OWN_ADDRESS.search(line)
            if m and m.group(1) not in seen and not m.group(1).startswith("127.") \
                    and _is_ipv4(m.group(1)):
                seen.append(m.group(1))
    return seen


def sharing_subnet(facts: tuple[InterfaceFacts, ...], address: str) -> InterfaceFacts | None:
    """The usable login interface whose IPv4 subnet contains `address`."""
    ip = ipaddress.ip_address(address)
    for iface in facts:
        if not iface.usable:
            continue
        for a in iface.ipv4:
            if a.network and ip in ipaddress.ip_network(a.network):
                return iface
    return None


def scheduler_options_with(s: Signals, key: str, value) -> dict:
    """`scheduler-options` with one key set, keeping what the profile already has."""
    current = dict((s.profile.get("scheduler-options") if s.profile else None) or {})
    current[key] = value
    return current


def choose_interface(s: Signals, exclude_address: str | None = None) -> InterfaceChoice:
    """The `interface` setting that lets compute nodes reach the scheduler, from the best fact known."""
    probe = s.probe
    if probe is not None and probe.recommendation is not None:
        rec = probe.recommendation
        ops = [PatchOp(SET, "interface", rec.interface)]
        if rec.scheduler_interface:
            ops.append(PatchOp(SET, "scheduler-options",
                               scheduler_options_with(s, "interface", rec.scheduler_interface)))
        return InterfaceChoice(tuple(ops), f"the probe from a compute node says: {rec.reason}")
    for address in worker_addresses(s):
        iface = sharing_subnet(s.login_interfaces, address)
        if iface is not None:
            nets = ", ".join(str(a) for a in iface.ipv4)
            return InterfaceChoice(
                (PatchOp(SET, "interface", iface.name),),
                f"the workers' own address {address} is in the subnet of the login node's "
                f"{iface.name} ({nets}), so compute nodes can reach the scheduler there")
    candidates = [i for i in s.login_interfaces
                  if i.usable and not i.is_default_route
                  and (exclude_address is None or exclude_address not in i.ipv4_addresses)]
    listing = ", ".join(f"{i.name} ({', '.join(map(str, i.ipv4))})" for i in candidates)
    if len(candidates) == 1:
        only = candidates[0]
        return InterfaceChoice(
            (PatchOp(SET, "interface", only.name),),
            f"{only.name} is the login node's only other usable interface ({listing}); "
            "the probe can confirm compute nodes reach it")
    if candidates:
        return InterfaceChoice((), "", f"set `interface` to the login interface the compute nodes "
                                       f"reach, one of: {listing} (the probe tests them all)")
    return InterfaceChoice((), "", "run the probe (it submits one small job that tries every "
                                   "login-node address) to find which interface compute nodes "
                                   "reach, then set `interface` to it")
