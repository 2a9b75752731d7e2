"""Messages shared by more than one pane. Facts are past tense, requests imperative.

A message used by only one widget is nested in that widget instead.
"""

from __future__ import annotations

from textual.message import Message


class ProfileEdited(Message):
    """A pane changed the pending profile (held by the app's Workspace): panes re-render."""

    def __init__(self, description: str) -> None:
        super().__init__()
        self.description = description  # "skip '#SBATCH --mem=1G'", shown in the status line


class ApplyProfile(Message):
    """Request: preview, write the config and apply the pending profile to the cluster."""


class FocusPane(Message):
    """Request: show and focus a pane by its PANE_ID (e.g. after 'edit' in the rejection view)."""

    def __init__(self, pane_id: str, detail: str | None = None) -> None:
        super().__init__()
        self.pane_id = pane_id
        self.detail = detail  # e.g. the header line to select
