"""A dask-jobqueue cluster whose scheduler runs in a batch job: made, adopted, left, closed.

`ClusterSession` (cluster.py) calls these for `scheduler-placement: job`; `login` never comes
here. The cluster object is the kind's own dask-jobqueue cluster class with
`scheduler_cls=SchedulerJob` (scheduler_job.py), so scaling, the worker job scripts and their
cancellation are dask-jobqueue's. What differs from `login`:

- worker joins and leaves come from the scheduler's worker-status stream that SpecCluster
  already subscribes to (no plugin can be installed in a scheduler in another process);
- hpctui also attaches a `Client`: the scheduler's idle timeout counts attached clients
  (hpctui/on_node/scheduler_idle.py), and SpecCluster's own connection is not one;
- leaving (detach) closes hpctui's connections only (distributed's `Cluster._close`, not
  SpecCluster's, which would scale to 0 and stop the scheduler);
- reattaching adopts the running jobs: Job objects made by dask-jobqueue's Job class with the
  recorded job ids, so scale-down and cancel work on them as on jobs submitted here.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from hpctui.core.session.scheduler_job import SchedulerJob, SchedulerPlan
from hpctui.core.session.scheduler_plugin import JoinFact, LeaveFact

log = logging.getLogger(__name__)

LEFT_REASON = "removed by the scheduler (it runs in a job: the reason is not reported)"


def remote_cluster_class(base: type, on_join: Callable[[JoinFact], None],
                         on_leave: Callable[[LeaveFact], None]) -> type:
    """A subclass of a (tracked) JobQueueCluster class that reports the scheduler's worker
    status stream as joins and leaves."""

    def _update_worker_status(self, op, msg):
        if op == "add":
            now = time.perf_counter()
            for address, info in (msg.get("workers") or {}).items():
                on_join(JoinFact(name=str(info.get("name")), address=address,
                                 host=str(info.get("host") or ""),
                                 threads=int(info.get("nthreads") or 0),
                                 memory=int(info.get("memory_limit") or 0), registered_at=now))
        elif op == "remove":
            on_leave(LeaveFact(address=msg, reason=LEFT_REASON))
        return base._update_worker_status(self, op, msg)

    return type(base.__name__, (base,), {"_update_worker_status": _update_worker_status,
                                         "__module__": base.__module__})


def job_security(cluster_kwargs: dict[str, Any], tls_directory: str | None):
    """cluster_kwargs with TLS from certificate files that outlive this process, when on."""
    kwargs = dict(cluster_kwargs)
    if kwargs.pop("security", None) is True or tls_directory:
        from hpctui.core.network.security import cluster_certificates

        kwargs["security"] = cluster_certificates(tls_directory)
        kwargs.pop("shared_temp_directory", None)
    # `scheduler-options` host/interface name the login node's side: with the scheduler on a
    # compute node, dask-jobqueue must give it the workers' `interface` instead.
    options = {k: v for k, v in (kwargs.get("scheduler_options") or {}).items()
               if k not in ("host", "interface")}
    kwargs["scheduler_options"] = options
    return kwargs


async def make_cluster(cls: type, plan: SchedulerPlan, cluster_kwargs: dict[str, Any],
                       hooks, adopt_job_id: str | None = None,
                       on_made: Callable[[Any], None] | None = None):
    """Start (or adopt) the scheduler job and connect the cluster object to it. `on_made`
    gets the cluster object before its scheduler job is submitted (workers_ahead.py)."""
    job_kwargs = {k: v for k, v in cluster_kwargs.items()
                  if k not in ("scheduler_options", "security", "shared_temp_directory")}
    scheduler_cls = functools.partial(SchedulerJob, plan=plan, job_kwargs=job_kwargs,
                                      hooks=hooks, adopt_job_id=adopt_job_id)
    # Made in the loop, started by the await: SpecCluster starts nothing in its constructor.
    cluster = cls(asynchronous=True, scheduler_cls=scheduler_cls, **cluster_kwargs)
    if on_made is not None:
        on_made(cluster)
    cluster = await cluster
    cluster.hpctui_rpc = None  # the attached client's rpc, once there is one (watchers.py)
    return cluster


async def attach_client(cluster):
    """A Client on the scheduler (see the module docstring); None if it cannot connect."""
    from distributed import Client

    client = Client(cluster.scheduler.address, asynchronous=True, security=cluster.security,
                    set_as_default=False, name="hpctui")
    try:
        return await asyncio.wait_for(client, 30)
    except BaseException as exc:
        # Closed here, on its loop: a Client left to the garbage collector closes itself
        # synchronously from whatever thread collects it, and waits there for a dead loop.
        try:
            await asyncio.shield(asyncio.wait_for(client.close(), 10))
        except BaseException:  # noqa: BLE001 - closing a client that never connected
            pass
        if not isinstance(exc, Exception):
            raise  # cancelled: the session is closing
        log.warning("hpctui could not attach a client to %s: %s", cluster.scheduler.address, exc)
        return None


def adopt_workers(cluster, workers) -> list:
    """Put the recorded worker jobs (`state.WorkerJob`s) into `cluster` as if submitted here;
    returns the Job objects. Workers whose job object cannot be made are skipped."""
    from distributed.core import Status

    jobs = []
    for w in workers:
        spec = copy.deepcopy(cluster.new_spec)
        options = dict(spec.get("options", {}))
        try:
            job = spec["cls"](cluster.scheduler.address, name=w.name, **options)
        except Exception as exc:  # the profile changed under it: leave that job to the queue
            log.warning("cannot adopt job %s (%s): %s", w.job_id, w.name, exc)
            continue
        job.job_id = w.job_id
        job.status = Status.running
        cluster.worker_spec[w.name] = spec
        cluster.workers[w.name] = job
        jobs.append(job)
    return jobs


async def leave(cluster, client) -> None:
    """Disconnect from a running cluster without touching its jobs (detach)."""
    from distributed.deploy.cluster import Cluster

    cluster.shutdown_on_close = False  # distributed's atexit hook must not close it either
    cluster.scheduler.leave = True
    if client is not None:
        try:
            await asyncio.wait_for(client.close(), 10)
        except Exception as exc:
            log.debug("closing the client: %s", exc)
    try:
        await asyncio.wait_for(Cluster._close(cluster), 10)
    except Exception as exc:
        log.debug("leaving the cluster: %s", exc)


async def close_workers_only(cluster, client, timeout: float) -> None:
    """Scale to 0 and cancel the worker jobs, keep the scheduler job (apply of worker settings)."""
    cluster.shutdown_scheduler = False
    cluster.scheduler.leave = True
    if client is not None:
        try:
            await asyncio.wait_for(client.close(), 10)
        except Exception as exc:
            log.debug("closing the client: %s", exc)
    await asyncio.wait_for(cluster.close(), timeout)


async def close_all(cluster, client, timeout: float) -> None:
    """Cancel every worker job, stop the scheduler and cancel its job."""
    cluster.scheduler.leave = False  # an adopted scheduler job too: this is the cancel
    if client is not None:
        try:
            await asyncio.wait_for(client.close(), 10)
        except Exception as exc:
            log.debug("closing the client: %s", exc)
    await asyncio.wait_for(cluster.close(), timeout)
