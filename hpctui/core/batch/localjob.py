"""hpctui's local backend: dask-jobqueue's machinery, with each job script run by bash.

dask-jobqueue's own `dask_jobqueue.local.LocalJob` splits the job script on whitespace and
executes the words, so a `job-script-prologue` (`export X=1`) breaks it, and what runs is not
what the preview shows. Here the real script runs under bash, in its own session (so it
outlives nothing it shouldn't and can be cancelled as a group), with stdout and stderr in
`<log-directory>/<job-name>-<pid>.out|.err`, the same naming as SLURM's, so log following
works the same way. The job id is the pid of that bash process.
"""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile

from hpctui.core.batch.djq import ensure_imported

ensure_imported()  # dask-jobqueue's import fails outside the main thread otherwise

import dask  # noqa: E402
from dask_jobqueue.core import Job, JobQueueCluster  # noqa: E402

from hpctui.core.config.load import local_defaults  # noqa: E402

# Registered like dask-jobqueue registers its own defaults: config files still win.
dask.config.update_defaults(local_defaults())

# Keeps a reference to each running job's process so asyncio can reap it when it exits.
_PROCESSES: dict[str, asyncio.subprocess.Process] = {}


def default_log_directory() -> str:
    """Where local jobs write their logs when the profile sets no `log-directory`."""
    return os.path.join(tempfile.gettempdir(), f"hpctui-{os.getuid()}", "local-logs")


class BashLocalJob(Job):
    """One "job": the generated job script, run with bash as a local subprocess."""

    submit_command = "bash"
    cancel_command = "kill"
    config_name = "local"

    def __init__(self, scheduler=None, name=None, queue=None, project=None, account=None,
                 resource_spec=None, walltime=None, config_name=None, shebang=None, **kwargs):
        if shebang is None:
            shebang = dask.config.get("jobqueue.local.shebang", None) or "#!/usr/bin/env bash"
        super().__init__(scheduler=scheduler, name=name, config_name=config_name,
                         shebang=shebang, **kwargs)
        if self.log_directory is None:
            self.log_directory = default_log_directory()
            os.makedirs(self.log_directory, exist_ok=True)
        # A local job has no batch directives; job-extra-directives become comments so
        # that what the user added is still visible in the script.
        self.job_header = "\n".join(f"# {d}" for d in self.job_extra_directives)

    async def _submit_job(self, script_filename):
        # `exec` keeps bash's pid ($$) as the process's pid, so the log file names and the
        # job id agree. The script is copied into memory first: dask-jobqueue deletes the
        # temporary file as soon as submission returns.
        with open(script_filename) as f:
            script = f.read()
        prefix = os.path.join(self.log_directory, self.job_name or "worker")
        wrapper = f'exec >"{prefix}-$$.out" 2>"{prefix}-$$.err"; exec bash -c "$0"'
        proc = await asyncio.create_subprocess_exec(
            "bash", "-c", wrapper, script,
            stdin=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
        _PROCESSES[str(proc.pid)] = proc
        return f"Submitted local job {proc.pid}\n"

    @classmethod
    async def _close_job(cls, job_id, cancel_command):
        if not job_id:
            return
        cancel_local_job(job_id)
        proc = _PROCESSES.pop(str(job_id), None)
        if proc is not None:
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except asyncio.TimeoutError:
                cancel_local_job(job_id, signal.SIGKILL)
            except RuntimeError:
                # Started from another event loop (a cluster left running, then reattached in
                # the same process): that loop's child watcher is gone, reap it here instead.
                await asyncio.get_running_loop().run_in_executor(None, _reap, int(job_id))


def _reap(pid: int, seconds: float = 5.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
        except ChildProcessError:
            return
        time.sleep(0.05)
    cancel_local_job(str(pid), signal.SIGKILL)


def cancel_local_job(job_id: str, sig: int = signal.SIGTERM) -> bool:
    """Signal a local job's whole process group; False if it is already gone."""
    try:
        os.killpg(int(job_id), sig)
        return True
    except (ProcessLookupError, PermissionError, ValueError):
        return False


class BashLocalCluster(JobQueueCluster):
    """A dask-jobqueue cluster whose jobs are bash subprocesses on this machine."""

    job_cls = BashLocalJob
