"""The main screen's layout: a tab bar over the panes; tabs alone when small, a grid when large.

At 80x24 one pane shows at a time (the tab bar picks it). From GRID_MIN_SIZE up, the panes
sit in a grid: job script, queue and logs (two rows high) on top, workers below the queue,
and one "side" pane (settings, network or stacks, whichever tab was picked last) below the
script. The same widgets serve both layouts: switching only changes CSS classes.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Container
from textual.message import Message
from textual.widgets import Tab, Tabs

from hpctui.ui.panes.base import Pane

GRID_MIN_SIZE = (120, 36)  # width, height
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
    PaneArea.-grid > #pane-logs { row-span: 2; }
    """

    def __init__(self, panes: list[Pane]) -> None:
        super().__init__(id="pane-area")
        self._panes = panes
        self.active = panes[0].PANE_ID if panes else ""
        self.side = next((p.PANE_ID for p in panes if p.PANE_ID in SIDE_PANES), "")
        self.grid = False

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

    def set_grid(self, grid: bool) -> None:
        self.grid = grid
        self.set_class(grid, "-grid")
        self._refresh_classes()

    def _refresh_classes(self) -> None:
        # All panes, mounted or not yet (Lazy): classes can be set before mounting.
        for pane in self._panes:
            pid = pane.PANE_ID
            if self.grid:
                shown = pid not in SIDE_PANES or pid == self.side
            else:
                shown = pid == self.active
            pane.set_class(shown, "-shown")


def tab_bar(panes: list[Pane]) -> Tabs:
    """The tab bar: one tab per pane, labelled with its number key."""
    return Tabs(
        *(Tab(f"{i}:{p.PANE_TITLE}", id=f"tab-{p.PANE_ID}") for i, p in enumerate(panes, 1)),
        id="pane-tabs",
    )
