"""Switching the stack sampler into (and out of) a profile's worker command, visibly.

dask-jobqueue builds the worker line as ``<python> -m <worker-command> <scheduler> ...``
(``dask_jobqueue/core.py``: ``"%(python)s -m %(worker_command)s"``). Setting ``python`` to
``<python> <dir>/hpctui-sampler.py --out <dir> --rate 10`` therefore gives
``<python> hpctui-sampler.py --out <dir> --rate 10 -m distributed.cli.dask_worker ...``:
the sampler starts first and runs the worker module in the same process. Because it is the
``python`` setting, the change shows in the job script preview like any other edit.

Compute nodes need to read the sampler file, and hpctui need not be installed there, so
``install_sampler`` copies ``hpctui/on_node/sampler.py`` into a directory the nodes share:
the profile's ``log-directory`` (it is already where the job's logs go). Samples are written to
``<log-directory>/hpctui-stacks/``.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The sampler's own source in this checkout / installation.
SAMPLER_SOURCE = Path(__file__).resolve().parents[2] / "on_node" / "sampler.py"
# The name the copy gets next to the logs; also how a wired `python` is recognised.
SAMPLER_NAME = "hpctui-sampler.py"
STACKS_DIR_NAME = "hpctui-stacks"
DEFAULT_RATE = 10.0


@dataclass(frozen=True)
class SamplerPlacement:
    """Where the sampler file lives and where its samples go (both on the shared file system)."""

    sampler_path: Path
    out_dir: Path


def placement_for(settings: dict[str, Any]) -> SamplerPlacement:
    """The sampler's place for a profile: under its ``log-directory``.

    Raises ValueError naming the key when there is no log-directory: without it the batch
    system puts logs in the submit directory, and hpctui would have no shared place it knows.
    """
    log_dir = settings.get("log-directory")
    if not log_dir:
        raise ValueError(
            "log-directory: the stack sampler needs a log-directory on a file system the compute "
            f"nodes share (got {log_dir!r}); set log-directory first"
        )
    base = Path(os.path.expandvars(os.path.expanduser(str(log_dir)))).absolute()
    return SamplerPlacement(base / SAMPLER_NAME, base / STACKS_DIR_NAME)


def install_sampler(place: SamplerPlacement) -> Path:
    """Copy the sampler next to the logs (atomically; untouched when already identical)."""
    source = SAMPLER_SOURCE.read_bytes()
    dest = place.sampler_path
    dest.parent.mkdir(parents=True, exist_ok=True)
    place.out_dir.mkdir(parents=True, exist_ok=True)
    if dest.exists() and dest.read_bytes() == source:
        return dest
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    tmp.write_bytes(source)
    os.replace(tmp, dest)
    return dest


def _first_token(text: str) -> str:
    try:
        tokens = shlex.split(text)
    except ValueError:
        # Unbalanced quotes further on: the first word is still what we want.
        tokens = text.split()
    return tokens[0] if tokens else ""


def _sampler_start(python: str) -> int | None:
    """Where the sampler's part of a wired ``python`` begins (the base is kept verbatim, so
    ``$CONDA_PREFIX/bin/python`` or ``jsrun ... python`` come back exactly as written)."""
    for i, ch in enumerate(python):
        if ch == " " and Path(_first_token(python[i:])).name == SAMPLER_NAME:
            return i
    return None


def is_wired(settings: dict[str, Any]) -> bool:
    """True when the profile's python runs the worker through the sampler."""
    python = settings.get("python")
    return bool(python) and _sampler_start(str(python)) is not None


def wire_sampler(settings: dict[str, Any], place: SamplerPlacement, rate: float = DEFAULT_RATE,
                 default_python: str = sys.executable) -> dict[str, Any]:
    """The settings with ``python`` running the worker under the sampler (a new dict).

    ``default_python`` is what dask-jobqueue uses when ``python`` is unset (the Python the
    cluster is created from). Wiring an already wired profile replaces the old sampler part.
    """
    if not rate or rate <= 0:
        raise ValueError(f"sampler rate: must be > 0 Hz, got {rate!r}")
    base = unwire_sampler(settings, default_python).get("python") or default_python
    python = " ".join([
        str(base),
        shlex.quote(str(place.sampler_path)),
        "--out", shlex.quote(str(place.out_dir)),
        "--rate", f"{rate:g}",
    ])
    return {**settings, "python": python}


def unwire_sampler(settings: dict[str, Any], default_python: str = sys.executable) -> dict[str, Any]:
    """The settings with the sampler taken out of ``python`` (a new dict).

    When what remains is ``default_python`` the key is removed, so dask-jobqueue's own default
    applies again as before the sampler was switched on.
    """
    python = settings.get("python")
    cut = _sampler_start(str(python)) if python else None
    if cut is None:
        return dict(settings)
    rest = str(python)[:cut].rstrip()
    out = dict(settings)
    if not rest or rest == default_python:
        out.pop("python", None)
    else:
        out["python"] = rest
    return out
