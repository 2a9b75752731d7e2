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

    def help_bindings(self) -> list:
        """The keys the help screen lists for this pane."""
        return list(self.BINDINGS)
