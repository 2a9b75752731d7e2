"""ClusterSession: run a dask-jobqueue cluster in the background and tell subscribers everything.

The session owns one asyncio loop in a background thread. The cluster (and so the Dask
scheduler, as dask-jobqueue does it) is created on that loop. `start()`, `scale(n)`,
`adapt(settings)` (adaptive scaling: `AdaptiveMixin`, adapting.py), `apply(kind, kwargs)` and
`close()` only queue a request and return at once; they run one after another on the loop, and
what happens arrives as events (events.py) through `subscribe(callback)`.

The loop thread and its queue of requests are `OpLoop` (`loop.py`). What feeds the events:
- submissions and their failures: a per-session Job subclass (`hpctui/core/batch/tracked_job.py`);
- worker joins and leaves: a scheduler plugin (`scheduler_plugin.py`), no polling;
- the queue, job log files, worker log records, the clock: `Watchers` (`watchers.py`), tied
  to workers by `JobTracker` (`tracker.py`);
- live main-thread samples of the connected workers, on request: `sample_live()`
  (`hpctui/core/stacks/live.py`, through the in-process scheduler: no Client to keep);
- nothing left behind: `cleanup.py` (record of job ids, synchronous cancel on every exit).

With `scheduler-placement: job` (the `hpctui_placement` keyword, see placement.py) the
scheduler runs in a batch job instead and the cluster may outlive the session: that half is
`JobPlacementMixin` (job_placement.py). `close(leave=True)` and every exit path then leave
the jobs running; `close()` cancels them (unless another hpctui is attached, see `force`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from hpctui.core.batch import cleanup
from hpctui.core.session.adapting import AdaptiveMixin
from hpctui.core.session.eventbus import EventBus
from hpctui.core.session.events import (ClusterStarted, ClusterStartFailed, JobsCancelled, JobSubmitted,
                                        SessionClosed, SessionEvent, SessionFailed, SubmitFailed)
from hpctui.core.batch.kinds import cluster_class, get_kind
from hpctui.core.batch.tracked_job import tracked_cluster_class, worker_names
from hpctui.core.batch.tracker import DEFAULT_NOT_CONNECTED_AFTER, JobTracker, Snapshot
from hpctui.core.session.job_placement import JobPlacementMixin
from hpctui.core.session.live_sampling import LiveSamplingMixin
from hpctui.core.session.loop import OpLoop
from hpctui.core.session.placement import JOB, IDLE_KWARG, scheduler_kwarg_changes, \
    split_session_kwargs
from hpctui.core.session.watchers import Watchers

log = logging.getLogger(__name__)


class ClusterSession(JobPlacementMixin, LiveSamplingMixin, AdaptiveMixin):
    """See the module docstring. Thread-safe; every public method returns within milliseconds
    except `wait_closed`."""

    def __init__(
        self,
        kind: str,
        cluster_kwargs: dict[str, Any],
        *,
        state_dir: str | os.PathLike | None = None,
        not_connected_after: float = DEFAULT_NOT_CONNECTED_AFTER,
        poll_queue: bool = True,
        follow_logs: bool = True,
        cancel_timeout: float = cleanup.CANCEL_TIMEOUT,
        handle_exits: bool = True,
        poller_options: dict[str, Any] | None = None,
        worker_logs_every: float | None = 2.0,
        cluster_key: str | None = None,
        config_path: str | None = None,
        attach=None,
    ) -> None:
        """`cluster_key` names the cluster's state file (`state.cluster_key`, from the kind
        and config file) with `scheduler-placement: job`; `attach` (a `state.ClusterState`)
        makes `start()` reattach to that running cluster instead of submitting a new one."""
        get_kind(kind)  # ValueError naming the valid kinds
        if not isinstance(cluster_kwargs, dict):
            raise ValueError(f"cluster_kwargs must be a dict, got {type(cluster_kwargs).__name__}")
        self.kind = kind
        self.cluster_kwargs, self.placement, self.idle_timeout = \
            split_session_kwargs(self._init_adapt(cluster_kwargs))  # adapting.py takes `adapt`
        self._init_job_placement(cluster_key, config_path, state_dir, attach)
        if attach is not None:  # a cluster left running is a job cluster, whatever the file says
            self.placement, self.idle_timeout = JOB, attach.idle_timeout
        self.cancel_timeout = cancel_timeout
        if worker_logs_every is not None and not worker_logs_every > 0:
            raise ValueError(f"worker_logs_every must be > 0 seconds or None, got {worker_logs_every!r}")
        self._bus = EventBus()
        self._tracker = JobTracker(not_connected_after)
        self._watchers = Watchers(self._tracker, self._publish, poll_queue=poll_queue,
                                  follow_logs=follow_logs, poller_options=poller_options,
                                  worker_logs_every=worker_logs_every)
        self._record = cleanup.JobRecord(kind, state_dir)
        self._unregister = cleanup.register(self, self._cancel_now) if handle_exits else (lambda: None)

        self._n = 0  # workers wanted
        self._generation = 0
        self._cluster = None
        self._failed_specs: set[str] = set()
        self._lock = threading.Lock()
        self._started = self._closing = False
        self._closed = threading.Event()
        background = [self._watchers.tick, self.adapt_watch]
        if worker_logs_every:
            # A getter, not the cluster: `apply` replaces it while the coroutine runs on.
            background.append(lambda: self._watchers.worker_logs(lambda: self._cluster))
        self._oploop = OpLoop(self._run_op, self._op_failed, background, name="hpctui-session")
        self._stopping_why = ""  # why jobs are being cancelled now ("close", "apply")
        self._live_future = None  # the live-sampling round running now (a Future)

    # ------------------------------------------------------------------ public API

    def subscribe(self, callback: Callable[[SessionEvent], None]) -> Callable[[], None]:
        """Deliver every event from now on to `callback` on its own thread; returns unsubscribe."""
        return self._bus.subscribe(callback)

    def snapshot(self) -> Snapshot:
        """Jobs, workers, expected vs connected counts, as of now."""
        return self._tracker.snapshot()

    @property
    def workers_wanted(self) -> int:
        return self._n

    @property
    def loop_thread_id(self) -> int | None:
        """The thread running the scheduler's event loop (for sampling hpctui itself)."""
        return self._oploop.thread.ident

    def start(self) -> None:
        """Create the cluster (ClusterStarted or ClusterStartFailed follows)."""
        with self._lock:
            if self._started:
                raise RuntimeError("ClusterSession.start() called twice")
            self._started = True
        self._oploop.start()
        self._submit_op(("start",))

    def scale(self, n: int) -> None:
        """Ask for `n` workers; only the newest request counts when several are waiting."""
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError(f"scale: n must be a non-negative integer, got {n!r}")
        self._n = n
        self.adapt_settings = None  # a fixed number ends adaptive scaling
        if self._started:
            self._submit_op(("scale",))

    def apply(self, kind: str, cluster_kwargs: dict[str, Any]) -> None:
        """Cancel this session's jobs, start a cluster with the new settings, scale to the same N.
        With the scheduler in a job and only worker settings changed, the scheduler stays."""
        get_kind(kind)
        if not isinstance(cluster_kwargs, dict):
            raise ValueError(f"cluster_kwargs must be a dict, got {type(cluster_kwargs).__name__}")
        split_session_kwargs(cluster_kwargs)  # ValueError for a bad placement, here and now
        with self._lock:
            if not self._started:  # nothing runs yet: the next start() uses the new settings
                self.kind = kind
                self.cluster_kwargs, self.placement, self.idle_timeout = \
                    split_session_kwargs(self._init_adapt(cluster_kwargs))
                return
        self._submit_op(("apply", kind, dict(cluster_kwargs)))

    def close(self, leave: bool = False, force: bool = False) -> None:
        """Cancel every job, stop the cluster; SessionClosed is the last event.

        With the scheduler in a job: `leave=True` leaves every job running (detach; hpctui
        can reattach), and a cancel is refused while another hpctui is attached unless
        `force` (it says so with a SessionFailed and leaves the cluster running)."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
            started = self._started
        if self.placement == JOB and leave:
            self.leaving_scheduler = True
            task = self._start_task
            if task is not None and not task.done() and self._cluster is None:
                # Still waiting for the scheduler job (pending, perhaps for hours): stop
                # waiting; the job stays in the queue for a later reattach.
                self._oploop.loop.call_soon_threadsafe(task.cancel)
        if started:
            self._submit_op(("close", leave, force))
        else:
            self._finish_close()

    def wait_closed(self, timeout: float | None = None) -> bool:
        """Block until the session is closed; True if it is."""
        return self._closed.wait(timeout)

    # ------------------------------------------------------------------ loop thread

    def _submit_op(self, op: tuple) -> None:
        if self._closed.is_set():
            return
        self._oploop.submit(op)

    async def _run_op(self, op: tuple) -> None:
        if op[0] == "start":
            await self._start_cluster()
        elif op[0] == "scale":
            await self._scale()
        elif op[0] == "adapt":
            await self._scale_or_adapt()
        elif op[0] == "apply":
            await self._apply(op[1], op[2])
        elif op[0] == "close":
            await self._close(*op[1:])

    def _op_failed(self, name: str, e: Exception) -> None:
        # A bug in an operation must reach the user; the loop itself goes on.
        log.exception("session operation %s failed", name)
        self._publish(SessionFailed(message=f"{name} failed: {type(e).__name__}: {e}"))

    # ------------------------------------------------------------------ operations

    async def _start_cluster(self) -> None:
        from hpctui.core.session.scheduler_plugin import WorkerEventsPlugin

        self._generation += 1
        if self.placement == JOB:
            # A task of its own, so close(leave=True) can stop a wait for a pending job.
            self._start_task = asyncio.ensure_future(self._start_job_cluster())
            try:
                await self._start_task
            except asyncio.CancelledError:
                if not self.leaving_scheduler:
                    raise
            return
        self._record.set_kind(self.kind)
        cls = tracked_cluster_class(cluster_class(self.kind), self)
        try:
            if self.cluster_kwargs.get("security") is True:
                # TLS: the temporary certificates' folder must be private (mode 0700).
                from hpctui.core.network.security import private_dir

                private_dir(self.cluster_kwargs["shared_temp_directory"])
            cluster = await cls(asynchronous=True, **self.cluster_kwargs)
        except Exception as e:
            self._cluster = None
            self._publish(ClusterStartFailed(kind=self.kind, generation=self._generation,
                                             message=f"{type(e).__name__}: {e}"))
            return
        self._cluster = cluster
        cluster.scheduler.add_plugin(WorkerEventsPlugin(self._watchers.worker_joined,
                                                        self._watchers.worker_left))
        self._watchers.start(self.kind)
        self._publish(ClusterStarted(
            kind=self.kind, generation=self._generation,
            scheduler_address=cluster.scheduler.address,
            dashboard_link=cluster.dashboard_link or "", cluster_name=cluster._name,
            listen_address=getattr(cluster.scheduler, "listen_address", "") or ""))
        await self._scale_or_adapt()  # scale to N, or adapt within the bounds (adapting.py)

    async def _scale(self) -> None:
        cluster = self._cluster
        if cluster is None:
            return
        self._adapt_off()
        cluster.scale(self._n)
        closing = set(cluster.workers) - set(cluster.worker_spec)  # say so before they vanish
        self._cancel_requested([str(w.job_id) for name, w in cluster.workers.items()
                                if name in closing and getattr(w, "job_id", None)])
        try:
            await cluster._correct_state()
        except Exception as e:
            if not self._failed_specs:  # not a submission failure (those are events already)
                self._publish(SessionFailed(message=f"scaling failed: {type(e).__name__}: {e}"))
        # Failed jobs stay in dask-jobqueue's spec as if they ran; drop them so the counts are
        # true and the next scale (or a retry) submits again.
        for name in self._failed_specs:
            cluster.worker_spec.pop(name, None)
            cluster.workers.pop(name, None)
        self._failed_specs.clear()

    async def _apply(self, kind: str, cluster_kwargs: dict[str, Any]) -> None:
        kwargs, placement, idle = split_session_kwargs(self._init_adapt(cluster_kwargs))
        keep = (self.placement == JOB and placement == JOB and kind == self.kind
                and self._cluster is not None and not scheduler_kwarg_changes(
                    {**self.cluster_kwargs, IDLE_KWARG: self.idle_timeout},
                    {**kwargs, IDLE_KWARG: idle}))
        await self._stop_cluster("apply", keep_scheduler=keep)
        self.kind = kind
        self.cluster_kwargs, self.placement, self.idle_timeout = kwargs, placement, idle
        await self._start_cluster()

    async def _close(self, leave: bool = False, force: bool = False) -> None:
        if self.placement == JOB and not leave and not self._may_cancel(force):
            leave = True
        await self._stop_cluster("leave" if leave and self.placement == JOB else "close")
        self._finish_close("left running" if leave and self.placement == JOB else "close")

    async def _stop_cluster(self, why: str, keep_scheduler: bool = False) -> None:
        live = self._live_future
        if self.placement == JOB:
            if live is not None:
                live.cancel()
            self._stopping_why = why
            await self._stop_job_cluster(why, keep_scheduler)
            self._watchers.stop()
            self._tracker.forget(self._tracker.job_ids())
            self._stopping_why = ""
            return
        cluster, self._cluster = self._cluster, None
        if live is not None:
            live.cancel()  # its workers are going away; and whoever waits must not wait on
        self._stopping_why = why
        if cluster is not None:
            self._cancel_requested(self._tracker.live_job_ids())
            try:
                # dask-jobqueue's own way: retire the workers, then the cancel command per job.
                await asyncio.wait_for(cluster.close(), self.cancel_timeout + 10)
            except Exception as e:
                log.warning("closing the cluster failed: %s", e)
        # Whatever is still recorded (a cancel that failed, a job submitted during close):
        # cancel synchronously, off the loop.
        left = self._record.job_ids()
        if left:
            r = await asyncio.get_running_loop().run_in_executor(
                None, cleanup.cancel_jobs_now, self.kind, left, self.cancel_timeout)
            self._publish(JobsCancelled(job_ids=r.job_ids, why=why, ok=r.ok, detail=r.detail))
            if r.ok:
                self._record.remove(list(r.job_ids))
        self._watchers.stop()
        self._tracker.forget(self._tracker.job_ids())
        self._stopping_why = ""

    def _finish_close(self, why: str = "close") -> None:
        self._watchers.stop()
        cancelled = tuple(self._record.job_ids())
        if cancelled:  # close() before start, or an exit path: nothing else will do it
            cleanup.cancel_jobs_now(self.kind, list(cancelled), self.cancel_timeout)
        self._record.delete()
        self._unregister()
        self._publish(SessionClosed(cancelled_job_ids=cancelled, why=why))
        self._bus.close()
        self._closed.set()

    # ------------------------------------------------------------------ hooks from jobs

    def job_submitted(self, job, job_id: str, output: str) -> None:
        names = worker_names(job)
        if self.placement == JOB:  # the cluster's state file is its record, not JobRecord
            self._state_worker_added(job, job_id)
        else:
            self._record.add(job_id)
        self._tracker.job_submitted(job_id, str(job.name), names, job.job_name or "",
                                    time.monotonic())
        self._publish(JobSubmitted(job_id=job_id, spec_name=str(job.name), worker_names=names,
                                   job_name=job.job_name or "", submit_output=output))
        self._watchers.follow(self.kind, job, job_id)
        self._watchers.poke()

    def submit_failed(self, job, error) -> None:
        self._failed_specs.add(job.name)
        self._publish(SubmitFailed(spec_name=str(job.name), error=error))

    def job_closed(self, job, job_id: str | None) -> None:
        if not job_id:
            return
        if self.placement == JOB:
            self._state_worker_gone(job_id)
        else:
            self._record.remove([job_id])
        self._publish(JobsCancelled(job_ids=(job_id,), why=self._stopping_why or self._scaling_why(),
                                    ok=True))
        self._watchers.poke()

    # ------------------------------------------------------------------ events

    def _cancel_requested(self, job_ids: list[str]) -> None:
        self._publish_all(self._tracker.cancel_requested(job_ids, time.monotonic()))

    def _publish(self, event: SessionEvent) -> None:
        self._bus.publish(event)
        self._placement_event(event)  # job_placement.py: the scheduler job and its workers

    def _publish_all(self, events: list[SessionEvent]) -> None:
        for e in events:
            self._bus.publish(e)

    # ------------------------------------------------------------------ exit paths

    def _cancel_now(self, why: str) -> None:
        """Synchronous cancel for signals, unhandled exceptions and interpreter exit: runs on
        whatever thread the exit happens on, without the session's loop. With the scheduler in
        a job nothing is cancelled: the cluster is left running for a later reattach."""
        if self.placement == JOB:
            from hpctui.core.session.state import detach_me

            self.leaving_scheduler = True
            detach_me(self.cluster_key, self._token, self._state_base)
            return
        ids = self._record.job_ids()
        if not ids:
            return
        r = cleanup.cancel_jobs_now(self.kind, ids, self.cancel_timeout)
        if r.ok:
            self._record.delete()
        self._publish(JobsCancelled(job_ids=r.job_ids, why=why, ok=r.ok, detail=r.detail))
