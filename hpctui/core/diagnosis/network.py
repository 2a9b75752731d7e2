"""Rules for workers that cannot reach the scheduler (failure modes 1-4) and for the scheduler's
own ports and TLS (20, 21).
"""

from __future__ import annotations

import re

from hpctui.core.diagnosis.finding import SET, Evidence, Finding, Fix, PatchOp
from hpctui.core.diagnosis.interfaces import choose_interface, scheduler_options_with, \
    sharing_subnet, worker_addresses
from hpctui.core.diagnosis.probe_facts import proves_unreachable
from hpctui.core.diagnosis.search import error_lines, grep, grep_all, grep_workers, rx
from hpctui.core.diagnosis.signals import Signals
from hpctui.core.batch.kinds import get_kind
from hpctui.core.network.probe_verdict import LOCKED_DOWN
from hpctui.schedulers.base import JobState

_TIMED_OUT = rx(r"Timed out trying to connect to (?:'|\")?(tcp|tls)://\S+",
                r"Timed out connecting (?:Nanny|Worker)\b.*to scheduler")
_WAITING = rx(r"Waiting to connect to:?\s+(tcp|tls)://\S+")
_REGISTERED = rx(r"Registered to:?\s+(tcp|tls)://", r"Starting established connection")
_NANNY_GAVE_UP = rx(r"failure-to-start-<class '(?:builtins\.)?OSError'>", r"Nanny failed to start")
_NO_ROUTE = rx(r"No route to host", r"Errno 113\b", r"EHOSTUNREACH")
_NO_DEFAULT_ROUTE = rx(r"Couldn't detect a suitable IP address for reaching",
                       r"Network is unreachable", r"Errno 101\b")
_LOCALHOST = rx(r"(?:Listening to|Start worker at|Start Nanny at):?\s+'?tcp://127\.")
_NOT_VALID = re.compile(r"'([^']+)' is not a valid network interface\.?\s*"
                        r"(?:Valid network interfaces are:\s*\[?([^\]\n]*))?", re.I)
_NO_IPV4 = re.compile(r"interface '?([\w.:-]+)'? doesn't have an IPv4 address", re.I)
_PORT_IN_USE = re.compile(r"Port (\d+) is already in use", re.I)
_PORT_INSTEAD = re.compile(r"Hosting the HTTP server on port (\d+) instead", re.I)
_TLS_REFUSED = rx(r"encryption required by Dask configuration,? refusing communication",
                  r"TLS expects a `ssl_context` argument", r"Only tls:// addresses")
_ADDR = re.compile(r"(?:tcp|tls)://\[?([0-9.]+)\]?:(\d+)")


def _advertised(s: Signals, evidence: list[Evidence]) -> str | None:
    """The scheduler address the workers were told: from the logs, else the session's."""
    for ev in evidence:
        m = _ADDR.search(ev.text)
        if m:
            return m.group(1)
    m = _ADDR.search(s.scheduler_address or "")
    return m.group(1) if m else None


def _address_words(s: Signals, address: str | None) -> str:
    if address is None:
        return "the address the scheduler advertised"
    for iface in s.login_interfaces:
        if address in iface.ipv4_addresses:
            route = ", the one with the default route" if iface.is_default_route else ""
            return f"{address} (the login node's {iface.name}{route})"
    return address


def _running_without_worker(s: Signals) -> list[Evidence]:
    """Queue rows of jobs running while no worker is connected: the symptom, quoted."""
    if s.workers_connected:
        return []
    return [Evidence(f"queue job {r.job_id}", f"{r.state.value} ({r.raw_state}), no worker "
                                              "connected")
            for r in s.worker_queue if r.state is JobState.RUNNING][:3]


