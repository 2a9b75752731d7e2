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
gives up after its death-timeout: distributed prints "Could not load file after <n>s", and the
job ends. `WorkersAhead` notices that line in the job's log. The session then takes the job out
of `workers`, so it is submitted again, with the address, once the scheduler runs;
`JobReplacing` says so. This happens at most once per job, because the replacement is an
ordinary job.
"""

from __future__ import annotations

import asyncio
import math
import shlex
import threading
import weakref

# distributed.utils.json_load_robust's words when the file never came (a TimeoutError).
GAVE_UP = "Could not load file after"
REPLACING_WHY = ("gave up waiting for the scheduler file (its death-timeout passed before "
                 "the scheduler job started): submitted again once the scheduler runs")


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
        """A worker of that job connected: it waited long enough."""
        with self._lock:
            self._names.pop(job_id or "", None)

    def gave_up(self, job_id: str, lines) -> str | None:
        """The cluster's name for `job_id` if these log lines say its worker stopped waiting
        for the scheduler file (once per job: it is forgotten then)."""
        with self._lock:
            if job_id not in self._names or not any(GAVE_UP in line for line in lines):
                return None
            return self._names.pop(job_id)

    def clear(self) -> None:
        with self._lock:
            self._names.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._names)
