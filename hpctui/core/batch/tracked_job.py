"""A per-session subclass of a kind's dask-jobqueue Job that reports each submission as it happens.

dask-jobqueue submits from `Job.start()` inside SpecCluster's `_correct_state`; a failure there
surfaces only as one exception string from the whole scaling step, and a job id is not exposed
anywhere until the cluster is inspected. Wrapping the two steps of `start()` (`_submit_job`, then
`_job_id_from_submit_output`) and `close()` gives the session every job id the moment it is
known and every failure with its fields, without re-implementing any of dask-jobqueue's logic.
"""

from __future__ import annotations

import shlex
from typing import Protocol

from hpctui.core.jobscript.submit_errors import SubmitError, parse_submit_exception


class JobHooks(Protocol):
    """What a session receives from its jobs (called on the session's loop)."""

    def job_submitted(self, job, job_id: str, output: str) -> None: ...
    def submit_failed(self, job, error: SubmitError) -> None: ...
    def job_closed(self, job, job_id: str | None) -> None: ...


def worker_names(job) -> tuple[str, ...]:
    """The Dask worker names a job will run: its own name, or `<name>-<k>` for k processes."""
    n = int(getattr(job, "worker_processes", 1) or 1)
    return (str(job.name),) if n <= 1 else tuple(f"{job.name}-{k}" for k in range(n))


def tracked_job_class(base: type, hooks: JobHooks) -> type:
    """A subclass of `base` (e.g. SLURMJob) that reports to `hooks`."""

    class TrackedJob(base):  # type: ignore[misc, valid-type]
        async def _submit_job(self, script_filename):
            try:
                out = await super()._submit_job(script_filename)
            except Exception as e:
                command = " ".join(shlex.split(self.submit_command) + [script_filename])
                hooks.submit_failed(self, parse_submit_exception(e, command=command))
                raise
            return out

        def _job_id_from_submit_output(self, out):
            try:
                job_id = super()._job_id_from_submit_output(out)
            except ValueError as e:
                hooks.submit_failed(self, parse_submit_exception(e, command=self.submit_command))
                raise
            hooks.job_submitted(self, str(job_id), out)
            return job_id

        async def close(self):
            try:
                await super().close()
            finally:
                hooks.job_closed(self, self.job_id)

    # Keep the base's names: dask-jobqueue and the user see "SLURMJob", not a wrapper.
    TrackedJob.__name__ = base.__name__
    TrackedJob.__qualname__ = base.__qualname__
    return TrackedJob


def tracked_cluster_class(base: type, hooks: JobHooks) -> type:
    """A subclass of a JobQueueCluster class whose `job_cls` is tracked."""
    return type(base.__name__, (base,), {"job_cls": tracked_job_class(base.job_cls, hooks),
                                         "__module__": base.__module__})
