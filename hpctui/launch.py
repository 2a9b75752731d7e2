"""Builds the LaunchContext from command-line choices: batch system and config file."""

from __future__ import annotations

from pathlib import Path

from hpctui.core.config_load import choose_target
from hpctui.core.context import LaunchContext
from hpctui.core.detect import detect


def build_context(scheduler: str | None, config: Path | None) -> LaunchContext:
    """Detect the batch system (unless given) and settle which config file is used."""
    detection = detect(scheduler)
    target = choose_target(detection.kind, config)
    return LaunchContext(
        kind=detection.kind,
        detection_reason=detection.reason,
        config_path=target.path,
        config_explicit=config is not None,
        config_reason=target.reason,
    )
