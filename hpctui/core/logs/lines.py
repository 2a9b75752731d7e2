"""What the log follower delivers, and the state it keeps for each followed file.

`LogLines` (with its `FileNotice`) is the one shape in which followed lines reach consumers:
the log buffer, the UI and the benchmarks import it from here without pulling in the
follower's thread. `FollowerStats` are the follower's running totals. `Watched` is the
per-file state that `follow.py` schedules and `reading.py` reads through; it lives here so
that both can use it without importing each other.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from enum import Enum


class FileNotice(str, Enum):
    """Something that happened to a followed file, other than new lines."""

    APPEARED = "appeared"  # new (declared so, or missing when followed); read from its first byte
    TRUNCATED = "truncated"  # got shorter: read again from byte 0
    ROTATED = "rotated"  # the path now names another file: old one read to its end, new one from 0
    UNREADABLE = "unreadable"  # could not be opened or read; `lines` holds the reason; retried


@dataclass(frozen=True)
class LogLines:
    """New lines of one followed file.

    `offset` is the byte offset in the file where the first line starts. `first_line` is that
    line's 0-based number in the file when known (following from the start, or after a
    truncation or rotation), else None (following from the end). `notice` says that something
    happened to the file before these lines (they may then be empty).
    """

    key: Hashable
    path: str
    stream: str
    lines: list[str]
    offset: int
    first_line: int | None = None
    notice: FileNotice | None = None


@dataclass
class FollowerStats:
    """Running totals, for benchmarks and the UI's status line."""

    lines: int = 0
    bytes_read: int = 0
    batches: int = 0
    rounds: int = 0


def stream_of(path: str) -> str:
    """The stream a log file holds, from its name: `.err` -> stderr, `.out` -> stdout."""
    if path.endswith(".err"):
        return "stderr"
    if path.endswith(".out"):
        return "stdout"
    return "log"


@dataclass
class Watched:
    """The follower thread's state for one file. Touched only by that thread.

    Internal to the follower (`follow.py` and `reading.py`); consumers never see it.
    """

    key: Hashable
    path: str
    stream: str
    from_end: bool
    initial_lines: int
    fd: int | None = None
    ident: tuple[int, int] | None = None  # (st_dev, st_ino) of the open file
    offset: int = 0  # next byte to read
    line_no: int | None = None  # number of the next complete line, when known
    # Read from byte 0 after an APPEARED notice: declared new by the caller, or missing when
    # the follower first looked.
    new: bool = False
    opened_once: bool = False
    pending: bytearray = field(default_factory=bytearray)  # head of the unfinished line
    pending_total: int = 0  # its full length so far (bytes beyond the cap are dropped)
    pending_offset: int = 0
    pending_since: float = 0.0
    next_path_check: float = 0.0
    replaced: bool = False  # the path names a new file: switch once the old one is drained
    next_open_try: float = 0.0
    next_poll: float = 0.0
    last_active: float = 0.0
    error: str | None = None  # last UNREADABLE reason, so it is reported once
