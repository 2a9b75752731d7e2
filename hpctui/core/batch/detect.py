"""Which batch system is this machine on? `--scheduler` wins, then what is on PATH, then local.

PBS and SGE both install `qsub`/`qstat`; they are told apart by what `qstat -help` prints
(Grid Engine names itself on the first line; PBS Pro and Torque don't know `-help` or
print their own usage). Detection never blocks for long: each probe command has a timeout.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from hpctui.core.batch.kinds import get_kind

# Submit commands in the order they are looked for on PATH, and the kind each implies.
# qsub is resolved further (PBS or SGE) by classify_qstat_help.
_SEARCH_ORDER: tuple[tuple[str, str], ...] = (
    ("sbatch", "slurm"),
    ("qsub", "pbs-or-sge"),
    ("bsub", "lsf"),
    ("condor_submit", "htcondor"),
    ("oarsub", "oar"),
)

_GRID_ENGINE = re.compile(
    r"\b(SGE|UGE|OGS|GE \d|Grid ?Engine|Son of Grid Engine|Open Grid Scheduler|Altair Grid Engine)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Detection:
    """The batch system chosen, and in plain words why."""

    kind: str
    reason: str


def classify_qstat_help(text: str) -> str:
    """'sge' when `qstat -help` output names Grid Engine, else 'pbs'."""
    head = "\n".join(text.splitlines()[:3])
    return "sge" if _GRID_ENGINE.search(head) else "pbs"


def _qstat_help(path_env: str | None, timeout: float) -> str:
    qstat = shutil.which("qstat", path=path_env)
    if qstat is None:
        return ""
    try:
        out = subprocess.run(
            [qstat, "-help"], capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout + out.stderr


def detect(explicit: str | None = None, *, environ: dict[str, str] | None = None,
           timeout: float = 5.0) -> Detection:
    """Pick the batch system: `explicit` (validated), else PATH, else the local backend."""
    if explicit:
        get_kind(explicit)  # raises ValueError naming the valid kinds
        return Detection(explicit, "chosen with --scheduler")
    env = os.environ if environ is None else environ
    path_env = env.get("PATH", "")
    for command, kind in _SEARCH_ORDER:
        found = shutil.which(command, path=path_env)
        if not found:
            continue
        if kind == "pbs-or-sge":
            if env.get("SGE_ROOT"):
                return Detection("sge", f"found {found} and SGE_ROOT is set")
            kind = classify_qstat_help(_qstat_help(path_env, timeout))
            label = "Grid Engine" if kind == "sge" else "PBS"
            return Detection(kind, f"found {found}; `qstat -help` looks like {label}")
        return Detection(kind, f"found {found}")
    return Detection("local", "no batch system on PATH: jobs run as local processes")
