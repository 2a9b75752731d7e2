"""`ClusterSession`'s adaptive half: `adapt(settings)` runs dask-jobqueue's own `cluster.adapt`.

The session scales either to a fixed number of workers (`scale(n)`) or adaptively within
bounds (`adapt(AdaptSettings)`, or the profile's `adapt` key, see adapt_settings.py). Adaptive
mode calls the cluster's real `adapt(...)` (minimum_jobs/maximum_jobs or minimum/maximum, plus
interval, wait_count, target_duration) with the reporting subclass of distributed's Adaptive
(adaptive.py), and publishes:

- `ScalingModeChanged` when the mode or the bounds change;
- `AdaptTargetChanged` when the target, the plan or the connected count moves;
- `AdaptDecided` for every scale up or down, with why in words, before the jobs it causes
  are submitted or cancelled (those are JobSubmitted / JobsCancelled(why="adapt") as usual);
- `JobReplacing` when a job of the plan ends by itself (walltime, a node lost): the session
  takes it out of the cluster's running jobs, and adapt's next round submits its replacement.

Everything here runs on the session's loop thread.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from hpctui.core.batch.tracker import JobPhase
from hpctui.core.session.adapt_settings import ADAPT_KWARG, AdaptSettings
from hpctui.core.session.adaptive import RoundFacts, session_adaptive_class
from hpctui.core.session.demo_load import DemoLoadMixin
from hpctui.core.session.events import (AdaptDecided, AdaptTargetChanged, JobReplacing,
                                        ScalingModeChanged)

log = logging.getLogger(__name__)

WATCH_EVERY = 0.5  # seconds between looks for jobs of the plan that ended by themselves


def decision_why(action: str, f: RoundFacts, settings: AdaptSettings, workers=()) -> str:
    """A decision in words, from the round's facts."""
    tasks = f"{f.tasks} task(s) waiting or running" if f.tasks >= 0 else "the scheduler's load"
    bounds = f"bounds {settings.bounds_text()}"
    if action == "up":
        return (f"{tasks}: the scheduler asks for {f.wanted} worker(s) at target-duration "
                f"{settings.target_duration:g}s; target {f.target} ({bounds}) > "
                f"{f.planned} planned")
    pending = [w for w in workers if w in f.not_arrived]
    also = (f"; {len(pending)} of them not connected yet (job pending or starting)"
            if pending else "")
    return (f"target {f.target} < {f.planned} planned ({tasks}; {bounds}); suggested for "
            f"removal {settings.wait_count} round(s) in a row (wait-count){also}")


