"""What every pane shares: a bordered container with a title, and an id used by the tab bar."""

from __future__ import annotations

from textual.containers import Vertical


class Pane(Vertical):
    """A titled region of the main screen. Subclasses set PANE_ID and PANE_TITLE."""

    PANE_ID = ""
    PANE_TITLE = ""
    DEFAULT_CLASSES = "pane"

    def __init__(self, **kwargs) -> None:
        super().__init__(id=f"pane-{self.PANE_ID}", **kwargs)
        self.border_title = self.PANE_TITLE

    @property
    def children_ready(self) -> bool:
        """Every child `compose` made is mounted: only then may the pane query them.

        True from the pane's own `on_mount` on, normally. But a pane removed before it was
        composed (the app exiting while a slot mounts the pane, a re-layout) is still sent
        Mount, with none of its children mounted (Textual mounts nothing into a widget being
        removed), so `on_mount` and anything that renders checks this first.
        """
        return bool(self.children) and all(child.is_mounted for child in self.children)

    def help_bindings(self) -> list:
        """The keys the help screen lists for this pane."""
        return list(self.BINDINGS)
