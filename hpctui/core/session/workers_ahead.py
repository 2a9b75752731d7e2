"""Worker jobs submitted together with their scheduler job (`scheduler-placement: job`).

Submitting the worker jobs only once the scheduler job's scheduler has written its file costs
a second trip through the queue after the first. SLURM, for one, starts batch jobs in
scheduling passes: a job submitted just after the pass that started the scheduler job waits
for the next pass nearly in full. So the session submits the workers it already wants (a fixed
scale) the moment the scheduler job is accepted. Each worker is pointed at the scheduler *file*
instead of an address: dask-jobqueue's own Job class writes the script, with
`--scheduler-file <file>` in the place of the address. distributed's worker (its nanny) waits
for that file (`json_load_robust`, for up to its death-timeout) and then connects. The
scheduler job and its workers wait in the queue together and start in the same pass.

The cluster object (SpecCluster) is told about these jobs as if it had made them itself: their
names are in `worker_spec` and `workers`. Once its scheduler answers, its own `_correct_state`
finds nothing left to submit, and scale-down, close and cancel work on them as on any job.

A worker whose job starts long before the scheduler job (a busy queue, a scheduler job held)
gives up after its death-timeout, and the job ends. distributed's worker command then logs
"Timed out starting worker" and nothing before it: the file is read before the nanny (or the
worker) logs its own start. A worker that did read the file and could not reach the address
says the same words, after "Start Nanny at" and "Waiting to connect to": that one is a real
failure for diagnosis, not a wait. `WorkersAhead` tells the two apart from the job's log.
The session then takes a job that gave up out of `workers`, so it is submitted again, with the
address, once the scheduler runs; `JobReplacing` says so. This happens at most once per job,
because the replacement is an ordinary job.
"""

from __future__ import annotations

import asyncio
import logging
import math
import shlex
import threading
import weakref

from hpctui.core.session.events import (JobReplacing, JobsCancelled, JobStateChanged,
                                        LogLinesAppended, WorkerJoined)

log = logging.getLogger(__name__)

# distributed's worker command, when its start timed out (distributed/cli/dask_worker.py), and
# json_load_robust's TimeoutError, should a version print it.
GAVE_UP = ("Timed out starting worker", "Could not load file after")
# Lines a worker logs only once it has the scheduler's address, i.e. once it read the file.
HAD_ADDRESS = ("Start Nanny at", "Start worker at", "Waiting to connect to")
REPLACING_WHY = ("its worker gave up waiting for the scheduler file (its death-timeout passed "
                 "before the scheduler job started): submitted again once the scheduler runs")


def scheduler_file_argument(path: str) -> str:
    """What stands in a worker's command line where dask-jobqueue puts the address."""
    return f"--scheduler-file {shlex.quote(path)}"


def jobs_for(cluster, workers: int) -> int:
    """How many jobs `cluster.scale(workers)` asks for (dask-jobqueue's rounding up)."""
    per_job = int(getattr(cluster._dummy_job, "worker_processes", 1) or 1)
    return int(math.ceil(workers / max(1, per_job)))


def prepare(cluster, workers: int, scheduler_file: str) -> dict:
    """Grow the cluster's spec to `workers` and make the job objects of the new entries, each
    pointed at `scheduler_file`, registered in the cluster as SpecCluster's `_correct_state`
    registers its own. Nothing is submitted yet: {name: job} for `submit`."""
    target = jobs_for(cluster, workers)
    while len(cluster.worker_spec) < target:
        cluster.worker_spec.update(cluster.new_worker_spec())
    made = {}
    for name, spec in cluster.worker_spec.items():
        if name in cluster.workers:
            continue
        options = dict(spec.get("options", {}))
        options.setdefault("name", name)
        job = spec["cls"](scheduler_file_argument(scheduler_file), **options)
        cluster.workers[name] = job
        cluster._created.add(job)
        job._cluster = weakref.ref(cluster)
        made[name] = job
    return made


async def submit(cluster, made: dict) -> list:
    """Submit the jobs `prepare` made, all at once; returns the names whose submission failed
    (refused: the session has a SubmitFailed for each). Those leave the cluster again, so the
    scale after the scheduler's start submits them the ordinary way."""
    names = list(made)
    # Awaiting the job (not job.start()) takes its lock, as SpecCluster does: if the cluster
    # awaits it too meanwhile, it is started once.
    results = await asyncio.gather(*(asyncio.ensure_future(made[n]) for n in names),
                                   return_exceptions=True)
    failed = [n for n, r in zip(names, results) if isinstance(r, BaseException)]
    for n in failed:
        cluster.worker_spec.pop(n, None)
        cluster.workers.pop(n, None)
        cluster._created.discard(made[n])
    return failed