def workers_cannot_connect(s: Signals) -> list[Finding]:
    """Mode 1: the scheduler advertised an address the compute nodes cannot reach.

    Proven either by the workers' own time-outs (after distributed's connect timeout, 30 s by
    default) or, long before that, by the probe: a job on a compute node that could not reach
    the scheduler's address but did reach another of the login node's."""
    # A log that says "No route to host" is mode 3 (locked down), not a wrong address; a log
    # whose worker registered is healthy (it logs "Waiting to connect to" once on the way).
    skip = {ev.source for ev in grep_workers(s, _NO_ROUTE)}
    skip |= {ev.source for ev in grep_workers(s, _REGISTERED)}

    def quotes(pattern):
        return [ev for ev in grep_workers(s, pattern) if ev.source not in skip]

    timed_out = quotes(_TIMED_OUT)
    waiting = quotes(_WAITING)
    gave_up = quotes(_NANNY_GAVE_UP)
    proof = proves_unreachable(s)
    if timed_out or proof is not None:
        confidence = 0.9
    elif len(waiting) >= 2:
        confidence = 0.75  # older distributed or --no-nanny: waits again and again
    elif gave_up:
        confidence = 0.5
    else:
        return []
    evidence = timed_out + waiting + gave_up
    address = _advertised(s, timed_out + waiting)
    if proof is not None:
        # The probe first: it is what is known before any worker gives up.
        evidence = proof.evidence(s) + _running_without_worker(s) + evidence
        address = address or proof.address
    choice = choose_interface(s, exclude_address=address)
    own = worker_addresses(s)
    seen_from = f" from their own address {own[0]}" if own else ""
    if proof is not None and not timed_out:
        reached = ", ".join(f"{t.address} ({t.login_interface})" for t in proof.reached[:2])
        what = (f"A probe job on a compute node could not reach the scheduler's address "
                f"{_address_words(s, address)}: {proof.rows[0].words}. It did reach "
                f"{reached or 'another login address'}. Workers dial the address the scheduler "
                "advertises, so none can connect; each would give up only after "
                "distributed's connect timeout (30 s by default). ")
    else:
        what = (f"The workers started but never reached the scheduler at "
                f"{_address_words(s, address)}{seen_from}: the compute nodes cannot reach that "
                "address, so each nanny gave up after the connect timeout and the job ended "
                "with no worker. ")
    explanation = (what + (f"Setting `interface` makes the scheduler listen and advertise on "
                           f"another network: {choice.reason}." if choice.ops else "")).strip()
    return [Finding("workers-cannot-reach-scheduler", 1,
                    "Workers cannot reach the scheduler's address", explanation,
                    tuple(evidence), confidence, Fix(choice.ops, choice.action))]


def _names(listing: str | None) -> list[str]:
    return re.findall(r"[\w.:-]+", listing or "")


