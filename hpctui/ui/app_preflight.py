"""The app's pre-flight half: after an edit settles, ask the batch system whether it would take the
script, queuing nothing (`hpctui.core.jobscript.preflight`), and show the verdict on the job script
pane. The check runs on the checker's own thread (debounced, with a time-out); its verdict comes
back as a message. A refusal of a script the user edited opens the rejection view with the lines
it names marked, once per script; at start-up the verdict is only shown on the pane.

A mixin of HpcTuiApp: Textual dispatches `on_*` handlers found anywhere in the app's MRO.
"""

from __future__ import annotations

from textual.message import Message
from textual.screen import ModalScreen


class PreflightChecked(Message):
    """A pre-flight verdict came back from the checker's thread."""

    def __init__(self, verdict) -> None:
        super().__init__()
        self.verdict = verdict


class PreflightMixin:
    """See the module docstring."""

    _preflight = None  # the PreflightChecker, once the workspace is loaded
    _preflight_edited = False  # the user edited since the last verdict shown
    _preflight_opened: frozenset = frozenset()  # scripts whose refusal was opened already

    def _start_preflight(self) -> None:
        from hpctui.core.jobscript import preflight

        kind = self.workspace.kind
        why_not = preflight.available(kind)
        if why_not is not None:
            self._show_preflight(preflight.PreflightVerdict(preflight.NOT_AVAILABLE, why_not, ""))
            return
        self._preflight = preflight.PreflightChecker(
            kind, lambda verdict: self.post_message(PreflightChecked(verdict)))
        self._request_preflight()

    def _request_preflight(self, edited: bool = False) -> None:
        if self._preflight is None or self.workspace is None:
            return
        self._preflight_edited = self._preflight_edited or edited
        preview = self.workspace.preview()
        if not preview.error:
            self._preflight.request(preview.script)

    def _stop_preflight(self) -> None:
        if self._preflight is not None:
            self._preflight.close()

    def _show_preflight(self, verdict) -> None:
        script = self.pane("script")
        if script is not None:
            script.show_preflight(verdict.line(), verdict.status)

    def on_preflight_checked(self, message: PreflightChecked) -> None:
        verdict = message.verdict
        if self.workspace is None or verdict.script != self.workspace.preview().script:
            return  # an older script's verdict: a newer check is on its way
        self._show_preflight(verdict)
        if not verdict.refused or not self._preflight_edited:
            return
        self._preflight_edited = False
        if verdict.script in self._preflight_opened or isinstance(self.screen, ModalScreen):
            return
        self._preflight_opened = self._preflight_opened | {verdict.script}
        from hpctui.ui.screens.rejection import RejectionScreen

        header = self.workspace.header_texts(self.workspace.pending)
        self.push_screen(RejectionScreen(verdict.rejection, header, title=(
            "✗ Pre-flight: the batch system would refuse this job script (nothing was submitted)")),
            self._go_to_refused_line)
