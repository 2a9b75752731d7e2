"""From a probe's report to a verdict: what is reachable, which `interface` to set, or "locked down".

Pure functions over the JSON the compute-node probe (hpctui/on_node/netprobe.py) sends back, plus the
login node's interface facts, so every rule here is tested without a batch system.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Mapping

from hpctui.core.batch.kinds import get_kind
from hpctui.core.network.facts import InterfaceFacts

REACHABLE = "reachable"
LOCKED_DOWN = "locked-down"
NO_REPORT = "no-report"
SUBMIT_FAILED = "submit-failed"

_STATUS_WORDS = {
    "ok": "reachable",
    "refused": "refused (the node got through, but nothing listened: a firewall that rejects, "
               "or hpctui's listener closed)",
    "timeout": "timed out (packets silently dropped: a firewall, or no way back)",
    "no-route": "no route to host",
    "unreachable": "network unreachable from the compute node",
    "error": "error",
}


@dataclass(frozen=True)
class TargetResult:
    """One row of the interface x reachability table."""

    login_interface: str
    address: str
    port: int
    status: str  # ok / refused / timeout / no-route / unreachable / error
    ms: float | None
    error: str
    compute_interface: str | None  # the compute node's interface that reached it (status ok)

    @property
    def reachable(self) -> bool:
        return self.status == "ok"

    @property
    def words(self) -> str:
        return _STATUS_WORDS.get(self.status, self.status)


@dataclass(frozen=True)
class ComputeInterface:
    """An interface of the compute node, as the probe saw it."""

    name: str
    ipv4: tuple[str, ...]  # "10.213.7.2/24"
    ipv6: tuple[str, ...]
    is_up: bool
    is_loopback: bool
    mtu: int | None


@dataclass(frozen=True)
class PythonCheck:
    """Whether the profile's python on the compute node can import dask and distributed."""

    python: str
    ok: bool
    dask: str | None
    distributed: str | None
    error: str
    login_dask: str | None
    login_distributed: str | None

    @property
    def versions_match(self) -> bool:
        return (self.dask, self.distributed) == (self.login_dask, self.login_distributed)


@dataclass(frozen=True)
class Recommendation:
    """The settings that make workers reach the scheduler, with why."""

    interface: str  # `interface`: the workers' (and, unless overridden, the scheduler's)
    scheduler_interface: str | None  # `scheduler-options.interface` when the names differ
    reason: str

    def settings_patch(self) -> dict[str, Any]:
        """The `jobqueue.<kind>` keys to write (dashed names, as in the YAML)."""
        patch: dict[str, Any] = {"interface": self.interface}
        if self.scheduler_interface:
            patch["scheduler-options"] = {"interface": self.scheduler_interface}
        return patch


@dataclass(frozen=True)
class ProbeResult:
    """Everything a probe run established, and what to do about it."""

    verdict: str  # REACHABLE / LOCKED_DOWN / NO_REPORT / SUBMIT_FAILED
    message: str  # the verdict in plain words
    kind: str
    job_id: str | None
    channel: str | None  # "tcp" or "file": how the report came back
    hostname: str | None  # the compute node's
    targets: tuple[TargetResult, ...] = ()
    compute_interfaces: tuple[ComputeInterface, ...] = ()
    python: PythonCheck | None = None
    recommendation: Recommendation | None = None
    interactive_command: str | None = None  # set when locked down
    job_script: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    report: dict[str, Any] | None = None  # the probe's raw JSON, for "show details"
    # Login-side evidence: target name -> the peer address whose connection reached that listener.
    seen_from: dict[str, str] = field(default_factory=dict)


def _compute_interfaces(report: Mapping[str, Any]) -> tuple[ComputeInterface, ...]:
    return tuple(
        ComputeInterface(
            name=str(i.get("name")),
            ipv4=tuple(i.get("ipv4") or ()),
            ipv6=tuple(i.get("ipv6") or ()),
            is_up=bool(i.get("up")),
            is_loopback=bool(i.get("loopback")),
            mtu=i.get("mtu"),
        )
        for i in report.get("interfaces") or ()
    )


def _compute_interface_for(local_address: str | None, target: str,
                           interfaces: tuple[ComputeInterface, ...]) -> str | None:
    """The node's interface that holds `local_address`, else the one on the target's subnet."""
    if local_address:
        for i in interfaces:
            if any(a.split("/")[0] == local_address for a in i.ipv4 + i.ipv6):
                return i.name
    try:
        dest = ipaddress.ip_address(target)
    except ValueError:
        return None
    for i in interfaces:
        for a in i.ipv4 + i.ipv6:
            try:
                if dest in ipaddress.ip_interface(a).network:
                    return i.name
            except ValueError:
                continue
    return None


