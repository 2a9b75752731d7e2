"""Messages the app posts to itself when work done in a worker thread comes back."""

from __future__ import annotations

from textual.message import Message


class WorkspaceLoaded(Message):
    """The config was read (in a worker): the editing panes can be filled."""

    def __init__(self, workspace, attach=None, attach_note: str = "") -> None:
        super().__init__()
        self.workspace = workspace
        # A cluster of this profile left running (scheduler-placement: job) to reattach to.
        self.attach = attach
        self.attach_note = attach_note


class WorkspaceFailed(Message):
    """Reading the config failed in a way the Workspace could not report itself."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class ApplyPrepared(Message):
    """The apply preview (script diff, config diff, problems) is ready."""

    def __init__(self, preview) -> None:
        super().__init__()
        self.preview = preview


class ConfigWritten(Message):
    """The config file was written (or refused); `outcome` says which."""

    def __init__(self, outcome) -> None:
        super().__init__()
        self.outcome = outcome


class FindingsUpdated(Message):
    """Diagnosis ran (in a worker) on the signals gathered so far."""

    def __init__(self, findings: list) -> None:
        super().__init__()
        self.findings = findings


class EarlyProbeUpdated(Message):
    """The early check's probe was sent, got its verdict, or ended (from its own thread)."""

    def __init__(self, probe) -> None:
        super().__init__()
        self.probe = probe  # hpctui.core.diagnosis.early.EarlyProbe


class LeftoversFound(Message):
    """Jobs recorded by an earlier hpctui that died without cancelling them."""

    def __init__(self, leftovers) -> None:
        super().__init__()
        self.leftovers = leftovers
