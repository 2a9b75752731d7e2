"""Builds the LaunchContext from command-line choices: batch system and config file."""

from __future__ import annotations

from pathlib import Path

from hpctui.core.context import LaunchContext, default_config_path
from hpctui.core.detect import detect


def build_context(scheduler: str | None, config: Path | None) -> LaunchContext:
    """Detect the batch system (unless given) and settle which config file is used."""
    detection = detect(scheduler)
    path = config if config is not None else default_config_path()
    return LaunchContext(
        kind=detection.kind,
        detection_reason=detection.reason,
        config_path=path,
        config_explicit=config is not None,
    )
