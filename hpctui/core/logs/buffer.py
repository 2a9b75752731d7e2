"""The last N log lines of each followed file, in memory, bounded, with search.

The follower delivers lines as a stream; the UI's log pane and the diagnosis rules need "what
did worker 17 say recently" and "which lines mention `Timed out`". `LogBuffer` keeps a ring of
the last `per_key` lines for every key and at most `total` lines over all keys (the oldest
lines, whichever key they belong to, go first), so a flooding worker cannot push memory up.

It is thread-safe and appending is cheap, so a `LogFollower` callback may append to it directly
(`buffer.add_batch`) as its quick hand-off.
"""

from __future__ import annotations

import heapq
import re
import threading
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from bisect import bisect_right
from itertools import islice, repeat
from operator import itemgetter
from typing import NamedTuple

from hpctui.core.logs.lines import LogLines


_SEQ = itemgetter(0)  # the ring holds plain (seq, key, stream, text) tuples, see `add`


def _entries(rows) -> list["LogEntry"]:
    """Plain tuples from a ring as LogEntry (in C: no Python call per line)."""
    return list(map(tuple.__new__, repeat(LogEntry), rows))


class LogEntry(NamedTuple):  # a tuple: the buffer holds ~200k, made at ~200k a second
    """One buffered line; `seq` orders lines across keys by arrival."""

    seq: int
    key: Hashable
    stream: str
    text: str


def line_matcher(pattern: str, regex: bool = False) -> Callable[[str], bool]:
    """A case-insensitive test for `pattern` (a plain substring, or a regex if `regex`).

    A malformed regex raises ValueError naming the pattern and what is wrong with it.
    """
    if not isinstance(pattern, str):
        raise ValueError(f"search pattern must be a string, got {pattern!r}")
    if not regex:
        needle = pattern.casefold()
        return lambda text: needle in text.casefold()
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"search pattern {pattern!r} is not a valid regular expression: {exc}") from None
    return lambda text: compiled.search(text) is not None


def matching_indices(texts: Iterable[str], pattern: str, regex: bool = False) -> list[int]:
    """Indices of the texts that match `pattern` (see `line_matcher`)."""
    match = line_matcher(pattern, regex)
    return [i for i, text in enumerate(texts) if match(text)]