def interface_missing(s: Signals) -> list[Finding]:
    """Mode 2: the `interface` named does not exist (or has no IPv4) on one side."""
    compute = grep_workers(s, rx(_NOT_VALID.pattern, _NO_IPV4.pattern))
    login = grep(error_lines(s), rx(_NOT_VALID.pattern, _NO_IPV4.pattern))
    findings = []
    if compute:
        m = _NOT_VALID.search(compute[0].text) or _NO_IPV4.search(compute[0].text)
        wanted = m.group(1)
        valid = [n for n in _names(m.group(2) if m.re is _NOT_VALID else "")
                 if n != "lo" and n != wanted]
        login_names = {i.name for i in s.login_interfaces if i.usable}
        common = [n for n in valid if n in login_names]
        ops: list[PatchOp] = []
        action = None
        if s.probe is not None and s.probe.recommendation is not None:
            ops = list(choose_interface(s).ops)
        elif common:
            ops = [PatchOp(SET, "interface", common[0])]
        elif valid:
            # The compute nodes' own name for the workers, the login name kept for the scheduler.
            ops = [PatchOp(SET, "interface", valid[0])]
            # Keep the old name for the scheduler when it exists on the login node (or when
            # nothing says otherwise: the scheduler started, so it did there).
            if wanted in login_names or not s.login_interfaces:
                ops.append(PatchOp(SET, "scheduler-options",
                                   scheduler_options_with(s, "interface", wanted)))
        else:
            action = ("set `interface` to a compute-node interface with an IPv4 address and "
                      "`scheduler-options: {interface: ...}` to the login node's (the probe "
                      "lists both)")
        findings.append(Finding(
            "interface-missing-on-compute", 2,
            f"Compute nodes have no usable interface {wanted!r}",
            f"`interface: {wanted}` is used by the workers too, but the compute nodes' interfaces "
            f"are {', '.join(valid) or 'different'}: login and compute nodes name their networks "
            "differently. The workers need one of their own names; the scheduler keeps the login "
            "node's through `scheduler-options.interface`.",
            tuple(compute), 0.9, Fix(tuple(ops), action)))
    if login:
        m = _NOT_VALID.search(login[0].text) or _NO_IPV4.search(login[0].text)
        wanted = m.group(1)
        ops = []
        action = None
        for address in worker_addresses(s):
            iface = sharing_subnet(s.login_interfaces, address)
            if iface is not None:
                ops = [PatchOp(SET, "scheduler-options",
                               scheduler_options_with(s, "interface", iface.name))]
                break
        if not ops:
            valid = [n for n in _names(m.group(2) if m.re is _NOT_VALID else "") if n != "lo"]
            action = (f"set `scheduler-options: {{interface: ...}}` to a login-node interface "
                      f"the compute nodes reach ({', '.join(valid) or 'the probe finds it'}); "
                      f"keep `interface: {wanted}` for the workers")
        findings.append(Finding(
            "interface-missing-on-login", 2,
            f"The login node has no usable interface {wanted!r}",
            f"The scheduler runs on the login node and cannot listen on {wanted!r}, which only "
            "the compute nodes have. `scheduler-options.interface` names the login node's side.",
            tuple(login), 0.9, Fix(tuple(ops), action)))
    return findings


def login_node_locked_down(s: Signals) -> list[Finding]:
    """Mode 3: compute nodes cannot open connections to the login node at all."""
    evidence = grep_workers(s, _NO_ROUTE)
    probe = s.probe
    locked = probe is not None and probe.verdict == LOCKED_DOWN
    if locked:
        evidence.append(Evidence("probe", probe.message))
        evidence.extend(Evidence("probe", f"{t.login_interface} {t.address}:{t.port}: {t.words}")
                        for t in probe.targets)
    if not evidence:
        return []
    if s.profile is not None and s.profile.placement == "job":
        return []  # the scheduler already runs on the compute side: nothing here to move
    kind = s.kind or (probe.kind if probe else None)
    command = (probe.interactive_command if probe and probe.interactive_command else
               get_kind(kind).interactive_command if kind else "an interactive job")
    second = (f"The other way: run hpctui from an interactive compute node (`{command}`, "
              "then `hpctui` there with the same config).")
    if s.profile is None:  # nothing to write the placement into: only the other way
        return [Finding(
            "login-node-locked-down", 3, "Compute nodes cannot connect to the login node",
            "Connections from the compute nodes to the login node are refused or dropped "
            "(a firewall: the login node is locked down). No `interface` setting helps; the "
            "scheduler has to run where the workers can reach it.",
            tuple(evidence), 0.95 if locked else 0.8,
            Fix((), f"run hpctui from an interactive compute node: `{command}`, then start "
                    "hpctui there with the same config"))]
    return [Finding(
        "login-node-locked-down", 3, "Compute nodes cannot connect to the login node",
        "Connections from the compute nodes to the login node are refused or dropped "
        "(a firewall: the login node is locked down). No `interface` setting helps; the "
        "scheduler has to run where the workers can reach it. `scheduler-placement: job` "
        "runs it in a batch job of its own, built from this same profile; hpctui connects to "
        "it from here (login -> compute is the direction such sites allow) and the workers "
        "reach it on the compute side. " + second,
        tuple(evidence), 0.95 if locked else 0.8,
        Fix((PatchOp(SET, "scheduler-placement", "job"),)))]


