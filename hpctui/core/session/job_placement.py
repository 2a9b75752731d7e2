"""ClusterSession's half for `scheduler-placement: job`: start, reattach, apply, leave, cancel.

A mixin of `ClusterSession` (cluster.py), so the `login` code there stays as it was. Here the
cluster's scheduler is a batch job (`scheduler_job.py`, `job_cluster.py`) and the session
keeps the cluster's state file (`state.py`) true at every step: the scheduler job as soon as
it is submitted, each worker job as it is submitted or closed, who is attached. Nothing here
cancels a job on the way out unless asked: quitting with "leave it running", SIGHUP and every
other exit path only detach this process. Runs on the session's loop like the rest.

With a fixed scale, the worker jobs go into the queue together with the scheduler job, not one
queue round trip after it (`workers_ahead.py`).
"""

from __future__ import annotations

import dataclasses
import logging
import time

from hpctui.core.session import state as st
from hpctui.core.session.events import (ClusterStarted, ClusterStartFailed, JobsCancelled,
                                        JobSubmitted, SessionFailed)
from hpctui.core.session.workers_ahead import WorkersAhead, WorkersAheadMixin

log = logging.getLogger(__name__)

ATTACHED_OUTPUT = "(attached: submitted by an earlier hpctui)"


class JobPlacementMixin(WorkersAheadMixin):
    """Everything ClusterSession does differently when its scheduler runs in a job."""

    def _init_job_placement(self, cluster_key, config_path, state_base, attach) -> None:
        """Called by ClusterSession.__init__ (`placement` and `idle_timeout` are set)."""
        self.cluster_key = cluster_key or st.cluster_key(self.kind, config_path)
        self.config_path = str(config_path) if config_path else None
        self._state_base = state_base
        self._adopt = attach  # a ClusterState to reattach to at the next start
        self._client = None  # hpctui's Client on the scheduler job's scheduler
        self._plan = None  # the SchedulerPlan of the scheduler job
        self._scheduler_job_id: str | None = None
        self._tls_directory: str | None = None
        self.leaving_scheduler = False  # read by SchedulerJob when its start is cancelled
        self._start_task = None  # the start of a job cluster (cancelled by a leave)
        self._forming = None  # the cluster object while its scheduler job starts
        self._ahead = WorkersAhead()  # worker jobs submitted with the scheduler job
        self._ahead_task = None  # their submission, running beside the scheduler's start
        import secrets

        self._token = secrets.token_hex(8)  # this session among the cluster's attachers

    @property
    def state(self) -> st.ClusterState | None:
        """The cluster's state file as it is now (None with `login` or before submitting)."""
        return st.load(self.cluster_key, self._state_base) if self.placement == "job" else None

    def others_attached(self) -> tuple[st.Attacher, ...]:
        """Other live hpctui processes attached to this cluster (cancel needs `force` then)."""
        s = self.state
        return s.others_attached(self._token) if s is not None else ()

    # ------------------------------------------------------------------ start / reattach

    async def _start_job_cluster(self) -> None:
        from hpctui.core.batch.kinds import cluster_class
        from hpctui.core.batch.tracked_job import tracked_cluster_class
        from hpctui.core.session import job_cluster
        from hpctui.core.session.scheduler_job import SchedulerPlan

        adopt, self._adopt = self._adopt, None
        tls = adopt.tls_directory if adopt is not None else (
            self.cluster_kwargs.get("shared_temp_directory")
            if self.cluster_kwargs.get("security") is True else None)
        try:
            kwargs = job_cluster.job_security(self.cluster_kwargs, tls)
        except (OSError, ValueError) as e:
            self._publish(ClusterStartFailed(kind=self.kind, generation=self._generation,
                                             message=f"{type(e).__name__}: {e}"))
            return
        self._tls_directory = tls
        # Before the cluster exists: the scheduler job is in the queue (pending, perhaps for
        # long) and its log is worth reading while hpctui waits for it.
        self._watchers.start(self.kind)
        if adopt is not None:
            self._plan = plan = SchedulerPlan(
                self.kind, adopt.scheduler_job_name, adopt.scheduler_file, adopt.preload,
                adopt.idle_timeout, adopt.log_directory)
            self._scheduler_job_id = adopt.scheduler_job_id
            self._track_scheduler(adopt.scheduler_job_id, plan.job_name, ATTACHED_OUTPUT)
        else:
            self._plan = plan = SchedulerPlan.make(self.kind, kwargs, self.idle_timeout)
        cls = job_cluster.remote_cluster_class(
            tracked_cluster_class(cluster_class(self.kind), self),
            self._watchers.worker_joined, self._watchers.worker_left)
        try:
            cluster = await job_cluster.make_cluster(
                cls, plan, kwargs, self, adopt.scheduler_job_id if adopt else None,
                on_made=self._cluster_made)
        except Exception as e:
            self._forming = None
            await self._cancel_ahead_jobs()
            message = str(e.__cause__ or e) if isinstance(e, RuntimeError) else str(e)
            self._publish(ClusterStartFailed(kind=self.kind, generation=self._generation,
                                             message=f"{type(e.__cause__ or e).__name__}: "
                                                     f"{message}"))
            # A new scheduler job was cancelled, or the adopted one is gone: nothing to come
            # back to. An adopted one that still runs (hpctui could not reach it) keeps its
            # record, so `hpctui clusters` can still list and cancel it.
            gone = "before its scheduler started" in message
            if adopt is None or gone:
                st.remove(self.cluster_key, self._state_base)
            else:
                self._publish(SessionFailed(message=f"the cluster left running (scheduler job "
                                            f"{adopt.scheduler_job_id}) is kept: `hpctui "
                                            "clusters` lists it, `hpctui clusters cancel` "
                                            "cancels it"))
            return
        self._cluster, self._forming = cluster, None
        self._publish_all(self._tracker.scheduler_up(self._scheduler_job_id, time.monotonic()))
        if adopt is not None:
            self._adopt_workers(cluster, adopt)
        link = cluster.dashboard_link or ""
        self._save_state(address=cluster.scheduler.address, dashboard_link=link,
                         tls_directory=tls)
        st.attach_me(self.cluster_key, self._token, self._state_base)
        self._publish(ClusterStarted(
            kind=self.kind, generation=self._generation,
            scheduler_address=cluster.scheduler.address, dashboard_link=link,
            cluster_name=cluster._name, placement="job",
            scheduler_job_id=self._scheduler_job_id or "", scheduler_file=plan.scheduler_file,
            tls_directory=tls or "", attached=adopt is not None))
        # Workers already connected (a reattach) were in the first status message, not in
        # an "add": report them like the ones that join from now on. Not after an apply that
        # kept the scheduler: what it still lists there are the old workers, on their way out.
        if adopt is not None and adopt.workers:
            for address, info in list(cluster.scheduler_info.get("workers", {}).items()):
                self._watchers.worker_joined(_join_fact(address, info))
        await self._scale_or_adapt()
        # After the workers' submission, which is what the user waits for: the client only
        # keeps the idle clock from running and carries live samples and worker logs.
        self._client = await job_cluster.attach_client(cluster)
        cluster.hpctui_rpc = self._client.scheduler if self._client is not None else None

    def _adopt_workers(self, cluster, adopt: st.ClusterState) -> None:
        from hpctui.core.batch.tracked_job import worker_names
        from hpctui.core.session import job_cluster

        for job in job_cluster.adopt_workers(cluster, adopt.workers):
            self._tracker.job_submitted(job.job_id, str(job.name), worker_names(job),
                                        job.job_name or "", time.monotonic())
            self._publish(JobSubmitted(job_id=job.job_id, spec_name=str(job.name),
                                       worker_names=worker_names(job),
                                       job_name=job.job_name or "",
                                       submit_output=ATTACHED_OUTPUT))
            self._watchers.follow(self.kind, job, job.job_id)
        self._n = max(self._n, len(cluster.worker_spec))
        self._watchers.poke()

    # ------------------------------------------------------------------ hooks from jobs

    def scheduler_submitted(self, job, job_id: str, output: str) -> None:
        """The scheduler job was accepted: on disk at once, so `hpctui clusters` sees it."""
        self._scheduler_job_id = job_id
        plan = self._plan
        st.save(st.ClusterState(
            key=self.cluster_key, kind=self.kind, config_path=self.config_path or "",
            scheduler_job_id=job_id, scheduler_file=plan.scheduler_file, preload=plan.preload,
            scheduler_job_name=plan.job_name, log_directory=plan.log_directory,
            idle_timeout=plan.idle_timeout, settings=_plain(self.cluster_kwargs),
            workers_wanted=self._n), self._state_base)
        st.attach_me(self.cluster_key, self._token, self._state_base)
        self._track_scheduler(job_id, plan.job_name, output, job)
        self._start_ahead()

    def _track_scheduler(self, job_id: str, job_name: str, output: str, job=None) -> None:
        self._tracker.job_submitted(job_id, "scheduler", (), job_name, time.monotonic(),
                                    role="scheduler")
        self._publish(JobSubmitted(job_id=job_id, spec_name="scheduler", worker_names=(),
                                   job_name=job_name, submit_output=output, role="scheduler"))
        self._watchers.follow(self.kind, job or _NamedJob(job_name, self._plan.log_directory),
                              job_id)
        self._watchers.poke()

    def _state_worker_added(self, job, job_id: str) -> None:
        w = st.WorkerJob(job_id, str(job.name), job.job_name or "")
        st.update(self.cluster_key, lambda s: dataclasses.replace(
            s, workers=tuple(x for x in s.workers if x.job_id != job_id) + (w,),
            workers_wanted=self._n), self._state_base)

    def _state_worker_gone(self, job_id: str) -> None:
        st.update(self.cluster_key, lambda s: dataclasses.replace(
            s, workers=tuple(x for x in s.workers if x.job_id != job_id),
            workers_wanted=self._n), self._state_base)

    def _save_state(self, **changes) -> None:
        st.update(self.cluster_key, lambda s: dataclasses.replace(s, **changes),
                  self._state_base)

    def _placement_event(self, event) -> None:
        """Every event the session publishes (cheap unless the scheduler is in a job)."""
        if self._scheduler_job_id is not None:
            self._scheduler_job_event(event)
        if len(self._ahead):
            self._ahead_event(event)

    def _scheduler_job_event(self, event) -> None:
        """The queue says the scheduler's job ended (walltime, idle timeout, scancel): the
        cluster is gone, whatever still runs; say so once, and drop its record."""
        from hpctui.core.session.events import JobStateChanged

        if (isinstance(event, JobStateChanged) and event.job_id == self._scheduler_job_id
                and event.new == "ended" and not self._stopping_why):
            job_id, self._scheduler_job_id = self._scheduler_job_id, None
            st.remove(self.cluster_key, self._state_base)
            self._publish(SessionFailed(
                message=f"the scheduler's job {job_id} ended ({event.queue_state}"
                        + (f": {event.reason}" if event.reason else "") + "): its workers "
                        "stop too; A (apply) starts a new cluster"))

    # ------------------------------------------------------------------ stop

    async def _stop_job_cluster(self, why: str, keep_scheduler: bool = False) -> None:
        """Leave the cluster running (why == "leave"), or cancel its workers and, unless
        `keep_scheduler`, the scheduler job too."""
        import asyncio

        from hpctui.core.batch import cleanup
        from hpctui.core.session import job_cluster

        cluster, self._cluster = self._cluster, None
        client, self._client = self._client, None
        self._ahead.clear()
        if why == "leave":
            if cluster is not None:
                await job_cluster.leave(cluster, client)
            st.detach_me(self.cluster_key, self._token, self._state_base)
            return
        if cluster is not None:
            self._cancel_requested(self._tracker.live_job_ids())
            try:
                if keep_scheduler:
                    await job_cluster.close_workers_only(cluster, client, self.cancel_timeout + 10)
                else:
                    await job_cluster.close_all(cluster, client, self.cancel_timeout + 10)
            except Exception as e:
                log.warning("closing the cluster failed: %s", e)
        s = self.state
        left = [j for j in (s.job_ids if s is not None else ()) if j and not (
            keep_scheduler and j == s.scheduler_job_id)]
        if left:  # what dask-jobqueue did not cancel (a pending scheduler job, adopted jobs)
            r = await asyncio.get_running_loop().run_in_executor(
                None, cleanup.cancel_jobs_now, self.kind, left, self.cancel_timeout)
            self._publish(JobsCancelled(job_ids=r.job_ids, why=why, ok=r.ok, detail=r.detail))
        if keep_scheduler:
            self._save_state(workers=())
            self._adopt = self.state
        else:
            st.remove(self.cluster_key, self._state_base)

    def _may_cancel(self, force: bool) -> bool:
        """False (with a SessionFailed saying who) when another hpctui is attached."""
        others = self.others_attached()
        if not others or force:
            return True
        who = ", ".join(f"pid {a.pid} on {a.host}" for a in others)
        self._publish(SessionFailed(message=f"not cancelling the cluster: another hpctui "
                                    f"({who}) is attached to it; it is left running"))
        return False


class _NamedJob:
    """What `Watchers.follow` reads from a job, for a scheduler job adopted by id."""

    def __init__(self, job_name: str, log_directory: str | None) -> None:
        self.job_name = job_name
        self.log_directory = log_directory


def _join_fact(address: str, info: dict):
    from hpctui.core.session.scheduler_plugin import JoinFact

    return JoinFact(name=str(info.get("name")), address=address, host=str(info.get("host") or ""),
                    threads=int(info.get("nthreads") or 0),
                    memory=int(info.get("memory_limit") or 0), registered_at=time.perf_counter())


def _plain(kwargs: dict) -> dict:
    """The JSON-safe part of cluster kwargs, for the state file (shown, never re-used)."""
    import json

    out = {}
    for k, v in kwargs.items():
        try:
            json.dumps(v)
        except TypeError:
            v = repr(v)
        out[k] = v
    return out