class WorkersAhead:
    """The jobs submitted ahead of their scheduler, until their worker joins; thread-safe.

    Pure bookkeeping: fed job ids, joins and log lines, it says which job gave up waiting."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: dict[str, str] = {}  # job id -> the cluster's name for it

    def add(self, job_id: str, name: str) -> None:
        with self._lock:
            self._names[job_id] = name

    def joined(self, job_id: str | None) -> None:
        """A worker of that job connected, or had the address: it waited long enough."""
        with self._lock:
            self._names.pop(job_id or "", None)

    def gave_up(self, job_id: str, lines) -> str | None:
        """Fed a job's new log lines in order: the cluster's name for `job_id` if its worker
        stopped waiting for the scheduler file (once per job: it is forgotten then)."""
        with self._lock:
            for line in lines:
                if job_id not in self._names:
                    return None
                if any(mark in line for mark in HAD_ADDRESS):
                    del self._names[job_id]  # it read the file: whatever follows is real
                elif any(mark in line for mark in GAVE_UP):
                    return self._names.pop(job_id)
            return None

    def clear(self) -> None:
        with self._lock:
            self._names.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._names)


class WorkersAheadMixin:
    """ClusterSession's half of this (through `JobPlacementMixin`): submits the workers with
    the scheduler job, settles them when its start fails, replaces one that gave up. Uses the
    session's `_forming`, `_ahead`, `_ahead_task` (set in `_init_job_placement`)."""

    def _cluster_made(self, cluster) -> None:
        """The cluster object exists; its scheduler job is about to be submitted."""
        self._forming = cluster
        self._ahead.clear()

    def _start_ahead(self) -> None:
        """Right after the scheduler job was accepted: its workers go into the queue now,
        pointed at its scheduler file (workers_ahead.py). Only for a fixed scale: adaptive
        scaling decides its numbers from the running scheduler."""
        cluster = self._forming
        if cluster is None or self._n <= 0 or self.adapt_settings is not None:
            return
        try:
            made = prepare(cluster, self._n, self._plan.scheduler_file)
        except Exception as e:  # the profile makes no job: the ordinary scale will say why
            log.warning("cannot submit the workers with their scheduler job: %s", e)
            return
        if made:
            self._ahead_task = asyncio.ensure_future(self._submit_ahead(cluster, made))

    async def _submit_ahead(self, cluster, made: dict) -> None:
        await submit(cluster, made)
        for name in self._failed_specs & set(made):
            self._failed_specs.discard(name)  # said already; the scale after the start retries
        for name, job in made.items():
            if name in cluster.workers and getattr(job, "job_id", None):
                self._ahead.add(str(job.job_id), name)

    async def workers_ahead_settled(self) -> None:
        """(SchedulerHooks) Wait until no worker job is being submitted ahead any more."""
        task = self._ahead_task
        if task is not None and not task.done():
            await asyncio.wait([task])

    async def _cancel_ahead_jobs(self) -> None:
        """The scheduler job failed: the worker jobs submitted with it go too (SpecCluster
        closed those it knew; this catches any whose cancel failed)."""
        from hpctui.core.batch import cleanup

        await self.workers_ahead_settled()
        self._ahead.clear()
        s = self.state
        left = [w.job_id for w in (s.workers if s is not None else ()) if w.job_id]
        if left:
            r = await asyncio.get_running_loop().run_in_executor(
                None, cleanup.cancel_jobs_now, self.kind, left, self.cancel_timeout)
            self._publish(JobsCancelled(job_ids=r.job_ids, why="the scheduler job failed",
                                        ok=r.ok, detail=r.detail))

    def _ahead_event(self, event) -> None:
        """Watch the jobs submitted ahead: a worker that joined waited long enough; one whose
        log says it gave up waiting for the scheduler file is replaced."""
        if isinstance(event, WorkerJoined):
            self._ahead.joined(event.job_id)
        elif isinstance(event, LogLinesAppended):
            name = self._ahead.gave_up(event.job_id, event.lines)
            if name is not None:
                self._oploop.loop.call_soon_threadsafe(self._replace_ahead, event.job_id, name)
        elif isinstance(event, JobStateChanged) and event.new == "connected":
            self._ahead.joined(event.job_id)

    def _replace_ahead(self, job_id: str, name: str) -> None:
        """(On the loop.) The job's worker stopped waiting: out of the cluster, so the
        cluster's next `_correct_state` submits the name again, with the address."""
        cluster = self._cluster or self._forming
        if cluster is None or self._closing:
            return
        job = cluster.workers.get(name)
        if job is None or str(getattr(job, "job_id", "")) != job_id:
            return
        cluster.workers.pop(name, None)
        cluster._created.discard(job)
        self._state_worker_gone(job_id)
        self._publish(JobReplacing(job_id=job_id, why=REPLACING_WHY, by="placement"))
        # Not cancelled: the worker command is the script's last, and it has returned ("End
        # worker"), so the job ends by itself; a cancel now only races that end.
        if self._cluster is cluster:  # the scheduler runs: submit the replacement now
            asyncio.ensure_future(self._resubmit(cluster))

    async def _resubmit(self, cluster) -> None:
        try:
            await cluster._correct_state()
        except Exception as e:  # a refusal is a SubmitFailed already
            log.warning("submitting the replacement failed: %s", e)