class LogBuffer:
    """Bounded in-memory log lines per key; see the module docstring."""

    def __init__(self, per_key: int = 5_000, total: int = 200_000) -> None:
        for name, value in (("per_key", per_key), ("total", total)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.per_key = per_key
        self.total = total
        self._lock = threading.Lock()
        # Plain tuples, not LogEntry: the garbage collector untracks a tuple of strings and
        # ints, never an instance of a tuple subclass, and 200,000 tracked objects made each
        # full collection stop every thread (the UI's too) for ~100 ms.
        self._by_key: dict[Hashable, deque[tuple]] = {}
        # For evicting the globally oldest line: one (first seq, key) per key, a min-heap.
        # A key's first seq only grows (its own cap pops its oldest), so an entry may be
        # behind the truth; it is corrected when it reaches the top. No scan of all lines
        # ever happens with the lock held: a reader (the UI thread) never waits long.
        self._oldest: list[tuple[int, int, Hashable]] = []  # (seq, tiebreak, key)
        self._count = 0
        self._seq = 0

    def add(self, key: Hashable, lines: Iterable[str], stream: str = "log") -> None:
        """Append lines of `key`, evicting the oldest beyond the caps."""
        lines = list(lines)
        n = len(lines)
        if not n:
            return
        with self._lock:  # only reserve the numbers: readers must not wait on the building
            first = self._seq + 1
            self._seq += n
        # All in C (no Python-level call per line): this runs ~200k times a second in a flood.
        entries = list(zip(range(first, first + n), repeat(key), repeat(stream), lines))
        if n > self.per_key:
            entries = entries[-self.per_key:]
        with self._lock:
            ring = self._by_key.get(key)
            if ring is None:
                ring = self._by_key[key] = deque(maxlen=self.per_key)
                heapq.heappush(self._oldest, (first, first, key))
            before = len(ring)
            late = before and ring[-1][0] > first  # another thread added to this key meanwhile
            ring.extend(entries)  # the ring's maxlen drops its oldest, in C
            self._count += len(ring) - before
            if late:
                ordered = sorted(ring)
                ring.clear()
                ring.extend(ordered)
            while self._count > self.total:
                self._evict_oldest()

    def add_batch(self, batch: Iterable[LogLines]) -> None:
        """Append a `LogFollower` batch (usable directly as, or inside, its callback)."""
        for item in batch:
            if item.lines:
                self.add(item.key, item.lines, item.stream)

    def _evict_oldest(self) -> None:
        """Drop the globally oldest lines until `total` is respected (lock held)."""
        heap = self._oldest
        while self._count > self.total and heap:
            seq, tie, key = heap[0]
            ring = self._by_key.get(key)
            if ring is None:  # cleared: its heap entry goes too
                heapq.heappop(heap)
                continue
            if ring[0][0] != seq:  # behind the truth: correct it and look again
                heapq.heapreplace(heap, (ring[0][0], tie, key))
                continue
            # Every other key's oldest line is at least the next heap entry's seq (entries
            # are lower bounds): this key's lines older than that all go in one run.
            bound = min((e[0] for e in heap[1:3]), default=self._seq + 1)
            # How many: a binary search over the ring's ascending seqs, then the drop in C.
            # A Python loop here, once per line at 200k lines a second, took most of the
            # delivery thread (and so of the GIL the UI needs).
            k = min(bisect_right(ring, bound, key=_SEQ), self._count - self.total)
            if k >= len(ring):
                ring.clear()
            elif k > 32:
                kept = list(islice(ring, k, None))
                ring.clear()
                ring.extend(kept)
            else:
                for _ in range(k):
                    ring.popleft()
            self._count -= k
            if ring:
                heapq.heapreplace(heap, (ring[0][0], tie, key))
            else:
                heapq.heappop(heap)
                del self._by_key[key]

    def __len__(self) -> int:
        with self._lock:
            return self._count

    def keys(self) -> list[Hashable]:
        """Keys with buffered lines, in the order they first appeared."""
        with self._lock:
            return list(self._by_key)

    def clear(self, key: Hashable | None = None) -> None:
        """Forget one key's lines, or everything."""
        with self._lock:
            if key is None:
                self._by_key.clear()
                self._oldest.clear()
                self._count = 0
            elif key in self._by_key:
                self._count -= len(self._by_key.pop(key))

    def lines(self, key: Hashable | None = None, stream: str | None = None) -> list[LogEntry]:
        """Buffered lines, oldest first: of one key, or of all keys in arrival order."""
        with self._lock:
            if key is not None:
                found = _entries(self._by_key.get(key, ()))
            else:
                found = _entries(heapq.merge(*self._by_key.values(), key=_SEQ))
        if stream is not None:
            found = [e for e in found if e.stream == stream]
        return found

    def since(self, key: Hashable, seq: int) -> list[LogEntry]:
        """Lines of `key` newer than `seq`, oldest first: what a view that drew up to `seq`
        still has to draw (costs the new lines, not the whole ring)."""
        with self._lock:
            ring = self._by_key.get(key)
            if not ring or ring[-1][0] <= seq:
                return []
            if ring[0][0] > seq:
                return _entries(ring)
            new = []
            for entry in reversed(ring):
                if entry[0] <= seq:
                    break
                new.append(entry)
        new.reverse()
        return _entries(new)

    def last(self, key: Hashable, n: int) -> list[str]:
        """The texts of the last `n` lines of `key`."""
        with self._lock:
            ring = self._by_key.get(key, ())
            return [e[3] for e in list(ring)[-n:]] if n > 0 else []

    def search(
        self,
        pattern: str,
        *,
        regex: bool = False,
        key: Hashable | None = None,
        stream: str | None = None,
        limit: int | None = None,
    ) -> list[LogEntry]:
        """Lines matching `pattern`, case-insensitive, oldest first; with `limit`, the newest
        `limit` of them."""
        match = line_matcher(pattern, regex)
        found = [e for e in self.lines(key, stream) if match(e.text)]
        if limit is not None:
            found = found[-limit:] if limit > 0 else []
        return found
