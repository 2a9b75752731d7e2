"""One small module per batch system: queue command, pure parser, log paths, quirks."""

from __future__ import annotations

import importlib
from types import ModuleType

from hpctui.core.batch.kinds import get_kind


def get(kind: str) -> ModuleType:
    """The module for batch system `kind` ("slurm", "pbs", ...); ValueError naming the valid ones."""
    get_kind(kind)  # raises with the list of valid names
    return importlib.import_module(f"hpctui.schedulers.{kind}")
