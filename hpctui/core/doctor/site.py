"""What doctor reads about the site from this process: versions, partitions, what is queued."""

from __future__ import annotations

import os
import platform
import sys
import time

from hpctui.core.diagnosis import Versions
from hpctui.core.doctor.types import DoctorInputError, DoctorOptions, Environment, InterfaceLine

def package_versions() -> tuple[str | None, str | None, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in ("dask", "distributed", "dask-jobqueue"):
        try:
            out.append(version(name))
        except PackageNotFoundError:
            out.append(None)
    return tuple(out)  # type: ignore[return-value]


def environment(kind: str, reason: str, interfaces) -> Environment:
    """The environment section of the report, from this process."""
    import hpctui

    dask_v, dist_v, djq_v = package_versions()
    return Environment(
        python=platform.python_version(), python_executable=sys.executable,
        dask=dask_v, distributed=dist_v, dask_jobqueue=djq_v, hpctui=hpctui.__version__,
        host=platform.node(), batch_system=kind, batch_system_reason=reason,
        interfaces=tuple(InterfaceLine(i.name, i.ipv4_addresses, i.is_up, i.is_default_route)
                         for i in interfaces))


def partitions(kind: str) -> tuple[str, ...]:
    """The partitions/queues the site lists (SLURM's default marked `*`), for the unknown-queue
    rule: from the batch system's module (`queues_command`, `parse_queues`), where it has one."""
    from hpctui import schedulers
    from hpctui.core.batch.commands import run_command

    sched = schedulers.get(kind)
    if not hasattr(sched, "queues_command"):
        return ()
    result = run_command(sched.queues_command(), timeout=15)
    return sched.parse_queues(result.stdout) if result.ok else ()


def still_queued(kind: str, job_ids: tuple[str, ...], wait: float) -> tuple[str, ...]:
    """Job ids the batch system still holds (not finished) after up to `wait` seconds.

    Cancelled jobs pass through COMPLETING, so this asks again until they are final or gone.
    An unanswerable query counts every job as still there: "nothing left" must be proven.
    """
    if not job_ids:
        return ()
    from hpctui import schedulers
    from hpctui.core.batch.commands import run_command

    sched = schedulers.get(kind)
    deadline = time.monotonic() + wait
    while True:
        result = run_command(sched.status_command(list(job_ids)), timeout=15)
        if result.ok or (result.exit_code is not None and not result.timed_out
                         and sched.means_no_jobs(result.exit_code, result.stdout, result.stderr)):
            try:
                rows = sched.parse_status(result.stdout)
            except Exception:
                left = job_ids
            else:
                left = tuple(r.job_id for r in rows if r.job_id in job_ids and not r.state.is_final)
        else:
            left = job_ids
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(1.0)


def login_versions() -> Versions:
    dask_v, dist_v, djq_v = package_versions()
    return Versions("login node", platform.python_version(), dask_v, dist_v, djq_v)


def load_workspace(o: DoctorOptions):
    """(detection, Workspace) for the options; `DoctorInputError` naming what is wrong (exit 2)."""
    from hpctui.core.batch.detect import detect
    from hpctui.core.session.workspace import Workspace

    try:
        detection = detect(o.kind)
    except ValueError as exc:
        raise DoctorInputError(str(exc)) from None
    if o.config_path is not None and not os.path.isfile(o.config_path):
        raise DoctorInputError(f"--config: cannot read {o.config_path}: no such file")
    try:
        ws = Workspace.from_config(detection.kind, o.config_path)
    except (OSError, ValueError) as exc:
        raise DoctorInputError(f"--config: {exc}") from None
    errors = [e.message for e in ws.loaded.errors]
    errors += list(ws.loaded.unknown_keys)
    if errors:
        raise DoctorInputError("; ".join(errors))
    return detection, ws
