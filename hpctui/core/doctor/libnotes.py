"""What the libraries said during a doctor run, as the report's notes: one line per distinct
message, attributed, with the rounds it came in and how often.

doctor runs the scheduler in its own process, so distributed, tornado and asyncio log there;
`hpctui.core.session.library_output` keeps those records off the terminal and this module
decides what the report says about them. A tornado "Exception in callback" whose exception is
dask-jobqueue's "Command exited with non-zero exit code" is the refused submission the
timeline and the findings already quote: it is named as such, in one line, not dumped again.
"""

from __future__ import annotations

import re

from hpctui.core.session.library_output import LibraryMessage

MAX_NOTES = 8  # distinct messages listed; a flood ends with how many more there were
SUBMIT_FAILED = "Command exited with non-zero exit code"


def _key(m: LibraryMessage) -> tuple:
    # Ports, job ids and times differ from round to round; the message is the same one.
    mask = lambda s: re.sub(r"\d+", "#", s or "")  # noqa: E731
    return (m.source, m.level, m.category, mask(m.text), mask(m.exception))


def _rounds(numbers: list[int]) -> str:
    numbers = sorted(set(numbers))
    if len(numbers) == 1:
        return f"round {numbers[0]}"
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"rounds {numbers[0]}-{numbers[-1]}"
    return "rounds " + ", ".join(map(str, numbers))


def _line(m: LibraryMessage) -> str:
    line = m.summary()
    if m.exception and SUBMIT_FAILED in m.exception:
        line += " (the refused submission: its output is in the timeline and the findings)"
    return line


def library_notes(said: list[tuple[int, LibraryMessage]], dropped: int = 0) -> list[str]:
    """One note per distinct message of `said` ((round, message) pairs, in order): `round 1
    (2 times): tornado.application logged an error: ...`."""
    groups: dict[tuple, list[tuple[int, LibraryMessage]]] = {}
    for number, message in said:
        groups.setdefault(_key(message), []).append((number, message))
    notes = []
    for group in list(groups.values())[:MAX_NOTES]:
        first = group[0][1]
        where = _rounds([n for n, _ in group])
        times = f", {len(group)} times, the first" if len(group) > 1 else ""
        notes.append(f"{where}{times}: {_line(first)}")
    more = sum(len(g) for g in list(groups.values())[MAX_NOTES:]) + dropped
    if more:
        notes.append(f"{more} more library message(s) not listed")
    return notes


class RoundMessages:
    """A run's library messages by round: `round_ended(n)` takes what the capture holds."""

    def __init__(self, capture=None) -> None:
        self.capture = capture  # a LibraryCapture, or None (nothing captured: nothing to say)
        self.said: list[tuple[int, LibraryMessage]] = []

    def round_ended(self, number: int) -> None:
        if self.capture is not None:
            self.said += [(number, m) for m in self.capture.drain()]

    def notes(self) -> list[str]:
        return library_notes(self.said, self.capture.dropped if self.capture else 0)
