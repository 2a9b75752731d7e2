"""Builds the LaunchContext from command-line choices: batch system and config file."""

from __future__ import annotations

from pathlib import Path

from hpctui.core.session.context import LaunchContext
from hpctui.core.batch.detect import detect


def build_context(scheduler: str | None, config: Path | None) -> LaunchContext:
    """Detect the batch system (unless given). Which config file is used, when none was
    given, is settled by the Workspace as it loads (after the first frame: it reads files)."""
    detection = detect(scheduler)
    return LaunchContext(
        kind=detection.kind,
        detection_reason=detection.reason,
        config_path=config,
        config_explicit=config is not None,
        config_reason="given with --config" if config is not None else "",
    )
