"""What every pane shares: a bordered container with a title, and an id used by the tab bar."""

from __future__ import annotations

from textual.containers import Vertical
from textual.message import Message


class Pane(Vertical):
    """A titled region of the main screen. Subclasses set PANE_ID and PANE_TITLE."""

    PANE_ID = ""
    PANE_TITLE = ""
    DEFAULT_CLASSES = "pane"

    class Ready(Message):
        """A pane's children are mounted: the app runs what waited for it (`_with_pane`)."""

        def __init__(self, pane_id: str) -> None:
            super().__init__()
            self.pane_id = pane_id

    def __init__(self, **kwargs) -> None:
        super().__init__(id=f"pane-{self.PANE_ID}", **kwargs)
        self.border_title = self.PANE_TITLE

    def on_mount(self) -> None:
        # Textual calls each class's own on_mount, this one after the subclass's.
        if self.children_ready:
            self.post_message(self.Ready(self.PANE_ID))

    @property
    def children_ready(self) -> bool:
        """Every child `compose` made is mounted and the pane is not going away: only then
        may the pane query its children (and theirs).

        Normally true from just before the pane's own `on_mount` until it is removed. But a
        pane removed before it was composed (the app exiting while a slot mounts it) is
        still sent Mount, with no child mounted: Textual mounts nothing into a widget being
        removed. And while a pane is removed (the app exiting), its descendants go one by
        one while the pane and its children still count as mounted, and messages, timers
        and worker threads still reach it. Whatever renders into a pane checks this first.
        """
        # Textual's own test of a node going away (as in `DOMNode.display`); the version is
        # pinned exactly, so these private flags cannot change under us.
        if self._closing or self._closed or self._pruning:
            return False
        return bool(self.children) and all(child.is_mounted for child in self.children)

    def help_bindings(self) -> list:
        """The keys the help screen lists for this pane."""
        return list(self.BINDINGS)
