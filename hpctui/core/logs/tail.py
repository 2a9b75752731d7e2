"""Open a log file of any size at its end: the last N lines, found by scanning backwards.

A worker log can be gigabytes (a worker stuck in a retry loop writes one line per second for
days). Reading it from the start to show the last screenful would take seconds and the memory
of the whole file, so, as toolong does, this reads fixed-size blocks backwards from the end
with `os.pread` and counts line breaks until it has enough lines. Only the bytes of those lines
are ever read.

`pread` rather than `mmap`: a log that is truncated while it is mapped makes the next access of
a page past the new end raise SIGBUS, which kills the whole process; `pread` just returns fewer
bytes.

Lines are decoded as UTF-8 with invalid bytes replaced, and a line longer than `max_line_bytes`
(a 10 MB JSON blob, a progress bar without newlines) is delivered cut, with a marker saying how
long it was, never stored whole. `cap_line` is shared with the follower (`hpctui/core/logs/follow.py`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Block size of the backward scan and of the follower's reads: big enough that one syscall
# covers hundreds of ordinary log lines, small enough to stay in cache.
CHUNK_BYTES = 64 * 1024

# Longest line kept whole. Longer lines keep their first MAX_LINE_BYTES (where a log line's
# timestamp, level and message are) and get a marker.
MAX_LINE_BYTES = 64 * 1024

# How far back the tail scan looks for the start of a line before giving up and showing the
# line from there: a 1 GB file without a single newline must not be read whole either.
MAX_SCAN_BYTES = 32 * 1024 * 1024

TRUNCATED_MARKER = " … [line truncated: {total} bytes]"
CONTINUED_MARKER = "[… line began before byte {offset}] "


@dataclass(frozen=True)
class Tail:
    """The last lines of a file, and where they sit in it.

    `start` is the byte offset of the first returned line; `end` is the file size the scan
    saw, so a follower can go on reading from `end` without missing or repeating a byte.
    `complete_last` is False when the file did not end with a newline (the last line may
    still be growing). `starts[i]` is the byte offset where `lines[i]` begins.
    """

    path: str
    lines: list[str]
    start: int
    end: int
    complete_last: bool
    starts: list[int]


def decode_line(raw: bytes) -> str:
    """One line's bytes (without its newline) as text: UTF-8, invalid bytes replaced, no CR."""
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    return raw.decode("utf-8", errors="replace")


def cap_line(head: bytes, total: int) -> str:
    """Text of a line of `total` bytes of which `head` (at most MAX_LINE_BYTES) was kept."""
    text = decode_line(head)
    if total > len(head):
        text += TRUNCATED_MARKER.format(total=total)
    return text


def _check_args(n_lines: int, max_line_bytes: int) -> None:
    if not isinstance(n_lines, int) or n_lines < 0:
        raise ValueError(f"n_lines must be a non-negative integer, got {n_lines!r}")
    if not isinstance(max_line_bytes, int) or max_line_bytes < 1:
        raise ValueError(f"max_line_bytes must be a positive integer, got {max_line_bytes!r}")


def _line_starts(fd: int, size: int, n_lines: int, max_scan: int) -> tuple[list[int], bool]:
    """Offsets where the last `n_lines` lines of the file begin, oldest first.

    Returns (starts, reached_start): `reached_start` is False when the scan stopped after
    `max_scan` bytes without finding the beginning of the oldest line.
    """
    end = size
    # A final newline ends the last line; it does not start an empty one.
    if size and os.pread(fd, 1, size - 1) == b"\n":
        end = size - 1
    starts: list[int] = []
    pos = end
    floor = max(0, end - max_scan)
    while pos > floor and len(starts) < n_lines:
        lo = max(floor, pos - CHUNK_BYTES)
        block = os.pread(fd, pos - lo, lo)
        if len(block) < pos - lo:
            # The file shrank under us: what we have is the tail of a file that no longer
            # exists in that form. Report what was found; a follower will see the truncation.
            break
        hi = len(block)
        while len(starts) < n_lines:
            nl = block.rfind(b"\n", 0, hi)
            if nl < 0:
                break
            starts.append(lo + nl + 1)
            hi = nl
        pos = lo
    reached = True
    if len(starts) < n_lines:
        if pos <= 0:
            starts.append(0)  # the first line of the file has no newline before it
        elif pos < end:
            starts.append(pos)  # scan budget spent: show the line from where we stopped
            reached = False
    starts.reverse()
    return starts[-n_lines:] if n_lines else [], reached


def read_tail_lines(
    path: str | os.PathLike,
    n_lines: int = 100,
    max_line_bytes: int = MAX_LINE_BYTES,
    max_scan_bytes: int = MAX_SCAN_BYTES,
) -> Tail:
    """The last `n_lines` lines of `path`, with their offsets (see `Tail`).

    Raises FileNotFoundError / PermissionError from the open, with the path in the message.
    """
    _check_args(n_lines, max_line_bytes)
    path = os.fspath(path)
    fd = os.open(path, os.O_RDONLY)
    try:
        return tail_of_fd(fd, path, n_lines, max_line_bytes, max_scan_bytes)
    finally:
        os.close(fd)


def tail_of_fd(
    fd: int,
    path: str,
    n_lines: int,
    max_line_bytes: int = MAX_LINE_BYTES,
    max_scan_bytes: int = MAX_SCAN_BYTES,
) -> Tail:
    """`read_tail_lines` on a file the caller has open (the follower keeps its descriptor)."""
    size = os.fstat(fd).st_size
    if n_lines == 0 or size == 0:
        return Tail(path, [], size, size, True, [])
    starts, reached = _line_starts(fd, size, n_lines, max_scan_bytes)
    if not starts:
        return Tail(path, [], size, size, True, [])
    complete_last = os.pread(fd, 1, size - 1) == b"\n"
    lines: list[str] = []
    bounds = starts + [size]
    for i, start in enumerate(starts):
        stop = bounds[i + 1]
        # Every line but the last ends with the newline that starts the next one.
        length = stop - start - (1 if (i + 1 < len(starts) or complete_last) else 0)
        head = os.pread(fd, min(length, max_line_bytes), start)
        text = cap_line(head, length)
        if i == 0 and not reached:
            text = CONTINUED_MARKER.format(offset=start) + text
        lines.append(text)
    return Tail(path, lines, starts[0], size, complete_last, starts)


def read_tail(
    path: str | os.PathLike,
    n_lines: int = 100,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> list[str]:
    """The last `n_lines` lines of the file at `path`, as text, oldest first.

    Fast whatever the file size: only the returned lines' bytes are read. Lines longer than
    `max_line_bytes` are cut and marked; invalid UTF-8 is replaced; a trailing line without
    its newline is included.
    """
    return read_tail_lines(Path(path), n_lines, max_line_bytes).lines