def no_default_route(s: Signals) -> list[Finding]:
    """Mode 4: a node without a default route falls back to listening on 127.0.0.1."""
    evidence = grep_all(s, _NO_DEFAULT_ROUTE) + grep_workers(s, _LOCALHOST)
    if not grep_all(s, _NO_DEFAULT_ROUTE):
        return []
    choice = choose_interface(s)
    return [Finding(
        "no-default-route", 4, "No default route: Dask fell back to 127.0.0.1",
        "Dask picks its address by asking the route to 8.8.8.8 (or the scheduler); with no "
        "default route it cannot, and listens on localhost, which no other node reaches. "
        "Naming the interface with `interface` avoids the guess."
        + (f" {choice.reason}." if choice.ops else ""),
        tuple(evidence), 0.85, Fix(choice.ops, choice.action))]


def dashboard_port_taken(s: Signals) -> list[Finding]:
    """Mode 20: port 8787 belongs to someone else; the dashboard moved and tunnels break."""
    lines = list(error_lines(s)) + [ev for ev in grep_workers(s, _PORT_IN_USE)]
    taken = [ev for ev in lines if _PORT_IN_USE.search(ev.text) or _PORT_INSTEAD.search(ev.text)]
    if not any(_PORT_IN_USE.search(ev.text) for ev in taken):
        return []
    instead = next((m.group(1) for ev in taken if (m := _PORT_INSTEAD.search(ev.text))), None)
    port = f":{instead}" if instead else ":0"
    return [Finding(
        "dashboard-port-taken", 20, "The dashboard port is taken by another user",
        "Another process (often another user's Dask on the same login node) holds the "
        "dashboard port, so the dashboard moved to a random port and an `ssh -L` tunnel to the "
        "old one shows someone else's dashboard or nothing. A fixed port of your own in "
        "`scheduler-options.dashboard_address` keeps the tunnel stable.",
        tuple(taken), 0.9,
        Fix((PatchOp(SET, "scheduler-options",
                     scheduler_options_with(s, "dashboard_address", port)),)))]


def tls_one_side(s: Signals) -> list[Finding]:
    """Mode 21: TLS required on one side only."""
    evidence = grep_all(s, _TLS_REFUSED)
    if not evidence:
        return []
    return [Finding(
        "tls-one-side", 21, "TLS is required on one side only",
        "One side's Dask config requires encryption (`distributed.comm.require-encryption`) "
        "and the other connects over plain tcp://. Both sides need the same security: "
        "dask-jobqueue's temporary certificates give the workers the scheduler's.",
        tuple(evidence), 0.9,
        Fix((PatchOp(SET, "security", True),),
            "or remove `require-encryption` from the config that sets it"))]


def scheduler_open_without_tls(s: Signals) -> list[Finding]:
    """Mode 21's other side: the scheduler listens on every interface over plain tcp://.

    On a shared login node anyone who can reach that port can run code as the user; TLS
    (dask-jobqueue's temporary certificates, `security: true`) closes it."""
    listen = s.scheduler_listen_address or ""
    m = re.match(r"^(\w+)://(\[?[^\]]*\]?):(\d+)$", listen)
    if not m or m.group(1) != "tcp" or m.group(2).strip("[]") not in ("0.0.0.0", "::", ""):
        return []
    if s.profile is not None and s.profile.get("security") is True:
        return []
    return [Finding(
        "scheduler-open-without-tls", 21,
        "The scheduler accepts connections on every interface, without TLS",
        f"The scheduler listens on {listen} over plain tcp://. On a shared login node anyone "
        "who reaches that port can submit code that runs as you. `security: true` makes "
        "hpctui start the cluster with TLS (dask-jobqueue's temporary certificates, kept in a "
        "folder only you can read); setting `interface` also narrows where it listens.",
        (Evidence("scheduler", f"listening on {listen}"),), 0.5,
        Fix((PatchOp(SET, "security", True),)))]


RULES = (workers_cannot_connect, interface_missing, login_node_locked_down, no_default_route,
         dashboard_port_taken, tls_one_side, scheduler_open_without_tls)
