"""Run the connectivity probe from the login node: listen, submit, wait for the report, cancel.

hpctui opens a TCP listener on every IPv4 address of the login node (loopback excluded) on an
ephemeral port, submits the probe as a batch job built from the profile (hpctui/core/network/probe_job.py),
and waits, for a bounded time, for the report to arrive over TCP or as a file in the shared
directory, whichever comes first. Then it cancels the job and turns the report into a
`ProbeResult` (hpctui/core/network/probe_verdict.py). Everything runs on one asyncio loop, so the same
loop that submitted the job (for the local backend: started the process) also cancels it.
"""

from __future__ import annotations

import asyncio
import glob
import json
import os
import secrets
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from hpctui.core.network.facts import InterfaceFacts, login_interfaces
from hpctui.core.network.probe_job import (
    ProbeJob,
    ProbeJobError,
    build_probe_job,
    cancel_probe_job,
    install_probe_script,
    remove_probe_script,
    submit_probe_job,
)
from hpctui.core.network.probe_jobstate import JobWatch, job_log_tail, watch_job
from hpctui.core.network.probe_phases import describe as describe_phases
from hpctui.core.network.probe_phases import phases_path, read_phases, shell_mark
from hpctui.core.network.probe_verdict import NO_REPORT, SUBMIT_FAILED, ProbeResult, verdict_from_report

MAGIC = b"HPCTUI-PROBE"
_MAX_REPORT = 4 * 1024 * 1024  # a report is a few KB; anything this big is not ours
FILE_POLL_SECONDS = 0.1
FINISH_GRACE_SECONDS = 3.0
ENDED_GRACE_SECONDS = 3.0


@dataclass(frozen=True)
class ProbeTarget:
    """One listener: a login-node interface address the compute node is asked to reach."""

    name: str  # login interface name, `#<n>` appended for its second, third ... address
    address: str
    port: int

    @property
    def arg(self) -> str:
        return f"{self.name}={self.address}:{self.port}"


@dataclass
class Arrival:
    """A connection that reached one of our listeners: proof from the login side."""

    target: str
    peer: str
    at: float  # time.monotonic()


@dataclass
class _Inbox:
    token: str
    arrivals: list[Arrival] = field(default_factory=list)
    reports: asyncio.Queue = field(default_factory=asyncio.Queue)
    # Set when the final report is on disk: the probe writes it last, so it is about to exit.
    file_final: asyncio.Event = field(default_factory=asyncio.Event)


def listen_addresses(interfaces: list[InterfaceFacts]) -> list[tuple[str, str]]:
    """(target name, address) for every IPv4 address of every usable interface."""
    out = []
    for f in interfaces:
        if not f.usable:
            continue
        for n, a in enumerate(f.ipv4_addresses):
            out.append((f.name if n == 0 else f"{f.name}#{n + 1}", a))
    return out


async def _handle(inbox: _Inbox, target: str, reader: asyncio.StreamReader,
                  writer: asyncio.StreamWriter) -> None:
    peer = writer.get_extra_info("peername")
    try:
        line = await asyncio.wait_for(reader.readline(), 10)
        parts = line.split()
        # Anyone on a shared login node can connect: only lines carrying our token count.
        if len(parts) < 3 or parts[0] != MAGIC or parts[1].decode(errors="replace") != inbox.token:
            return
        if parts[2] == b"hello":
            inbox.arrivals.append(Arrival(target, str(peer[0]) if peer else "?", time.monotonic()))
        elif parts[2] == b"report":
            body = await asyncio.wait_for(reader.read(_MAX_REPORT), 30)
            report = json.loads(body)
            if report.get("token") == inbox.token:
                writer.write(b"ok\n")
                await writer.drain()
                await inbox.reports.put(("tcp", report))
    except (asyncio.TimeoutError, OSError, ValueError):
        pass
    finally:
        writer.close()


async def _open_listeners(inbox: _Inbox, addresses: list[tuple[str, str]]):
    servers, targets = [], []
    for name, addr in addresses:
        try:
            server = await asyncio.start_server(
                lambda r, w, n=name: _handle(inbox, n, r, w), host=addr, port=0)
        except OSError:
            continue  # an address that went away since the facts were read
        servers.append(server)
        targets.append(ProbeTarget(name, addr, server.sockets[0].getsockname()[1]))
    return servers, targets


