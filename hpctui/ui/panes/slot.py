"""A pane whose content needs the Workspace, which is loaded after the first frame.

Loading the config imports dask (a few hundred ms); the first frame must not wait for it.
The slot is the pane in the layout from the start, shows "loading", and mounts the real
widget inside itself once the app has the Workspace.
"""

from __future__ import annotations

import importlib

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Static

from hpctui.ui.panes.base import Pane


class PaneSlot(Pane):
    """Holds the place of a pane (same id and title) until `fill` mounts it."""

    DEFAULT_CSS = """
    PaneSlot > .pane { border: none; height: 1fr; padding: 0; }
    PaneSlot > #slot-loading { color: $text-muted; }
    """

    def __init__(self, pane_id: str, title: str, pane_path: str) -> None:
        # The pane's module is imported only when it is needed (it pulls in the config code):
        # `pane_path` is "package.module:ClassName".
        self.PANE_ID = pane_id
        self.PANE_TITLE = title
        super().__init__()
        self._pane_path = pane_path
        self.inner: Widget | None = None
        self._waiting: tuple | None = None  # fill() arguments given before this was mounted

    def pane_class(self) -> type[Pane]:
        """The real pane's class (imports its module)."""
        module, _, name = self._pane_path.partition(":")
        return getattr(importlib.import_module(module), name)

    def help_bindings(self) -> list:
        return list(self.pane_class().BINDINGS)

    def compose(self) -> ComposeResult:
        yield Static("loading the config…", id="slot-loading")

    def on_mount(self) -> None:
        if self._waiting is not None:
            self.call_after_refresh(self.fill, *self._waiting)

    async def fill(self, *args) -> Widget | None:
        """Mount the real pane, built from `args` (once this slot is mounted itself)."""
        if self.inner is not None:
            return self.inner
        if not self.is_mounted or not self.query("#slot-loading"):
            self._waiting = args
            return None
        self._waiting = None
        self.inner = self.pane_class()(*args)
        await self.query_one("#slot-loading").remove()
        await self.mount(self.inner)
        return self.inner

    def show_error(self, text: str) -> None:
        for loading in self.query("#slot-loading").results(Static):
            loading.update(text)
