"""Turn one followed file's new bytes into lines: the follower's read, decode and split.

`LogFollower` (`follow.py`) decides when each file is looked at and what is reported about
it (notices, batches, errors); the functions here do the reading for one file's `Watched`
state and hand back plain lines:

- `start_at_end`: where a file followed `from_end` starts, and its last few lines;
- `read_round`: a bounded number of `os.pread` chunks from the read position, split into
  complete lines, the unfinished last line held in `Watched.pending` (at most `max_line`
  bytes of it, plus its length) until its newline arrives;
- `split_lines`: one chunk's complete lines as text, long ones capped.

They run on the follower thread, per file and per chunk, never per line: the per-line work is
one `decode` and one `split` of a whole chunk.
"""

from __future__ import annotations

import os

from hpctui.core.logs.lines import FollowerStats, Watched
from hpctui.core.logs.tail import cap_line, decode_line, tail_of_fd

# What a `read_round` found.
IDLE = 0  # no new bytes
CAUGHT_UP = 1  # new bytes, and the file's end was reached
BEHIND = 2  # every chunk of the round was full: more is waiting
TRUNCATED = 3  # the file is now shorter than the read position


def start_at_end(w: Watched, fd: int, max_line: int) -> tuple[list[str], int]:
    """Position `w` at the end of the file just opened on `fd` (following `from_end`).

    Returns its last `w.initial_lines` complete lines and the byte offset of the first of
    them, or `([], 0)` when none were asked for or there are none.
    """
    # One line more than asked: if the last one is still being written it is read as a
    # partial line instead, so it is delivered whole once its newline arrives.
    n = w.initial_lines
    tail = tail_of_fd(fd, w.path, n + 1, max_line)
    lines, starts = tail.lines, tail.starts
    w.offset = tail.end
    if not tail.complete_last and lines:
        w.offset = starts[-1]
        lines, starts = lines[:-1], starts[:-1]
    # Line numbers are known only when reading from the very first byte.
    w.line_no = 0 if w.offset == 0 else None
    if n and lines:
        return lines[-n:], starts[-n:][0]
    return [], 0


def read_round(w: Watched, now: float, chunk_bytes: int, chunks: int, max_line: int,
               stats: FollowerStats) -> tuple[list[str], int, int | None, int]:
    """Read up to `chunks` chunks of `w`'s file from `w.offset`; the complete lines in them.

    Returns `(lines, offset of the first, its line number or None, outcome)`, the outcome
    being IDLE, CAUGHT_UP, BEHIND or TRUNCATED. On TRUNCATED the lines are those read before
    the truncation was seen, and nothing about `w` is reset yet: the caller reports them and
    starts over. `w.line_no` is left for the caller to advance. `stats.bytes_read` is counted
    chunk by chunk, so it is right even when a read fails part-way through a round.
    """
    assert w.fd is not None
    out: list[str] = []
    out_offset = -1
    out_line = w.line_no
    outcome = IDLE
    for _ in range(chunks):
        data = os.pread(w.fd, chunk_bytes, w.offset)
        if not data:
            if os.fstat(w.fd).st_size < w.offset:
                return out, out_offset, out_line, TRUNCATED
            break
        outcome = CAUGHT_UP
        w.error = None  # readable again: a new failure will be reported
        chunk_offset = w.offset
        w.offset += len(data)
        stats.bytes_read += len(data)
        last_nl = data.rfind(b"\n")
        if last_nl < 0:
            hold(w, data, chunk_offset, now, max_line)
            continue
        if out_offset < 0:
            out_offset = w.pending_offset if w.pending_total else chunk_offset
        body_start = 0
        if w.pending_total:
            first_nl = data.find(b"\n")
            piece = data[:first_nl]
            room = max(0, max_line - len(w.pending))
            out.append(cap_line(bytes(w.pending) + piece[:room], w.pending_total + len(piece)))
            clear_pending(w)
            body_start = first_nl + 1
        if body_start <= last_nl:
            out.extend(split_lines(data[body_start:last_nl], max_line, chunk_bytes))
        rest = data[last_nl + 1:]
        if rest:
            hold(w, rest, chunk_offset + last_nl + 1, now, max_line)
    else:
        outcome = BEHIND
    return out, out_offset, out_line, outcome


def split_lines(body: bytes, max_line: int, chunk_bytes: int) -> list[str]:
    """Complete lines (no final newline in `body`) as text, long ones capped."""
    if len(body) <= max_line or max_line >= chunk_bytes:
        # No line in `body` can exceed the cap: decode once, split once (the fast path;
        # a newline byte is never part of a multi-byte UTF-8 sequence, so this is exact).
        text = body.decode("utf-8", errors="replace")
        parts = text.split("\n")
        if "\r" in text:
            parts = [p[:-1] if p.endswith("\r") else p for p in parts]
        return parts
    return [
        cap_line(p[:max_line], len(p)) if len(p) > max_line else decode_line(p)
        for p in body.split(b"\n")
    ]


def hold(w: Watched, piece: bytes, offset: int, now: float, max_line: int) -> None:
    """Keep `piece` (found at `offset`) as part of `w`'s unfinished last line."""
    if not w.pending_total:
        w.pending_offset = offset
        w.pending_since = now
    room = max_line - len(w.pending)
    if room > 0:
        w.pending += piece[:room]
    w.pending_total += len(piece)


def clear_pending(w: Watched) -> None:
    """Forget `w`'s unfinished line (delivered, or gone with a truncation)."""
    w.pending = bytearray()
    w.pending_total = 0
