"""Switching the start-up watcher into (and out of) a profile's worker command, visibly.

dask-jobqueue runs ``<python> -m <worker-command> ...``. Setting ``python`` to
``<python> -I -S <dir>/hpctui-startwatch.py --out <dir> --`` makes that
``<python> -I -S hpctui-startwatch.py --out <dir> -- -m distributed.cli.dask_worker ...``:
the watcher starts with no ``site`` and runs the worker as its child (see
``hpctui/on_node/startwatch.py``). With the stack sampler wired too, the sampler's part comes
after the ``--`` (``... -- hpctui-sampler.py --out <dir> --rate 10 -m ...``), so the sampler
runs inside the watched child and both write into the same directory, where the watcher finds
the sampler's file of each process and leaves that process's Python frames to it.

``install_watcher`` copies the watcher and its two sibling modules beside the logs, where the
compute nodes can read them (hpctui need not be installed there). ``abort_after`` (doctor's
observation round only) lets the watcher SIGABRT a process stuck in start-up for a
faulthandler traceback; the UI never sets it.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any

from hpctui.core.stacks import sampler_wiring

ON_NODE = Path(__file__).resolve().parents[2] / "on_node"
# (source in this package, name beside the logs): the siblings keep their import names.
FILES = ((ON_NODE / "startwatch.py", "hpctui-startwatch.py"),
         (ON_NODE / "hpctui_startloop.py", "hpctui_startloop.py"),
         (ON_NODE / "hpctui_procview.py", "hpctui_procview.py"))
WATCH_NAME = "hpctui-startwatch.py"
# The watcher's part of a wired `python`: " -I -S <path> [--opt value]... --".
_TOKEN = r"(?:'[^']*'|\S+)"
_PART = re.compile(rf" -I -S ({_TOKEN})((?: --(?:out|interval|abort-after) {_TOKEN})*) --(?= |$)")


def watcher_path(place: sampler_wiring.SamplerPlacement) -> Path:
    """Where the watcher's copy goes: beside the sampler's, under the log directory."""
    return place.sampler_path.with_name(WATCH_NAME)


def install_watcher(place: sampler_wiring.SamplerPlacement) -> Path:
    """Copy the watcher and its siblings beside the logs (atomically; untouched when the same)."""
    directory = place.sampler_path.parent
    directory.mkdir(parents=True, exist_ok=True)
    place.out_dir.mkdir(parents=True, exist_ok=True)
    for source, name in FILES:
        data = source.read_bytes()
        dest = directory / name
        if dest.exists() and dest.read_bytes() == data:
            continue
        tmp = dest.with_name(f".{name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, dest)
    return directory / WATCH_NAME


def _find(python: str) -> re.Match | None:
    for m in _PART.finditer(python):
        token = shlex.split(m.group(1))[0] if m.group(1) else ""
        if Path(token).name == WATCH_NAME:
            return m
    return None


def is_watched(settings: dict[str, Any]) -> bool:
    """True when the profile's python runs the worker under the watcher."""
    python = settings.get("python")
    return bool(python) and _find(str(python)) is not None


def unwire_watcher(settings: dict[str, Any], default_python: str = sys.executable) -> dict[str, Any]:
    """The settings with the watcher's part taken out of ``python`` (a new dict); the
    sampler's part, if any, stays. ``python`` equal to ``default_python`` afterwards is removed,
    so dask-jobqueue's own default applies as before."""
    python = settings.get("python")
    m = _find(str(python)) if python else None
    if m is None:
        return dict(settings)
    rest = (str(python)[:m.start()] + str(python)[m.end():]).strip()
    out = dict(settings)
    if not rest or rest == default_python:
        out.pop("python", None)
    else:
        out["python"] = rest
    return out


def wire_watcher(settings: dict[str, Any], place: sampler_wiring.SamplerPlacement,
                 abort_after: float | None = None,
                 default_python: str = sys.executable) -> dict[str, Any]:
    """The settings with ``python`` running the worker under the watcher (a new dict).

    The watcher's part goes right after the interpreter (``$CONDA_PREFIX/bin/python`` or
    ``jsrun ... python``, kept as written) and before the sampler's part, if wired.
    """
    if abort_after is not None and not abort_after > 0:
        raise ValueError(f"abort_after: must be > 0 seconds, got {abort_after!r}")
    base = str(unwire_watcher(settings, default_python).get("python") or default_python)
    cut = sampler_wiring._sampler_start(base)
    head, tail = (base, "") if cut is None else (base[:cut].rstrip(), base[cut:])
    part = ["-I", "-S", shlex.quote(str(watcher_path(place))), "--out",
            shlex.quote(str(place.out_dir))]
    if abort_after is not None:
        part += ["--abort-after", f"{abort_after:g}"]
    python = " ".join([head, *part, "--"]) + tail
    return {**settings, "python": python}
