"""The main screen's layout: a tab bar over the panes; tabs alone when small, a grid when large.

At 80x24 one pane shows at a time (the tab bar picks it). From GRID_MIN_SIZE up, the panes
sit in a grid: job script, queue and logs (two rows high) on top, workers below the queue,
and one "side" pane (settings, network or stacks, whichever tab was picked last) below the
script. The same widgets serve both layouts: switching only changes CSS classes. Where a
third of the width is under LOGS_MIN_WIDTH the Logs column gets that width and the other two
share the rest (log lines are the widest text on the screen). `z` zooms one pane to the
whole area and back (`zoom`).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Container
from textual.message import Message
from rich.text import Text
from textual.events import Click
from textual.widgets import Static

from hpctui.ui.panes.base import Pane

GRID_MIN_SIZE = (120, 36)  # width, height
LOGS_MIN_WIDTH = 60  # columns the Logs pane gets in the grid, when a third would be fewer
SIDE_PANES = ("settings", "network", "findings", "stacks")


class PaneArea(Container):
    """Holds every pane; `-grid` switches to the large layout."""

    DEFAULT_CSS = """
    PaneArea { height: 1fr; }
    PaneArea > .pane { display: none; height: 1fr; border: round $primary; }
    PaneArea > .pane.-shown { display: block; }
    PaneArea > .pane:focus-within { border: round $accent; }
    PaneArea.-grid {
        layout: grid;
        grid-size: 3 2;
        grid-columns: 1fr 1fr 1fr;
        grid-rows: 1fr 1fr;
    }
    PaneArea.-grid.-wide-logs { grid-columns: 1fr 1fr %d; }
    PaneArea.-grid > #pane-logs { row-span: 2; }
    PaneArea.-zoom { layout: vertical; }
    """ % LOGS_MIN_WIDTH

    def __init__(self, panes: list[Pane]) -> None:
        super().__init__(id="pane-area")
        self._panes = panes
        self.active = panes[0].PANE_ID if panes else ""
        self.side = next((p.PANE_ID for p in panes if p.PANE_ID in SIDE_PANES), "")
        self.grid = False
        self.zoomed: str | None = None  # the pane that fills the area, if one does

    def compose(self) -> ComposeResult:
        # Grid order matters: script, queue, logs on row one; the side pane and workers on row two.
        # Only the first pane is in the first frame; the rest mount right after it, in grid
        # order (styling a few hundred widgets is most of the start-up time).
        yield from (p for p in self._ordered() if p.PANE_ID == self.active)

    def _ordered(self) -> list[Pane]:
        order = ["script", "queue", "logs", *SIDE_PANES, "workers"]
        return sorted(self._panes, key=lambda p: order.index(p.PANE_ID) if p.PANE_ID in order else 99)

    async def mount_the_rest(self) -> None:
        """Mount the panes that were not in the first frame (the app calls it after that frame)."""
        ordered = self._ordered()
        first = next(i for i, p in enumerate(ordered) if p.is_mounted or p.parent is self)
        if ordered[:first]:
            await self.mount_all(ordered[:first], before=ordered[first])
        if ordered[first + 1:]:
            await self.mount_all(ordered[first + 1:], after=ordered[first])
        self._refresh_classes()
        self.post_message(self.AllMounted())

    class AllMounted(Message):
        """Every pane is mounted (the ones after the first frame included)."""

    def pane(self, pane_id: str) -> Pane:
        """The pane with this id, mounted or not yet."""
        return next(p for p in self._panes if p.PANE_ID == pane_id)

    def show(self, pane_id: str) -> None:
        """Make `pane_id` the active pane (and the side pane, if it is one)."""
        self.active = pane_id
        if pane_id in SIDE_PANES:
            self.side = pane_id
        self._refresh_classes()

    def set_grid(self, grid: bool, wide_logs: bool = False) -> None:
        self.grid = grid
        self.set_class(wide_logs, "-wide-logs")
        self._refresh_classes()

    def zoom(self, pane_id: str | None) -> None:
        """Fill the area with one pane (`None`: back to the tabs or the grid)."""
        self.zoomed = pane_id
        self._refresh_classes()

    def _refresh_classes(self) -> None:
        self.set_class(self.grid and self.zoomed is None, "-grid")
        self.set_class(self.zoomed is not None, "-zoom")
        # All panes, mounted or not yet (Lazy): classes can be set before mounting.
        for pane in self._panes:
            pid = pane.PANE_ID
            if self.zoomed is not None:
                shown = pid == self.zoomed
            elif self.grid:
                shown = pid not in SIDE_PANES or pid == self.side
            else:
                shown = pid == self.active
            pane.set_class(shown, "-shown")


class PaneTabs(Static):
    """The tab bar: one label per pane with its number key; the shown pane is marked.

    One line of text rather than Textual's Tabs widget (which costs a noticeable part of
    the first frame): `1`-`9` switch panes, and a click on a label does the same.
    """

    DEFAULT_CSS = """
    PaneTabs { height: 1; background: $panel; }
    """

    def __init__(self, panes: list[Pane]) -> None:
        super().__init__(id="pane-tabs")
        self._items = [(p.PANE_ID, f" {i}:{p.PANE_TITLE} ") for i, p in enumerate(panes, 1)]
        self.active = self._items[0][0] if self._items else ""

    def set_active(self, pane_id: str) -> None:
        self.active = pane_id
        self.refresh()

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for pane_id, label in self._items:
            if pane_id == self.active:
                # Brackets as well as reverse video, so it reads the same with NO_COLOR.
                text.append("[" + label.strip() + "]", style="bold reverse")
            else:
                text.append(label)
        return text

    def on_click(self, event: Click) -> None:
        x = 0
        for pane_id, label in self._items:
            width = len(label.strip()) + 2 if pane_id == self.active else len(label)
            if x <= event.x < x + width:
                self.post_message(FocusPaneRequested(pane_id))
                return
            x += width


class FocusPaneRequested(Message):
    """A tab was clicked."""

    def __init__(self, pane_id: str) -> None:
        super().__init__()
        self.pane_id = pane_id


def tab_bar(panes: list[Pane]) -> PaneTabs:
    """The tab bar for `panes`."""
    return PaneTabs(panes)
