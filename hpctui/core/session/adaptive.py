"""distributed's own `Adaptive`, told to report: every target it computes and every decision.

dask-jobqueue's `cluster.adapt(...)` takes the class it builds as `Adaptive=`; the session
hands it this subclass, so the scaling logic (target from the scheduler's `adaptive_target`,
`wait_count`, retiring workers, the cluster's `scale`/`scale_down`) is the library's and only
the reporting is added. Each decision is the entry `Adaptive.adapt` has just appended to its
`log`, reported before the cluster acts on it, so the timeline shows the decision before the
submissions or cancellations it causes.

With `whole_jobs` (the profile's `adapt.unit: jobs`) the target is rounded up to a multiple of
the job's `processes` (still within the maximum): a target between two multiples is what makes
adapt cancel a job it has just submitted, again and again (dask-jobqueue issue 498).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RoundFacts:
    """What one adaptive round saw: the target and the cluster's counts, in workers."""

    wanted: int  # the scheduler's adaptive_target, before the bounds
    target: int  # after the bounds (and the rounding to whole jobs)
    planned: int
    requested: int
    connected: int
    tasks: int  # waiting or running on the scheduler; -1 when it runs in another process
    not_arrived: tuple[str, ...] = ()  # planned workers that have not connected


def scheduler_tasks(cluster) -> int:
    """Tasks waiting or running on the in-process scheduler (-1 if it runs elsewhere)."""
    from distributed import Scheduler

    s = getattr(cluster, "scheduler", None)
    if not isinstance(s, Scheduler):
        return -1
    return (len(s.queued) + len(s.unrunnable)
            + sum(len(ws.processing) for ws in s.workers.values()))


def session_adaptive_class(on_round: Callable[[RoundFacts], None],
                           on_decision: Callable[[str, RoundFacts, tuple[str, ...], int], None],
                           processes: int = 1, whole_jobs: bool = False) -> type:
    """A subclass of distributed's Adaptive that calls `on_round` after every round and
    `on_decision(action, facts, workers, n)` before it scales up (to n workers) or down."""
    from distributed.deploy.adaptive import Adaptive

    per_job = max(1, int(processes or 1))

    class SessionAdaptive(Adaptive):
        hpctui_wanted = 0
        hpctui_target = 0

        async def target(self) -> int:
            self.hpctui_wanted = int(await super().target())
            return self.hpctui_wanted

        async def safe_target(self) -> int:
            n = await super().safe_target()
            if whole_jobs and per_job > 1 and n % per_job:
                n = min(int(math.ceil(n / per_job)) * per_job, int(self.maximum))
            self.hpctui_target = int(n)
            return self.hpctui_target

        def hpctui_facts(self) -> RoundFacts:
            plan, requested, observed = self.plan, self.requested, self.observed
            return RoundFacts(self.hpctui_wanted, self.hpctui_target, len(plan),
                              len(requested), len(observed), scheduler_tasks(self.cluster),
                              tuple(sorted(str(w) for w in requested - observed)))

        async def adapt(self) -> None:
            if self._adapting:
                return
            try:
                await super().adapt()
            finally:
                try:
                    on_round(self.hpctui_facts())
                except Exception:  # reporting must never stop the library's adapting
                    pass

        async def scale_up(self, n):
            on_decision("up", self.hpctui_facts(), (), int(n))
            await super().scale_up(n)

        async def scale_down(self, workers):
            if workers:
                on_decision("down", self.hpctui_facts(), tuple(str(w) for w in workers), 0)
            await super().scale_down(workers)

    return SessionAdaptive
