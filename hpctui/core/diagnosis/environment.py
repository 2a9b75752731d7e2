"""Rules for the workers' software (failure modes 5-7, and Summit's jsrun of 23): another Python,
other versions, dask-jobqueue and distributed out of step.
"""

from __future__ import annotations

from hpctui.core.diagnosis.finding import SET, Evidence, Finding, Fix, PatchOp
from hpctui.core.diagnosis.search import grep_all, grep_workers, rx
from hpctui.core.diagnosis.signals import Signals

_NO_MODULE = rx(r"No module named '?(?:distributed|dask|dask_jobqueue)\b",
                r"ModuleNotFoundError", r"python[\d.]*: command not found",
                r"python[\d.]*: No such file or directory", r"cannot execute: required file not found")
_MISMATCH = rx(r"Mismatched versions found", r"VersionMismatchWarning")
_NPROCS = rx(r"Both --nprocs and --nworkers were specified", r"No such option:?\s*'?-?-?nprocs",
             r"No such option:?\s*'?-?-?nworkers", r"--nprocs is deprecated")
_EXTRA_ARGS = rx(r"Got unexpected extra arguments")


def _python_fix(s: Signals, what: str) -> Fix:
    current = s.profile.get("python") if s.profile else None
    if s.login_python and s.login_python != current:
        return Fix((PatchOp(SET, "python", s.login_python),),
                   None)
    return Fix((), f"point `python` at the environment {what}, or activate it in "
                   "`job-script-prologue` (`module load ...`, `conda activate ...`)")


def wrong_python(s: Signals) -> list[Finding]:
    """Mode 5: the workers run a Python without dask/distributed."""
    evidence = grep_workers(s, _NO_MODULE)
    probe = s.probe
    if probe is not None and probe.python is not None and not probe.python.ok:
        evidence.append(Evidence("probe", f"{probe.python.python}: {probe.python.error}"))
    if not evidence:
        return []
    return [Finding(
        "wrong-python", 5, "The workers run a Python without Dask",
        "The job's `python` (or the PATH a batch job starts with) is not the environment hpctui "
        "runs in. Using the same interpreter, by its full path on the shared file system, "
        "gives the workers the same packages.",
        tuple(evidence), 0.9, _python_fix(s, "that has dask and distributed"))]


def version_mismatch(s: Signals) -> list[Finding]:
    """Mode 6: login node and workers run different versions."""
    evidence = grep_all(s, _MISMATCH)
    login = s.login_versions
    if login is not None:
        for w in s.worker_versions:
            if w.key() != login.key():
                evidence.append(Evidence(
                    w.where, f"python {w.python}, dask {w.dask}, distributed {w.distributed} "
                             f"(login node: python {login.python}, dask {login.dask}, "
                             f"distributed {login.distributed})"))
    probe = s.probe
    if probe is not None and probe.python is not None and probe.python.ok \
            and not probe.python.versions_match:
        pc = probe.python
        evidence.append(Evidence("probe", f"compute node: dask {pc.dask}, distributed "
                                          f"{pc.distributed}; login node: dask {pc.login_dask}, "
                                          f"distributed {pc.login_distributed}"))
    if not evidence:
        return []
    return [Finding(
        "version-mismatch", 6, "Workers and scheduler run different versions",
        "The client, scheduler and workers must run the same dask and distributed (and "
        "Python); mixed versions fail in odd ways (serialization errors, hangs).",
        tuple(evidence), 0.85, _python_fix(s, "the login node uses"))]


def nprocs_nworkers(s: Signals) -> list[Finding]:
    """Mode 7: dask-jobqueue and distributed versions disagree on --nprocs/--nworkers."""
    evidence = grep_workers(s, _NPROCS)
    extra = list(s.profile.get("worker-extra-args") or []) if s.profile else []
    if not evidence and any(str(a).split("=")[0] in ("--nprocs", "--nworkers") for a in extra):
        # Newer distributed no longer knows --nprocs: click takes its value for a stray
        # argument ("Got unexpected extra arguments: (2 tcp://...)"); only the profile's own
        # --nprocs/--nworkers ties that generic message to this mode.
        evidence = grep_workers(s, _EXTRA_ARGS)
    if not evidence:
        return []
    kept, skip = [], False
    for arg in extra:
        if skip:
            skip = False
            continue
        if str(arg).split("=")[0] in ("--nprocs", "--nworkers"):
            skip = "=" not in str(arg)
            continue
        kept.append(arg)
    ops = (PatchOp(SET, "worker-extra-args", kept),) if kept != extra else ()
    return [Finding(
        "nprocs-nworkers", 7, "dask-jobqueue and distributed are out of step",
        "dask-jobqueue writes the worker count as --nworkers (new) or --nprocs (old); the "
        "workers' distributed knows only one of them, or it is given twice through "
        "`worker-extra-args`. Use `processes` for the count, and versions released together.",
        tuple(evidence), 0.9,
        Fix(ops, "install matching dask-jobqueue and distributed in the workers' environment "
                 "(`pip install -U dask-jobqueue distributed`)"))]


def summit_needs_jsrun(s: Signals) -> list[Finding]:
    """Mode 23 (Summit): batch jobs start on a launch node; python must go through jsrun."""
    p = s.profile
    if p is None or p.kind != "lsf":
        return []
    extra = [str(d) for d in (p.get("job-extra-directives") or [])]
    python = str(p.get("python") or "python")
    if not any("-nnodes" in d for d in extra) or "jsrun" in python:
        return []
    cores = p.get("cores") or 1
    return [Finding(
        "summit-jsrun", 23, "Workers start on the launch node, not the compute node",
        "With `-nnodes` (Summit's CSM) the job script runs on a shared launch node; only "
        "`jsrun` puts a process on the compute node. Prefixing `python` with jsrun starts the "
        "worker where the job's resources are.",
        (Evidence("profile", f"job-extra-directives: {extra}; python: {python}"),), 0.5,
        Fix((PatchOp(SET, "python", f"jsrun -n 1 -a 1 -c {cores} -g 0 {python}"),)))]


RULES = (wrong_python, version_mismatch, nprocs_nworkers, summit_needs_jsrun)