def target_results(report: Mapping[str, Any]) -> tuple[TargetResult, ...]:
    """The report's targets as table rows; a target name is `<login interface>` or `<name>#<n>`."""
    interfaces = _compute_interfaces(report)
    rows = []
    for t in report.get("targets") or ():
        ok = t.get("status") == "ok"
        rows.append(TargetResult(
            login_interface=str(t.get("name", "")).split("#", 1)[0],
            address=str(t.get("host")),
            port=int(t.get("port", 0)),
            status=str(t.get("status")),
            ms=t.get("ms"),
            error=str(t.get("error") or ""),
            compute_interface=(_compute_interface_for(t.get("local_address"), str(t.get("host")),
                                                      interfaces) if ok else None),
        ))
    return tuple(rows)


def recommend(targets: tuple[TargetResult, ...],
              login: list[InterfaceFacts]) -> Recommendation | None:
    """The best reachable login interface, and the compute side's name for it.

    Among reachable interfaces the fastest link wins (a high-speed fabric is what the site built
    for this traffic); at equal or unknown speed, one that does not carry the default route
    (the path most often firewalled) wins, then the table's order.
    """
    facts = {f.name: f for f in login}
    reachable = [t for t in targets if t.reachable]
    if not reachable:
        return None
    order = {t.login_interface: i for i, t in enumerate(targets)}

    def rank(t: TargetResult):
        f = facts.get(t.login_interface)
        speed = (f.speed_mbps or 0) if f else 0
        default = f.is_default_route if f else False
        return (-speed, default, order[t.login_interface])

    best = min(reachable, key=rank)
    name = best.login_interface
    compute_name = best.compute_interface or name
    others = [t.login_interface for t in targets if not t.reachable]
    why = f"compute nodes reach {best.address} on {name}"
    if others:
        why += f"; not reachable: {', '.join(dict.fromkeys(others))}"
    if compute_name == name:
        return Recommendation(interface=name, scheduler_interface=None, reason=why)
    return Recommendation(
        interface=compute_name,
        scheduler_interface=name,
        reason=(f"{why}. The compute node calls its interface on that network {compute_name!r}, "
                f"the login node calls it {name!r}: workers use `interface: {compute_name}`, the "
                f"scheduler `scheduler-options.interface: {name}`"),
    )


def python_check(report: Mapping[str, Any], login_versions: tuple[str | None, str | None]
                 ) -> PythonCheck | None:
    py = report.get("python")
    if not py:
        return None
    return PythonCheck(
        python=str(py.get("python", "")),
        ok=bool(py.get("ok")),
        dask=py.get("dask"),
        distributed=py.get("distributed"),
        error=str(py.get("error") or ""),
        login_dask=login_versions[0],
        login_distributed=login_versions[1],
    )


def verdict_from_report(
    report: Mapping[str, Any],
    kind: str,
    login: list[InterfaceFacts],
    login_versions: tuple[str | None, str | None] = (None, None),
    channel: str | None = None,
    job_id: str | None = None,
    job_script: str = "",
    timings: dict[str, float] | None = None,
    seen_from: Mapping[str, str] | None = None,
) -> ProbeResult:
    """The ProbeResult for a report that came back."""
    targets = target_results(report)
    host = report.get("hostname")
    rec = recommend(targets, login)
    if rec is not None:
        verdict = REACHABLE
        message = (f"From compute node {host}, {rec.reason}. Set `interface: {rec.interface}`"
                   + (f" and `scheduler-options.interface: {rec.scheduler_interface}`"
                      if rec.scheduler_interface else "") + ".")
        interactive = None
    else:
        verdict = LOCKED_DOWN
        interactive = get_kind(kind).interactive_command
        tried = "; ".join(f"{t.login_interface} {t.address}: {t.words}" for t in targets) or "none"
        message = (
            f"The login node is locked down: compute node {host} cannot reach any of its "
            f"addresses ({tried}). Workers there could never reach a scheduler here. Run the "
            "scheduler in a batch job instead (`scheduler-placement: job`: f in Findings), or "
            f"run hpctui on a compute node: start an interactive job with `{interactive}`, "
            "then run `hpctui` in it."
        )
    return ProbeResult(
        verdict=verdict, message=message, kind=kind, job_id=job_id, channel=channel,
        hostname=host, targets=targets, compute_interfaces=_compute_interfaces(report),
        python=python_check(report, login_versions), recommendation=rec,
        interactive_command=interactive, job_script=job_script, timings=dict(timings or {}),
        report=dict(report), seen_from=dict(seen_from or {}),
    )
