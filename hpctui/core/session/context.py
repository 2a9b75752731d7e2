"""What hpctui was started with: the batch system, why it was chosen, and the config file.

Built once by the CLI and handed to the app's constructor, so tests can build one too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LaunchContext:
    """Facts fixed at start-up that every pane may show."""

    kind: str  # batch system kind, a key of hpctui.core.batch.kinds.KINDS
    detection_reason: str  # why this kind ("found /usr/bin/sbatch")
    # The Dask YAML file hpctui reads and writes; None until the Workspace has chosen it
    # (`hpctui.core.config.load.choose_target`) when --config wasn't given.
    config_path: Path | None
    config_explicit: bool  # True when given with --config
    config_reason: str = ""  # why this file ("already sets jobqueue.slurm")

