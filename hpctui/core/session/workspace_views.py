"""What the workspace shows the UI: previews, diffs, write outcomes, and two small text helpers.

Plain frozen dataclasses built by `Workspace` (hpctui/core/session/workspace.py) and read by
the panes and screens; they hold no state of their own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from hpctui.core.config.load import ConfigTarget
from hpctui.core.config.profile import Profile
from hpctui.core.config.validate import Problem
from hpctui.core.config.write import WriteResult
from hpctui.core.jobscript.header_view import HeaderLine
from hpctui.core.jobscript.render import DiffLine


@dataclass(frozen=True)
class Preview:
    """The job script the pending profile submits, or why there is none."""

    script: str  # the script, or "" when dask-jobqueue refuses to build one
    error: str | None  # dask-jobqueue's own message when it refuses
    warnings: list[str]
    header: list[HeaderLine]
    # With `scheduler-placement: job`: the scheduler's own job script (same header lines,
    # python and prologue; its command runs the scheduler), or why it cannot be built.
    scheduler_script: str = ""


@dataclass(frozen=True)
class ConfigDiff:
    """What writing the pending profile would change in the target file."""

    path: Path
    before: str  # the file's text now ("" when it doesn't exist)
    after: str  # its text after the write
    unified: str  # a unified diff of the two ("" when nothing changes)
    error: str | None  # e.g. malformed YAML with file:line:column; then nothing is written


@dataclass(frozen=True)
class ApplyPreview:
    """Everything the apply confirmation shows."""

    target: ConfigTarget
    script_diff: list[DiffLine]  # full script, marked, last applied -> pending
    config_diff: ConfigDiff
    problems: list[Problem]
    warnings: list[str] = field(default_factory=list)  # e.g. an edited key an env var overrides

    @property
    def errors(self) -> list[Problem]:
        """The problems that block submitting."""
        return [p for p in self.problems if p.severity == "error"]


@dataclass(frozen=True)
class WriteOutcome:
    """What `Workspace.write()` did."""

    ok: bool
    path: Path
    message: str  # one sentence for the status line
    profile: Profile  # the profile that was (or would have been) written
    result: WriteResult | None = None
    changed_on_disk: bool = False  # True: reload and apply again


def tilde(text: str) -> str:
    """Paths under the home folder written as `~/...` (shorter, and the same for everyone)."""
    home = os.path.expanduser("~").rstrip("/")
    return text.replace(home + "/", "~/") if home and home != "/" else text


def changed_keys(before: Profile, after: Profile) -> list[str]:
    """The keys whose values differ (`distributed.` keys with their prefix)."""
    keys = [k for k in after.settings if before.settings.get(k) != after.settings[k]]
    keys += [f"distributed.{k}" for k in after.distributed
             if before.distributed.get(k) != after.distributed[k]]
    return keys
