"""What the network probe says about the scheduler's own address, as quotable evidence.

The probe (hpctui/core/network/probe_run.py) tries every IPv4 address of the login node from a
compute node. When one of those is the address the scheduler advertises to its workers, its
row is direct evidence: the workers cannot reach it (silently dropped, refused, no route), or
they can and the network is not what stops them. Nothing here guesses: an address the probe
did not try yields no verdict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hpctui.core.diagnosis.finding import Evidence
from hpctui.core.diagnosis.signals import Signals
from hpctui.core.network.probe_verdict import REACHABLE, TargetResult

_HOST = re.compile(r"^(?:tcp|tls)://\[?([^\]/]+?)\]?:\d+$")


@dataclass(frozen=True)
class AddressVerdict:
    """The probe's rows for the scheduler's advertised address, and what they prove."""

    address: str  # the scheduler's advertised IP ("192.0.2.2")
    rows: tuple[TargetResult, ...]  # the probe's rows for that address
    reached: tuple[TargetResult, ...]  # rows of other addresses the compute node did reach

    @property
    def reachable(self) -> bool:
        return any(t.reachable for t in self.rows)

    def evidence(self, s: Signals) -> list[Evidence]:
        """The rows as evidence lines, the scheduler's address first."""
        probe = s.probe
        node = f"compute node {probe.hostname}" if probe and probe.hostname else "a compute node"
        out = [Evidence("probe", f"from {node}: {t.login_interface} {t.address} (the address "
                                 f"the scheduler advertises): {t.words}") for t in self.rows]
        out += [Evidence("probe", f"from {node}: {t.login_interface} {t.address}: reachable"
                                  + (f" through its {t.compute_interface}"
                                     if t.compute_interface else ""))
                for t in self.reached[:2]]
        return out


def scheduler_host(s: Signals) -> str | None:
    """The host part of the scheduler's advertised address, if known."""
    m = _HOST.match(s.scheduler_address or "")
    return m.group(1) if m else None


def address_verdict(s: Signals) -> AddressVerdict | None:
    """What the probe found for the scheduler's advertised address; None when the probe did not
    run, did not report, or did not try that address (a scheduler on another host)."""
    probe = s.probe
    host = scheduler_host(s)
    if probe is None or host is None or not probe.targets:
        return None
    rows = tuple(t for t in probe.targets if t.address == host)
    if not rows:
        return None
    reached = tuple(t for t in probe.targets if t.reachable and t.address != host)
    return AddressVerdict(host, rows, reached)


def proves_unreachable(s: Signals) -> AddressVerdict | None:
    """The verdict when the probe proved the scheduler's address unreachable from a compute
    node that reached another login address (so the probe itself worked); else None."""
    verdict = address_verdict(s)
    if verdict is None or verdict.reachable or s.probe.verdict != REACHABLE:
        return None
    return verdict
