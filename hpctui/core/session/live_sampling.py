"""ClusterSession's live main-thread samples of the connected workers (a mixin).

A round runs on the session's loop through the scheduler: the in-process `Scheduler` with
`scheduler-placement: login`, the attached client's rpc to the scheduler job with `job`
(`hpctui/core/stacks/live.py` speaks to either through `broadcast`). No Client is kept for
`login`; the round's Future is what the caller waits on.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time

from hpctui.core.session.placement import JOB


def _name(ws) -> str:
    # The in-process scheduler's WorkerState, or the remote one's identity dict.
    return str(ws["name"]) if isinstance(ws, dict) else str(ws.name)


class LiveSamplingMixin:
    """`sample_live()` and the coroutine it runs; see the module docstring."""

    def sample_live(self, seconds: float = 1.0, rate: float = 20.0, timeout: float | None = None,
                    max_workers: int = 32) -> concurrent.futures.Future:
        """Live main-thread samples of the connected workers (at most `max_workers` of them,
        by name), taken on the session's loop: a Future of `live_stacks.LiveSamples`,
        returned at once. Each worker has `timeout` seconds (default `seconds` + 2) to
        answer; one that does not is listed as silent. While a round runs, asking again
        returns that round's Future (never two rounds at once). Without a running cluster
        the Future is already done, with no workers."""
        from hpctui.core.stacks.live import LiveSamples, check_args

        timeout = check_args(seconds, rate, timeout)
        if not isinstance(max_workers, int) or max_workers < 1:
            raise ValueError(f"max_workers: must be a positive integer, got {max_workers!r}")
        with self._lock:
            if self._live_future is not None and not self._live_future.done():
                return self._live_future
            if self._cluster is not None and not self._closed.is_set() and (
                    self.placement != JOB or self._client is not None):
                try:
                    self._live_future = asyncio.run_coroutine_threadsafe(
                        self._sample_live(seconds, rate, timeout, max_workers), self._oploop.loop)
                    return self._live_future
                except RuntimeError:  # the loop closed just now
                    pass
        done: concurrent.futures.Future = concurrent.futures.Future()
        done.set_result(LiveSamples(time.time(), float(seconds), float(rate), timeout))
        return done

    async def _sample_live(self, seconds: float, rate: float, timeout: float,
                           max_workers: int):
        from hpctui.core.stacks.live import LiveSamples, LiveTarget, sample_through_scheduler

        cluster = self._cluster
        if cluster is None:
            return LiveSamples(time.time(), float(seconds), float(rate), timeout)
        known = {w.address: w for w in self._tracker.snapshot().workers}
        remote = getattr(cluster, "hpctui_rpc", None)  # the scheduler runs in a job
        scheduler_workers = (cluster.scheduler_info.get("workers", {}) if remote is not None
                             else cluster.scheduler.workers)
        targets = sorted(
            (LiveTarget(addr, known[addr].name if addr in known else _name(ws),
                        known[addr].job_id if addr in known else None)
             for addr, ws in list(scheduler_workers.items())),
            key=lambda t: (t.name, t.address))[:max_workers]
        return await sample_through_scheduler(remote or cluster.scheduler, targets, seconds, rate,
                                              timeout)