async def _watch_file(path: str, inbox: _Inbox, stop: asyncio.Event) -> None:
    """Poll the shared file; queue each new stage of the report."""
    last_stage = None
    while not stop.is_set():
        try:
            with open(path) as f:
                report = json.load(f)
            if report.get("token") == inbox.token and report.get("stage") != last_stage:
                last_stage = report.get("stage")
                await inbox.reports.put(("file", report))
                if last_stage == "final":
                    inbox.file_final.set()
        except (OSError, ValueError):
            pass
        try:
            await asyncio.wait_for(stop.wait(), FILE_POLL_SECONDS)
        except asyncio.TimeoutError:
            pass


def _login_versions() -> tuple[str | None, str | None]:
    versions = []
    for mod in ("dask", "distributed"):
        m = sys.modules.get(mod)
        if m is None:
            try:
                from importlib.metadata import version

                versions.append(version(mod))
            except Exception:  # not installed on the login side: nothing to compare with
                versions.append(None)
        else:
            versions.append(getattr(m, "__version__", None))
    return versions[0], versions[1]


async def _first_report(inbox: _Inbox, ended: asyncio.Event, timeout: float):
    """(channel, report), or None when `timeout` passes or the job ends without reporting."""
    get = asyncio.ensure_future(inbox.reports.get())
    end = asyncio.ensure_future(ended.wait())
    try:
        done, _ = await asyncio.wait({get, end}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if get in done:
            return get.result()
        if end in done:
            # The job is over; its file may still be on its way through a network file system.
            try:
                return await asyncio.wait_for(asyncio.shield(get), ENDED_GRACE_SECONDS)
            except asyncio.TimeoutError:
                return None
        return None
    finally:
        for f in (get, end):
            f.cancel()


def _no_report(kind, job_id, probe, job_kwargs, report_path, shared_dir, timeout, watch,
               timings) -> ProbeResult:
    if watch.ended:
        what = (f"The probe job {job_id} ended ({watch.raw_state}) without a report, neither over "
                f"TCP nor as {report_path}")
    else:
        detail = ", ".join(x for x in (watch.raw_state if watch.raw_state != watch.state else "",
                                       watch.reason) if x)
        state = (f", still {watch.state}" + (f" ({detail})" if detail else "")) if watch.state else ""
        what = f"The probe job {job_id} sent no report within {timeout:g} s{state}"
    # Which of its phases the probe reached (probe_phases.py): a measured statement.
    hints = describe_phases(read_phases(phases_path(report_path)),
                            str(job_kwargs.get("python") or "the default python"), timeout,
                            shared_dir)
    log = job_log_tail(kind, job_id, probe.job.job_name or "", job_kwargs.get("log_directory"),
                       os.getcwd())
    message = f"{what}: {hints}." + (f"\nThe job's log, {log}" if log else " See the job's log.")
    return ProbeResult(NO_REPORT, message, kind, job_id, None, None, job_script=probe.script,
                       timings=timings)


def _seen(inbox: _Inbox) -> dict[str, str]:
    return {a.target: a.peer for a in inbox.arrivals}


def default_shared_dir(job_kwargs: Mapping[str, Any]) -> str:
    """Where probe and report files go: the profile's log directory, else ./.hpctui-probe."""
    return str(job_kwargs.get("log_directory") or os.path.join(os.getcwd(), ".hpctui-probe"))


async def run_probe_async(
    kind: str,
    job_kwargs: Mapping[str, Any],
    *,
    shared_dir: str | None = None,
    connect_timeout: float = 1.5,
    report_timeout: float = 300.0,
    python_timeout: float = 60.0,
    submit_timeout: float = 60.0,
    interfaces: list[InterfaceFacts] | None = None,
    addresses: list[tuple[str, str]] | None = None,
    on_listening: Callable[[list[ProbeTarget]], None] | None = None,
    on_verdict: Callable[[ProbeResult], None] | None = None,
) -> ProbeResult:
    """Probe which login-node addresses a compute node of `kind` reaches; see the module docstring.

    `job_kwargs` are the profile's cluster keyword arguments (cores, memory, python,
    job_script_prologue, log_directory, queue, ...). `report_timeout` bounds the wait for the
    first report (it includes time in the queue); `python_timeout` the wait after it for the
    dask import check. `on_listening` is called with the targets before submission,
    `on_verdict` as soon as the network verdict is known (before the import check ends).
    """
    t0 = time.monotonic()
    wall0 = time.time()
    interfaces = interfaces if interfaces is not None else login_interfaces()
    addresses = addresses if addresses is not None else listen_addresses(interfaces)
    token = secrets.token_hex(8)
    shared_dir = shared_dir or default_shared_dir(job_kwargs)
    inbox = _Inbox(token)
    servers, targets = await _open_listeners(inbox, addresses)
    report_path = os.path.join(shared_dir, f"hpctui-probe-{token}.json")
    script_path = None
    probe: ProbeJob | None = None
    stop = asyncio.Event()
    watcher = watch_task = None
    timings: dict[str, float] = {}
    try:
        try:
            script_path = install_probe_script(shared_dir, token)
        except OSError as exc:
            return ProbeResult(SUBMIT_FAILED, f"cannot write the probe script into the shared "
                               f"directory {shared_dir}: {exc}", kind, None, None, None)
        args = [script_path, *(t.arg for t in targets), "--out-dir", shared_dir, "--token", token,
                "--timeout", f"{connect_timeout:g}"]
        try:
            probe = build_probe_job(kind, job_kwargs, args,
                                    before=shell_mark(phases_path(report_path)))
        except ProbeJobError as exc:
            return ProbeResult(SUBMIT_FAILED, str(exc), kind, None, None, None)
        if on_listening:
            on_listening(list(targets))
        watcher = asyncio.create_task(_watch_file(report_path, inbox, stop))
        t_submit = time.monotonic()
        wall_submit = time.time()
        try:
            job_id = await submit_probe_job(probe, submit_timeout)
        except ProbeJobError as exc:
            return ProbeResult(SUBMIT_FAILED, str(exc), kind, None, None, None,
                               job_script=probe.script)
        timings["submit_s"] = time.monotonic() - t_submit
        watch = JobWatch()
        ended = asyncio.Event()
        watch_task = asyncio.create_task(watch_job(kind, job_id, watch, ended))
        try:
            got = await _first_report(inbox, ended, report_timeout)
        finally:
            watch_task.cancel()
        if got is None:
            return _no_report(kind, job_id, probe, job_kwargs, report_path, shared_dir,
                              report_timeout, watch, timings)
        channel, report = got
        t_verdict = time.monotonic()
        timings["submit_to_verdict_s"] = t_verdict - t_submit
        timings["total_to_verdict_s"] = t_verdict - t0
        # The probe stamps its own start (wall clock): the job's time in the queue and its
        # start-up are not hpctui's to shorten, so the figure that matters is what follows.
        started_at = report.get("started_at")
        if isinstance(started_at, (int, float)):
            timings["queue_and_start_s"] = started_at - wall_submit
            timings["probe_start_to_verdict_s"] = (wall0 + (t_verdict - t0)) - started_at
        versions = _login_versions()
        result = verdict_from_report(report, kind, interfaces, versions, channel, job_id,
                                     probe.script, timings, _seen(inbox))
        if on_verdict:
            on_verdict(result)
        if report.get("stage") != "final":
            deadline = time.monotonic() + python_timeout
            while time.monotonic() < deadline:
                try:
                    _, later = await asyncio.wait_for(inbox.reports.get(),
                                                       deadline - time.monotonic())
                except asyncio.TimeoutError:
                    break
                if later.get("stage") == "final":
                    timings["submit_to_python_check_s"] = time.monotonic() - t_submit
                    result = verdict_from_report(later, kind, interfaces, versions, channel,
                                                 job_id, probe.script, timings, _seen(inbox))
                    break
        if result.report and result.report.get("stage") == "final":
            # Let the probe finish writing its file and exit on its own before the cancel, so
            # neither a killed half-written file nor a job still running is left behind.
            try:
                await asyncio.wait_for(inbox.file_final.wait(), FINISH_GRACE_SECONDS)
            except asyncio.TimeoutError:
                pass
        return result
    finally:
        stop.set()
        if watcher is not None:
            await watcher
        if watch_task is not None:
            # Its queue query ends (its child reaped) before the probe does: after the verdict,
            # so the verdict waits for nothing.
            await asyncio.gather(watch_task, return_exceptions=True)
        for s in servers:
            s.close()
        if probe is not None:
            await cancel_probe_job(probe)
        if script_path:
            remove_probe_script(script_path)
        leftovers = glob.glob(glob.escape(report_path) + "*")
        for path in leftovers:
            if path:
                try:
                    os.unlink(path)
                except OSError:
                    pass


def run_probe(kind: str, job_kwargs: Mapping[str, Any], **options: Any) -> ProbeResult:
    """Blocking form of `run_probe_async` (its own event loop): call it from a worker thread."""
    return asyncio.run(run_probe_async(kind, job_kwargs, **options))
