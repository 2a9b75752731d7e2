"""Watchers: what a session learns from outside its own operations, turned into events.

- worker joins and leaves, from the scheduler plugin (`scheduler_plugin.py`);
- the batch queue: `QueuePoller` (its own thread), tied to workers by the `JobTracker`;
- the jobs' log files: `LogFollower` (its own thread);
- the workers' own log records, fetched through the in-process scheduler every few seconds;
- the clock: the tracker's time-based changes (a worker late to connect), once a second.

Each watcher updates the session's `JobTracker` and hands the resulting events to `publish`.
The session starts the queue and log-file watchers with each cluster and stops them with it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from hpctui.core.batch.tracker import JobTracker
from hpctui.core.session.events import (LogLinesAppended, QueueError, SessionEvent, SessionFailed,
                                        WorkerLogLinesAppended)

log = logging.getLogger(__name__)


class Watchers:
    """Called on the session's loop, except the poller's and follower's callbacks (own threads)."""

    def __init__(
        self,
        tracker: JobTracker,
        publish: Callable[[SessionEvent], None],
        *,
        poll_queue: bool = True,
        follow_logs: bool = True,
        poller_options: dict[str, Any] | None = None,
        worker_logs_every: float | None = 2.0,  # checked by the session; None: not fetched
    ) -> None:
        self._tracker = tracker
        self._publish = publish
        self._poll_queue = poll_queue
        self._follow_logs = follow_logs
        self._poller_options = poller_options or {}
        self.worker_logs_every = worker_logs_every
        self._worker_log_tracker = None  # a WorkerLogTracker per cluster
        self._poller = None
        self._follower = None

    def _publish_all(self, events: list[SessionEvent]) -> None:
        for e in events:
            self._publish(e)

    # ------------------------------------------------------------------ per cluster

    def start(self, kind: str) -> None:
        """Start polling `kind`'s queue and get ready to follow log files."""
        if self._poll_queue and self._poller is None:
            from hpctui.core.batch.poller import QueuePoller

            self._poller = QueuePoller(kind, self._tracker.job_ids, self._on_rows,
                                       self._on_queue_error, self._tracker.connected_job_ids,
                                       **self._poller_options)
            self._poller.start()
        if self._follow_logs and self._follower is None:
            from hpctui.core.logs.follow import LogFollower

            self._follower = LogFollower(self._on_log_lines)

    def stop(self) -> None:
        """Stop the queue poller and the log follower; the next cluster's workers start afresh."""
        poller, self._poller = self._poller, None
        follower, self._follower = self._follower, None
        if poller is not None:
            poller.stop(timeout=0)  # its thread finishes on its own; don't wait on squeue
        if follower is not None:
            follower.close(timeout=1.0)
        self._worker_log_tracker = None

    def poke(self) -> None:
        """Something changed (a submission, a cancel, a worker gone): look at the queue soon."""
        if self._poller is not None:
            self._poller.poke()

    # ------------------------------------------------------------------ from the scheduler

    def worker_joined(self, fact) -> None:
        self._publish_all(self._tracker.worker_joined(
            fact.name, fact.address, fact.host, fact.threads, fact.memory,
            now=time.monotonic(), registered_at=fact.registered_at))

    def worker_left(self, fact) -> None:
        if self._worker_log_tracker is not None:
            self._worker_log_tracker.forget(fact.address)
        self._publish_all(self._tracker.worker_left(fact.address, fact.reason, time.monotonic()))
        self.poke()

    # ------------------------------------------------------------------ background coroutines

    async def tick(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self._publish_all(self._tracker.tick(time.monotonic()))

    async def worker_logs(self, get_cluster: Callable[[], Any]) -> None:
        """Every `worker_logs_every` seconds, the new log records of the running cluster's workers."""
        from hpctui.core.logs.workerlogs import WorkerLogTracker, fetch_worker_logs

        while True:
            await asyncio.sleep(self.worker_logs_every)
            cluster = get_cluster()
            if cluster is None:
                continue
            # With the scheduler in a job: through the attached client's rpc (hpctui_rpc).
            remote = getattr(cluster, "hpctui_rpc", None)
            job_placed = hasattr(cluster, "hpctui_rpc")
            if job_placed and remote is None:
                continue
            if not (cluster.scheduler_info.get("workers") if job_placed
                    else cluster.scheduler.workers):
                continue
            if self._worker_log_tracker is None:
                self._worker_log_tracker = WorkerLogTracker()
            try:
                updates = await fetch_worker_logs(remote or cluster.scheduler,
                                                  self._worker_log_tracker)
            except Exception as e:  # a worker going away mid-broadcast: ask again next round
                log.debug("fetching worker logs failed: %s", e)
                continue
            workers = {w.address: w for w in self._tracker.snapshot().workers}
            for u in updates:
                w = workers.get(u.worker)
                self._publish(WorkerLogLinesAppended(
                    name=w.name if w else "", address=u.worker, job_id=w.job_id if w else None,
                    lines=tuple(u.lines)))

    # ------------------------------------------------------------------ queue and log files

    def follow(self, kind: str, job, job_id: str) -> None:
        """Follow a newly submitted job's log files (if log files are followed at all)."""
        if self._follower is None:
            return
        from hpctui import schedulers

        try:
            paths = schedulers.get(kind).log_paths(job_id, job.job_name or "",
                                                   job.log_directory, os.getcwd())
        except Exception as e:
            self._publish(SessionFailed(message=f"log paths for job {job_id}: {e}"))
            return
        for p in paths:
            try:
                # New: the job may already have written them by the time the follower looks
                # (a fast start, a busy login node): read whole and announced all the same.
                self._follower.follow(p, key=(job_id, str(p)), new=True)
            except (ValueError, RuntimeError):
                pass  # already followed (same file for out and err) or follower closing

    def _on_rows(self, refreshed) -> None:
        self._publish_all(self._tracker.queue_rows(refreshed.rows, time.monotonic()))

    def _on_queue_error(self, failed) -> None:
        self._publish(QueueError(message=failed.message, retry_in=failed.retry_in))

    def _on_log_lines(self, batches) -> None:
        for b in batches:
            self._publish(LogLinesAppended(
                job_id=b.key[0], path=b.path, stream=b.stream, lines=tuple(b.lines),
                notice=b.notice.value if b.notice else ""))
