"""The scheduler as a batch job (`scheduler-placement: job`): its script, and the object that
stands for it in a dask-jobqueue cluster.

The script is the profile's own job script (same header lines, python, prologue), built by the
kind's dask-jobqueue Job class with the worker command swapped for
`<python> -m distributed.cli.dask_scheduler --scheduler-file <file> --idle-timeout <s> ...`,
the same swap the network probe makes (`hpctui/core/network/probe_job.py`). The scheduler file
lives in the log directory, which real sites share between login and compute nodes.

`SchedulerJob` is a `distributed.deploy.spec.ProcessInterface`: dask-jobqueue's cluster class
takes it as `scheduler_cls`, so SpecCluster awaits it as its scheduler, connects to its
`address` from the login node, and creates the workers through dask-jobqueue's own Job classes
with `scheduler=` that address: the worker job script stays exactly what dask-jobqueue writes.
`start()` submits the job (or, to reattach, adopts a running one) and waits for the scheduler
file while watching the job in the queue, so a scheduler job that dies (a bad `python`) fails
at once with its log's last lines instead of hanging. `close()` cancels the job unless the
cluster is being left running (`leave = True`).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shlex
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from distributed.core import Status
from distributed.deploy.spec import ProcessInterface

# The scheduler file is written on the compute node: inotify on the login node does not see
# another NFS client's writes, so it is polled; a stat/open of one small file every 20 ms costs
# nothing beside the batch system's own latency, and the workers are submitted that much sooner.
FILE_POLL_S = 0.02
PRELOAD_SOURCE = Path(__file__).resolve().parents[2] / "on_node" / "scheduler_idle.py"
SCHEDULER_MODULE = "distributed.cli.dask_scheduler"


class SchedulerJobFailed(RuntimeError):
    """The scheduler job could not be submitted, or ended before its scheduler started."""


class SchedulerHooks(Protocol):
    """What the session hears from the scheduler job (on the session's loop)."""

    def scheduler_submitted(self, job, job_id: str, output: str) -> None: ...
    def submit_failed(self, job, error) -> None: ...
    async def workers_ahead_settled(self) -> None: ...


@dataclass(frozen=True)
class SchedulerPlan:
    """Where the scheduler job's files go and how long it may sit idle."""

    kind: str
    job_name: str  # the batch job's name: the workers' job name + "-scheduler"
    scheduler_file: str  # written by distributed once the scheduler listens
    preload: str  # hpctui/on_node/scheduler_idle.py, copied beside the scheduler file
    idle_timeout: float  # seconds
    log_directory: str | None

    @classmethod
    def make(cls, kind: str, cluster_kwargs: dict[str, Any], idle_timeout: float,
             token: str | None = None) -> "SchedulerPlan":
        """A plan with a fresh token, so no scheduler file of an earlier job is ever read."""
        token = token or secrets.token_hex(6)
        log_dir = cluster_kwargs.get("log_directory")
        base = os.path.abspath(os.path.expanduser(str(log_dir or os.getcwd())))
        stem = os.path.join(base, f"hpctui-scheduler-{token}")
        name = f"{cluster_kwargs.get('job_name') or 'dask-worker'}-scheduler"
        return cls(kind, name, stem + ".json", stem + "-idle.py", idle_timeout,
                   str(log_dir) if log_dir else None)


def scheduler_args(plan: SchedulerPlan, options: dict[str, Any]) -> list[str]:
    """The scheduler's command-line arguments from dask-jobqueue's scheduler options
    (interface, port, dashboard_address, protocol, security)."""
    args = ["-m", SCHEDULER_MODULE, "--scheduler-file", plan.scheduler_file,
            "--idle-timeout", f"{plan.idle_timeout:g}s", "--preload", plan.preload]
    if options.get("interface"):
        args += ["--interface", str(options["interface"])]
    # Port 0 unless set: on a shared compute node another user's scheduler may hold 8786.
    args += ["--port", str(options.get("port") or 0)]
    if options.get("dashboard_address") is not None:
        args += ["--dashboard-address", str(options["dashboard_address"])]
    if options.get("security") is not None:
        args += ["--protocol", "tls"]
    elif options.get("protocol"):
        args += ["--protocol", str(options["protocol"]).replace("://", "")]
    return args


def scheduler_exports(options: dict[str, Any]) -> list[str]:
    """Prologue lines giving the scheduler its TLS files through Dask's config variables.

    Not `--tls-cert` & co: given those, distributed's scheduler command sets its host to
    "tls://", which it then refuses beside `--interface` ("Can not specify both interface and
    host"). Read from the config, the same files make the same `Security`.
    """
    security = options.get("security")
    if security is None:
        return []
    pairs = (("CA_FILE", security.tls_ca_file), ("SCHEDULER__CERT", security.tls_scheduler_cert),
             ("SCHEDULER__KEY", security.tls_scheduler_key))
    return [f"export DASK_DISTRIBUTED__COMM__TLS__{name}={shlex.quote(str(value))}"
            for name, value in pairs] + ["export DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION=True"]


def build_scheduler_job(plan: SchedulerPlan, job_kwargs: dict[str, Any], options: dict[str, Any]):
    """The dask-jobqueue Job object whose script runs the scheduler (see the module docstring)."""
    from hpctui.core.network.probe_job import ProbeJobError, build_probe_job

    kwargs = dict(job_kwargs)
    exports = scheduler_exports(options)
    if exports:
        kwargs["job_script_prologue"] = list(kwargs.get("job_script_prologue") or []) + exports
    try:
        return build_probe_job(plan.kind, kwargs, scheduler_args(plan, options),
                               job_name=plan.job_name).job
    except ProbeJobError as exc:
        raise SchedulerJobFailed(str(exc).replace("probe job", "scheduler job")) from None


def preview_script(profile) -> str:
    """The scheduler job script a `scheduler-placement: job` profile submits, for the job
    script pane: built like the real one, with a placeholder token and no file created."""
    from types import SimpleNamespace

    from hpctui.core.jobscript.render import preview_job_class
    from hpctui.core.network.probe_job import build_probe_job
    from hpctui.core.session.placement import idle_timeout_of

    kwargs = profile.cluster_kwargs()
    plan = SchedulerPlan.make(profile.kind, kwargs, idle_timeout_of(profile.settings),
                              token="<token>")
    options = {k: v for k, v in (kwargs.get("scheduler_options") or {}).items()
               if k not in ("host", "interface")}
    options.setdefault("dashboard_address", ":8787")
    options["interface"] = kwargs.get("interface")
    if kwargs.get("security") is True:
        d = profile.tls_directory()
        options["security"] = SimpleNamespace(
            tls_ca_file=os.path.join(d, "cert.pem"), tls_scheduler_cert=os.path.join(d, "cert.pem"),
            tls_scheduler_key=os.path.join(d, "key.pem"))
    exports = scheduler_exports(options)
    if exports:
        kwargs["job_script_prologue"] = list(kwargs.get("job_script_prologue") or []) + exports
    job_kwargs = {k: v for k, v in kwargs.items() if k not in ("scheduler_options", "security")}
    return build_probe_job(profile.kind, job_kwargs, scheduler_args(plan, options),
                           job_name=plan.job_name,
                           job_cls=preview_job_class(profile.kind)).script


def read_scheduler_file(path: str) -> dict[str, Any] | None:
    """The scheduler's identity from its file, or None while it is missing or half-written."""
    try:
        with open(path) as f:
            info = json.load(f)
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and info.get("address") else None


async def wait_for_scheduler_file(plan: SchedulerPlan, job_id: str,
                                  timeout: float | None = None) -> dict[str, Any]:
    """Wait for the scheduler file while the job lives; SchedulerJobFailed quoting the job's
    log when it ends first (or `timeout` seconds pass)."""
    from hpctui.core.network.probe_jobstate import JobWatch, job_log_tail, watch_job

    watch, ended = JobWatch(), asyncio.Event()
    watcher = asyncio.create_task(watch_job(plan.kind, job_id, watch, ended))
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            info = read_scheduler_file(plan.scheduler_file)
            if info is not None:
                return info
            if ended.is_set() or (deadline is not None and time.monotonic() > deadline):
                # The file may still be on its way through a network file system.
                await asyncio.sleep(1.0)
                info = read_scheduler_file(plan.scheduler_file)
                if info is not None:
                    return info
                what = (f"ended ({watch.raw_state})" if ended.is_set()
                        else f"wrote no scheduler file within {timeout:g} s")
                tail = job_log_tail(plan.kind, job_id, plan.job_name, plan.log_directory,
                                    os.getcwd())
                raise SchedulerJobFailed(
                    f"the scheduler job {job_id} {what} before its scheduler started "
                    f"(no {plan.scheduler_file})" + (f"; its log, {tail}" if tail else ""))
            await asyncio.sleep(FILE_POLL_S)
    finally:
        watcher.cancel()


class SchedulerJob(ProcessInterface):
    """The scheduler of a dask-jobqueue cluster, running as a batch job; see the module doc.

    Made by `functools.partial(SchedulerJob, plan=..., job_kwargs=..., hooks=...,
    adopt_job_id=...)` as the cluster's `scheduler_cls`; dask-jobqueue adds its scheduler
    options (interface, protocol, dashboard_address, security, port) as keywords.
    """

    def __init__(self, *, plan: SchedulerPlan, job_kwargs: dict[str, Any], hooks: SchedulerHooks,
                 adopt_job_id: str | None = None, start_timeout: float | None = None,
                 **options: Any) -> None:
        super().__init__()
        self.plan = plan
        self.job_kwargs = job_kwargs
        self.options = options
        self.hooks = hooks
        self.job_id = adopt_job_id
        self.adopted = adopt_job_id is not None
        self.start_timeout = start_timeout
        self.info: dict[str, Any] = {}
        # True: close() leaves the job running (detach). An adopted job starts so: failing to
        # reach a cluster left running must not cancel it; only an explicit cancel does.
        self.leave = self.adopted
        self.job = None

    async def start(self) -> None:
        if self.job_id is None:
            await self._submit()
        try:
            self.info = await wait_for_scheduler_file(self.plan, self.job_id, self.start_timeout)
        except asyncio.CancelledError:
            # Cancelled while waiting (hpctui closing): the job goes too, unless the session
            # is leaving the cluster running (it says so through its hooks).
            await self.hooks.workers_ahead_settled()
            if not (self.leave or getattr(self.hooks, "leaving_scheduler", False)):
                await self._cancel()
            raise
        except SchedulerJobFailed:
            # Worker jobs submitted with this one (workers_ahead.py) are in the queue before
            # SpecCluster closes them on this failure: none is left mid-submission.
            await self.hooks.workers_ahead_settled()
            if not self.leave:
                await self._cancel()
            raise
        self.address = self.info["address"]
        await super().start()

    async def _submit(self) -> None:
        from hpctui.core.jobscript.submit_errors import parse_submit_exception

        try:
            shutil.copyfile(PRELOAD_SOURCE, self.plan.preload)
        except OSError as exc:
            raise SchedulerJobFailed(f"cannot write the scheduler's preload beside its "
                                     f"scheduler file ({self.plan.preload}): {exc}") from None
        self.job = job = build_scheduler_job(self.plan, self.job_kwargs, self.options)
        with job.job_file() as fn:
            command = " ".join(shlex.split(job.submit_command) + [fn])
            try:
                out = await job._submit_job(fn)
            except Exception as exc:
                self.hooks.submit_failed(job, parse_submit_exception(exc, command=command))
                raise SchedulerJobFailed(f"the scheduler job was refused: {exc}") from None
        try:
            self.job_id = str(job._job_id_from_submit_output(out))
        except ValueError as exc:
            self.hooks.submit_failed(job, parse_submit_exception(exc, command=command))
            raise SchedulerJobFailed(str(exc)) from None
        self.hooks.scheduler_submitted(job, self.job_id, out)

    async def _cancel(self) -> None:
        if self.job_id:
            from hpctui.core.batch.cleanup import cancel_jobs_now

            await asyncio.get_running_loop().run_in_executor(
                None, cancel_jobs_now, self.plan.kind, [self.job_id])

    async def close(self) -> None:
        if not self.leave and self.status != Status.closed:
            await self._cancel()
            for path in (self.plan.scheduler_file, self.plan.preload):
                try:
                    os.unlink(path)
                except OSError:
                    pass
        await super().close()

    def script(self) -> str:
        """The scheduler job's script as submitted (rebuilt when this one adopted the job)."""
        job = self.job or build_scheduler_job(self.plan, self.job_kwargs, self.options)
        return job.job_script()
