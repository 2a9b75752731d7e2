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
from dataclasses import dataclass

from hpctui.core.logfollow import LogLines


@dataclass(frozen=True, slots=True)  # slots: the buffer holds ~200k of these
class LogEntry:
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
        self._by_key: dict[Hashable, deque[LogEntry]] = {}
        # Arrival order over all keys, for evicting the globally oldest line. Lines already
        # evicted by their key's own cap leave stale entries here, skipped and compacted away.
        self._order: deque[tuple[int, Hashable]] = deque()
        self._count = 0
        self._seq = 0

    def add(self, key: Hashable, lines: Iterable[str], stream: str = "log") -> None:
        """Append lines of `key`, evicting the oldest beyond the caps."""
        with self._lock:
            ring = self._by_key.get(key)
            if ring is None:
                ring = self._by_key[key] = deque()
            for text in lines:
                self._seq += 1
                ring.append(LogEntry(self._seq, key, stream, text))
                self._order.append((self._seq, key))
                self._count += 1
                if len(ring) > self.per_key:
                    ring.popleft()
                    self._count -= 1
            while self._count > self.total:
                self._evict_oldest()
            if len(self._order) > 2 * self.total + self.per_key:
                self._compact()

    def add_batch(self, batch: Iterable[LogLines]) -> None:
        """Append a `LogFollower` batch (usable directly as, or inside, its callback)."""
        for item in batch:
            if item.lines:
                self.add(item.key, item.lines, item.stream)

    def _evict_oldest(self) -> None:
        while self._order:
            seq, key = self._order.popleft()
            ring = self._by_key.get(key)
            if ring and ring[0].seq == seq:
                ring.popleft()
                self._count -= 1
                if not ring:
                    del self._by_key[key]
                return

    def _compact(self) -> None:
        entries = heapq.merge(*self._by_key.values(), key=lambda e: e.seq)
        self._order = deque((e.seq, e.key) for e in entries)

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
                self._order.clear()
                self._count = 0
            elif key in self._by_key:
                self._count -= len(self._by_key.pop(key))

    def lines(self, key: Hashable | None = None, stream: str | None = None) -> list[LogEntry]:
        """Buffered lines, oldest first: of one key, or of all keys in arrival order."""
        with self._lock:
            if key is not None:
                found = list(self._by_key.get(key, ()))
            else:
                found = list(heapq.merge(*self._by_key.values(), key=lambda e: e.seq))
        if stream is not None:
            found = [e for e in found if e.stream == stream]
        return found

    def last(self, key: Hashable, n: int) -> list[str]:
        """The texts of the last `n` lines of `key`."""
        with self._lock:
            ring = self._by_key.get(key, ())
            return [e.text for e in list(ring)[-n:]] if n > 0 else []

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
