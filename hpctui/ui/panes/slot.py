"""A pane whose content needs the Workspace, which is loaded after the first frame.

Loading the config imports dask (a few hundred ms); the first frame must not wait for it.
The slot is the pane in the layout from the start, shows "loading", and mounts the real
widget inside itself once the app has the Workspace.
"""

from __future__ import annotations

from collections.abc import Callable

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

    def __init__(self, pane_cls: type[Pane], factory: Callable[..., Widget]) -> None:
        self.PANE_ID = pane_cls.PANE_ID
        self.PANE_TITLE = pane_cls.PANE_TITLE
        self.BINDINGS = list(pane_cls.BINDINGS)  # the help screen lists the real pane's keys
        super().__init__()
        self._factory = factory
        self.inner: Widget | None = None

    def compose(self) -> ComposeResult:
        yield Static("loading the config…", id="slot-loading")

    async def fill(self, *args) -> Widget:
        """Mount the real pane, built by the factory from `args`."""
        self.inner = self._factory(*args)
        await self.query_one("#slot-loading").remove()
        await self.mount(self.inner)
        return self.inner

    def show_error(self, text: str) -> None:
        self.query_one("#slot-loading", Static).update(text)
