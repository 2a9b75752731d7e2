"""What hpctui was started with: the batch system, why it was chosen, and the config file.

Built once by the CLI and handed to the app's constructor, so tests can build one too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LaunchContext:
    """Facts fixed at start-up that every pane may show."""

    kind: str  # batch system kind, a key of hpctui.core.kinds.KINDS
    detection_reason: str  # why this kind ("found /usr/bin/sbatch")
    config_path: Path  # the Dask YAML file hpctui reads and writes
    config_explicit: bool  # True when given with --config


def default_config_path(environ: dict[str, str] | None = None) -> Path:
    """`$DASK_CONFIG/hpctui.yaml` when DASK_CONFIG is set, else `~/.config/dask/hpctui.yaml`."""
    env = os.environ if environ is None else environ
    base = env.get("DASK_CONFIG") or os.path.join(os.path.expanduser("~"), ".config", "dask")
    return Path(base) / "hpctui.yaml"
