"""The batch systems hpctui knows, and the facts about each that the rest of the code shares.

One table, so that detection, the profile, the session and the UI agree on names: the
kind name is also the `jobqueue.<kind>` section of Dask's config.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """One batch system as dask-jobqueue drives it."""

    name: str  # also the `jobqueue.<name>` config section
    label: str  # what the user reads ("SLURM")
    cluster_class: str  # import path of the cluster class
    submit_command: str
    cancel_command: str
    status_command: str
    directive_prefix: str  # "#SBATCH"; "" when the system has no header directives
    # How to get a shell on a compute node, for when the login node is locked down.
    interactive_command: str


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("slurm", "SLURM", "dask_jobqueue.SLURMCluster", "sbatch", "scancel", "squeue",
             "#SBATCH", "salloc --nodes=1 --time=01:00:00"),
        Kind("pbs", "PBS", "dask_jobqueue.PBSCluster", "qsub", "qdel", "qstat",
             "#PBS", "qsub -I -l select=1 -l walltime=01:00:00"),
        Kind("moab", "Moab", "dask_jobqueue.MoabCluster", "msub", "canceljob", "showq",
             "#PBS", "msub -I -l nodes=1,walltime=01:00:00"),
        Kind("sge", "SGE", "dask_jobqueue.SGECluster", "qsub", "qdel", "qstat",
             "#$", "qrsh -l h_rt=01:00:00"),
        Kind("lsf", "LSF", "dask_jobqueue.LSFCluster", "bsub", "bkill", "bjobs",
             "#BSUB", "bsub -Is -W 01:00 $SHELL"),
        Kind("htcondor", "HTCondor", "dask_jobqueue.HTCondorCluster", "condor_submit",
             "condor_rm", "condor_q", "", "condor_submit -interactive"),
        Kind("oar", "OAR", "dask_jobqueue.OARCluster", "oarsub", "oardel", "oarstat",
             "#OAR", "oarsub -I -l nodes=1,walltime=01:00:00"),
        Kind("local", "local", "hpctui.core.batch.localjob.BashLocalCluster", "bash", "kill", "ps",
             "", "(none needed: jobs already run on this machine)"),
    )
}

KIND_NAMES: tuple[str, ...] = tuple(KINDS)


def get_kind(name: str) -> Kind:
    """The Kind called `name`, or ValueError naming the valid ones."""
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(
            f"unknown batch system {name!r}; choose one of: {', '.join(KIND_NAMES)}"
        ) from None


def cluster_class(name: str) -> type:
    """Import and return the dask-jobqueue cluster class for a kind (imports dask lazily)."""
    import importlib

    from hpctui.core.batch.djq import ensure_imported

    ensure_imported()
    module_name, _, attr = get_kind(name).cluster_class.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)
