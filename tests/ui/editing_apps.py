"""Small test apps that mount one editing pane over a Workspace built from a temp config file.

Shared by the Pilot tests and the SVG snapshot tests; nothing here reads ~/.config (the
Workspace gets an explicit empty search path and environment).
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult

from hpctui.core.session.workspace import Workspace
from hpctui.ui.messages import ProfileEdited

SLURM_CONFIG = """\
# site settings for the cluster
jobqueue:
  slurm:
    cores: 4   # four cores per job
    memory: 8GB
    queue: debug
    walltime: '01:00:00'
    job-extra: ['--exclusive']   # old name, still read
"""


def make_workspace(tmp_path: Path, kind: str = "slurm", text: str = SLURM_CONFIG,
                   name: str = "site.yaml") -> Workspace:
    """A Workspace over `text` written to `tmp_path/name`, with fixed host interfaces."""
    path = tmp_path / name
    path.write_text(text)
    return Workspace.from_config(kind, path, paths=[], environ={}, interfaces=["lo", "ib0"])


class PaneApp(App):
    """Mounts one pane and records every ProfileEdited it posts."""

    def __init__(self, pane_factory, workspace: Workspace) -> None:
        super().__init__()
        self.workspace = workspace
        self._pane_factory = pane_factory
        self.edits: list[str] = []

    def compose(self) -> ComposeResult:
        yield self._pane_factory(self.workspace)

    def on_profile_edited(self, message: ProfileEdited) -> None:
        self.edits.append(message.description)