class AdaptiveMixin(DemoLoadMixin):
    """Mixed into ClusterSession (with the demo workload that shows adapt at work, demo_load.py);
    uses its `_cluster`, `_publish`, `_tracker`, `_record`,
    `_cancel_requested`, `_submit_op`, `_scale`, `_n` and `_started`."""

    def _init_adapt(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Take the adaptive settings out of the cluster kwargs (ADAPT_KWARG); the rest."""
        rest = dict(kwargs)
        given = rest.pop(ADAPT_KWARG, None)
        if given is not None and not isinstance(given, AdaptSettings):
            raise ValueError(f"{ADAPT_KWARG} must be AdaptSettings, got {given!r}")
        current = getattr(self, "adapt_settings", None)
        # Bounds chosen with `adapt()` (the UI's S) outlive an apply of a profile that has
        # no `adapt` key, as a number chosen with S does; the profile's own key wins once
        # it is there, and removing it from the profile goes back to fixed scaling.
        keep = given is None and getattr(self, "_adapt_given", None) is None
        self.adapt_settings: AdaptSettings | None = current if keep else given
        self._adapt_given = given
        self._last_round: tuple | None = None
        self._adapt_names: dict[str, str] = {}  # job name -> job id, at the last look
        self._adapt_decided: set[str] = set()  # job names adapt itself chose to close
        self.adapt_facts: RoundFacts | None = None
        return rest

    # ------------------------------------------------------------------ public

    def adapt(self, settings: AdaptSettings | None) -> None:
        """Scale adaptively within `settings` (None: back to the fixed number of workers)."""
        if settings is not None and not isinstance(settings, AdaptSettings):
            raise ValueError(f"adapt: expected AdaptSettings or None, got {settings!r}")
        self.adapt_settings = settings
        if self._started:
            self._submit_op(("adapt",))

    @property
    def adaptive(self) -> bool:
        return self.adapt_settings is not None

    def _scaling_why(self) -> str:
        """Why jobs are closed outside close/apply: adapt's decision or a scale request."""
        return "adapt" if self._running_adaptive() is not None else "scale"

    # ------------------------------------------------------------------ loop thread

    def _running_adaptive(self):
        a = getattr(self._cluster, "_adaptive", None) if self._cluster is not None else None
        return a if a is not None and a.state in ("starting", "running") else None

    def _adapt_off(self) -> None:
        """Stop adapting (a fixed scale was asked for)."""
        a = self._running_adaptive()
        if a is not None:
            a.stop(reason="hpctui-fixed-scale")
            self._publish(ScalingModeChanged(mode="fixed", workers=self._n))

    async def _scale_or_adapt(self) -> None:
        """After a cluster starts, or on `adapt()`: the mode the session is in."""
        cluster = self._cluster
        if cluster is None:
            return
        s = self.adapt_settings
        if s is None:
            was = self._running_adaptive()
            if was is not None:
                was.stop(reason="hpctui-fixed-scale")
            self._publish(ScalingModeChanged(mode="fixed", workers=self._n))
            if self._n or was is not None:
                await self._scale()
            return
        processes = int(getattr(cluster._dummy_job, "worker_processes", 1) or 1)
        cls = session_adaptive_class(self._adapt_round, self._adapt_decision, processes,
                                     whole_jobs=s.unit == "jobs")
        self._last_round = None
        cluster.adapt(Adaptive=cls, **s.adapt_kwargs())
        self._publish(ScalingModeChanged(
            mode="adaptive", minimum=s.minimum, maximum=s.maximum, unit=s.unit,
            interval=s.interval, wait_count=s.wait_count, target_duration=s.target_duration,
            workers_per_job=processes))

    def _adapt_round(self, f: RoundFacts) -> None:
        self.adapt_facts = f
        key = (f.target, f.wanted, f.planned, f.connected, f.tasks)
        if key != self._last_round:
            self._last_round = key
            self._publish(AdaptTargetChanged(target=f.target, wanted=f.wanted,
                                             planned=f.planned, connected=f.connected,
                                             tasks=f.tasks))
        self._adapt_replace_ended()

    def _adapt_decision(self, action: str, f: RoundFacts, workers: tuple[str, ...],
                        n: int) -> None:
        try:
            s = self.adapt_settings or AdaptSettings()
            cluster = self._cluster
            jobs = 0
            if action == "down" and cluster is not None:
                names = _job_names(cluster, workers)
                self._adapt_decided |= names
                ids = [str(cluster.workers[k].job_id) for k in names
                       if k in cluster.workers and getattr(cluster.workers[k], "job_id", None)]
                jobs = len(names)
                self._publish(AdaptDecided(action="down", target=f.target, workers=workers,
                                           jobs=jobs, why=decision_why("down", f, s, workers)))
                self._cancel_requested(ids)
            else:
                per_job = int(getattr(cluster._dummy_job, "worker_processes", 1) or 1) \
                    if cluster is not None else 1
                self._publish(AdaptDecided(action="up", target=n, jobs=-(-n // per_job),
                                           why=decision_why("up", f, s)))
        except Exception:  # reporting must never stop the library's adapting
            log.exception("reporting an adaptive decision failed")

    def _adapt_replace_ended(self) -> None:
        """Jobs of the plan that ended by themselves leave `cluster.workers`, so adapt's next
        round submits their replacement (dask-jobqueue does not notice a job that ended)."""
        cluster = self._cluster
        if cluster is None or self._running_adaptive() is None:
            return
        snap = self._tracker.snapshot()
        now = {name: str(job.job_id) for name, job in list(cluster.workers.items())
               if getattr(job, "job_id", None)}
        for name, job_id in now.items():
            info = snap.job(job_id)
            if info is None or info.phase is not JobPhase.ENDED or name in self._adapt_decided:
                continue
            cluster.workers.pop(name, None)
            if getattr(self, "placement", "login") == "job":  # the state file is its record
                self._state_worker_gone(job_id)
            else:
                self._record.remove([job_id])
            self._publish(JobReplacing(job_id=job_id, why=info.reason or "left the queue"))
        for name, job_id in self._adapt_names.items():
            # Taken out by SpecCluster itself (its worker was lost), still in the plan.
            if name not in now and name in cluster.worker_spec and \
                    name not in self._adapt_decided:
                info = snap.job(job_id)
                if info is not None and info.phase in (JobPhase.ENDED, JobPhase.ENDING):
                    self._publish(JobReplacing(job_id=job_id, why=info.reason or "worker lost"))
        self._adapt_names = {k: v for k, v in now.items() if k in cluster.workers}
        self._adapt_decided &= set(cluster.worker_spec) | set(cluster.workers)

    async def adapt_watch(self) -> None:
        """Background: replace ended jobs between adaptive rounds too (long intervals)."""
        while True:
            await asyncio.sleep(WATCH_EVERY)
            try:
                self._adapt_replace_ended()
            except Exception:
                log.exception("looking for ended adaptive jobs failed")


def _job_names(cluster, workers) -> set[str]:
    """The job (spec) names of these worker names (`<job>-<k>` with processes > 1)."""
    mapping = {}
    for name, spec in cluster.worker_spec.items():
        for suffix in spec.get("group", [""]):
            mapping[str(name) + suffix] = name
    return {mapping.get(w, w) for w in workers}

