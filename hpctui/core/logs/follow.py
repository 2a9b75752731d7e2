"""Follow many log files (500+) from one background thread, delivering new lines in batches.

Worker stdout/stderr files are written by batch jobs on other nodes (over a shared file system)
and appear late, get truncated (`> file`), rotated (renamed and recreated), end in half-written
lines, contain invalid UTF-8, and sometimes hold a single 10 MB line. `LogFollower` copes with
all of it while keeping memory bounded whatever the log size:

- one thread for all files (not a thread or an inotify watch per file: inotify does not see
  writes made by other NFS clients, which is exactly where batch jobs write);
- reads with `os.pread` in 64 KiB chunks, a bounded number of chunks per file per round so a
  flooding file cannot starve the others; sleeps ~50 ms when nothing changed (toolong's figures);
- a partial line is held (at most `max_line_bytes` of it, plus its length) until its newline
  arrives, or delivered as it is after `partial_flush_s`;
- lines are delivered through `on_lines(batch)`, a batch holding at most `max_batch_lines`
  lines, so the follower never accumulates more than one batch.

Known limit: a file truncated and then written past the old read position between two looks
(50-250 ms apart) cannot be told from one that grew; its new start is skipped. Growth is all
that `stat` can show, and toolong has the same limit.

The callback runs ON THE FOLLOWER THREAD and the follower waits for it: the consumer must hand
the batch off quickly (put it on a queue, `call_from_thread`, replace a pending update), not
render or diagnose in it. A slow callback slows following down; it never makes memory grow.

This module is the thread, its scheduling and what it reports (notices, batches, errors). The
types it delivers are in `lines.py`; reading one file's new bytes into lines is `reading.py`.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable

from hpctui.core.logs.lines import FileNotice, FollowerStats, LogLines, Watched, stream_of
from hpctui.core.logs.reading import (
    BEHIND,
    IDLE,
    TRUNCATED,
    clear_pending,
    read_round,
    start_at_end,
)
from hpctui.core.logs.tail import CHUNK_BYTES, MAX_LINE_BYTES, cap_line

log = logging.getLogger(__name__)


class LogFollower:
    """Follows many files from one background thread; see the module docstring.

    `follow`, `unfollow` and `close` may be called from any thread and return at once.
    """

    def __init__(
        self,
        on_lines: Callable[[list[LogLines]], None],
        *,
        idle_sleep_s: float = 0.05,
        max_line_bytes: int = MAX_LINE_BYTES,
        max_batch_lines: int = 10_000,
        chunks_per_round: int = 4,
        partial_flush_s: float = 1.0,
        path_check_s: float = 0.25,
        quiet_after_s: float = 2.0,
        quiet_poll_s: float = 0.25,
        chunk_bytes: int = CHUNK_BYTES,
        min_round_s: float = 0.1,
    ) -> None:
        for name, value in (("idle_sleep_s", idle_sleep_s), ("partial_flush_s", partial_flush_s),
                            ("min_round_s", min_round_s),
                            ("path_check_s", path_check_s), ("quiet_after_s", quiet_after_s),
                            ("quiet_poll_s", quiet_poll_s)):
            if not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        for name, value in (("max_line_bytes", max_line_bytes),
                            ("max_batch_lines", max_batch_lines),
                            ("chunks_per_round", chunks_per_round),
                            ("chunk_bytes", chunk_bytes)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self._on_lines = on_lines
        self._idle_sleep_s = idle_sleep_s
        self._max_line = max_line_bytes
        self._max_batch_lines = max_batch_lines
        self._chunks_per_round = chunks_per_round
        self._chunk = chunk_bytes
        self._partial_flush_s = partial_flush_s
        self._path_check_s = path_check_s
        self._quiet_after_s = quiet_after_s
        self._quiet_poll_s = quiet_poll_s
        # A busy round starts at most this often, unless a file is behind (its round's chunks
        # all full). Back-to-back rounds in a flood of small writes would re-read every file
        # for a few lines each and hold the GIL the UI thread needs; a pause reads more per
        # call instead, and costs lines at most this much delay.
        self._min_round_s = min_round_s
        self._behind = False  # a file still had data after its round's chunks
        self.stats = FollowerStats()
        self.crashed: BaseException | None = None  # set if the thread died of a bug

        self._lock = threading.Lock()
        self._keys: set[Hashable] = set()  # caller-side view, so `follow` can refuse duplicates
        self._commands: deque[tuple[str, object]] = deque()
        self._wake = threading.Event()
        self._stopping = False
        self._closed = False

        self._files: dict[Hashable, Watched] = {}  # follower thread only
        self._batch: list[LogLines] = []
        self._batch_lines = 0
        self._thread = threading.Thread(target=self._run, name="hpctui-log-follower", daemon=True)
        self._thread.start()

    # ----------------------------------------------------------------- caller side

    def follow(
        self,
        path: str | os.PathLike,
        key: Hashable,
        *,
        stream: str | None = None,
        from_end: bool = True,
        initial_lines: int = 0,
        new: bool = False,
    ) -> None:
        """Start following `path` under `key` (any hashable, unique among followed files).

        `from_end=True`: only lines written from now on, preceded by the last `initial_lines`
        lines already there. `from_end=False`: the whole file from its first byte. A file that
        does not exist yet is waited for and read from its first byte when it appears, after
        an APPEARED notice.

        `new=True`: the file is written by something that has just started (a job just
        submitted): it is read from its first byte after an APPEARED notice, whether it
        appears later or is already there (`from_end` and `initial_lines` do not apply). Use
        it for such files: whether one exists when the follower thread first looks at it is a
        race with the job, which a busy machine loses, and the notice must not depend on it.
        """
        if not isinstance(initial_lines, int) or initial_lines < 0:
            raise ValueError(f"initial_lines must be a non-negative integer, got {initial_lines!r}")
        if new and initial_lines:
            raise ValueError("initial_lines applies to files followed from their end, "
                             "not to new ones (read whole)")
        path = os.fspath(path)
        watched = Watched(key=key, path=path, stream=stream or stream_of(path),
                          from_end=from_end, initial_lines=initial_lines, new=new)
        with self._lock:
            if self._closed:
                raise RuntimeError("LogFollower is closed")
            if key in self._keys:
                raise ValueError(f"already following key {key!r}; unfollow it first")
            self._keys.add(key)
            self._commands.append(("follow", watched))
        self._wake.set()

    def unfollow(self, key: Hashable) -> None:
        """Stop following `key`. Lines read before this call may still be delivered once."""
        with self._lock:
            if key not in self._keys:
                raise KeyError(f"not following key {key!r}")
            self._keys.discard(key)
            self._commands.append(("unfollow", key))
        self._wake.set()

    def following(self) -> set[Hashable]:
        """Keys currently followed."""
        with self._lock:
            return set(self._keys)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread and close every file. Idempotent."""
        with self._lock:
            self._closed = True
            self._stopping = True
        self._wake.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def __enter__(self) -> "LogFollower":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- follower thread

    def _run(self) -> None:
        try:
            while True:
                with self._lock:
                    if self._stopping:
                        break
                    commands = list(self._commands)
                    self._commands.clear()
                for kind, arg in commands:
                    if kind == "follow":
                        self._start(arg)  # type: ignore[arg-type]
                    else:
                        self._stop(arg)
                busy = False
                self._behind = False
                now = time.monotonic()
                started = now
                for w in list(self._files.values()):
                    busy |= self._poll(w, now)
                    if self._batch_lines >= self._max_batch_lines:
                        self._flush()
                self._flush()
                self.stats.rounds += 1
                if not busy:
                    self._wake.wait(self._idle_sleep_s)
                    self._wake.clear()
                elif not self._behind:  # a file with a backlog is read on at once
                    rest = self._min_round_s - (time.monotonic() - started)
                    if rest > 0:
                        time.sleep(rest)
        except BaseException as exc:
            # A bug here would otherwise end log following silently.
            self.crashed = exc
            log.exception("LogFollower thread crashed; no more log lines will be delivered")
            raise
        finally:
            for w in self._files.values():
                self._close_fd(w)
            self._files.clear()

    def _start(self, w: Watched) -> None:
        self._files[w.key] = w
        if not self._open(w, time.monotonic()):
            w.new = True  # it appears later: read whole, announced

    def _stop(self, key: Hashable) -> None:
        w = self._files.pop(key, None)
        if w is not None:
            self._close_fd(w)

    def _close_fd(self, w: Watched) -> None:
        if w.fd is not None:
            os.close(w.fd)
            w.fd = None

    def _emit(self, w: Watched, lines: list[str], offset: int, notice: FileNotice | None = None,
              first_line: int | None = None) -> None:
        self._batch.append(LogLines(w.key, w.path, w.stream, lines, offset, first_line, notice))
        self._batch_lines += len(lines)
        self.stats.lines += len(lines)

    def _flush(self) -> None:
        if not self._batch:
            return
        batch, self._batch, self._batch_lines = self._batch, [], 0
        self.stats.batches += 1
        try:
            self._on_lines(batch)
        except Exception:
            # A consumer bug must not stop log following for every other file; it is logged
            # with its traceback so it is not silent.
            log.exception("LogFollower on_lines callback failed")

    def _unreadable(self, w: Watched, exc: OSError, now: float) -> None:
        reason = f"{w.path}: {exc.strerror or exc}"
        if exc.errno == errno.EMFILE:
            reason += " (too many open files: raise `ulimit -n` or follow fewer files)"
        if reason != w.error:
            w.error = reason
            self._emit(w, [reason], w.offset, FileNotice.UNREADABLE)
        w.next_open_try = now + max(1.0, self._path_check_s)

    def _open(self, w: Watched, now: float) -> bool:
        """Open the file at w.path and position on it; False when it does not exist (yet)."""
        if now < w.next_open_try:
            return False
        try:
            fd = os.open(w.path, os.O_RDONLY)
        except FileNotFoundError:
            w.next_open_try = now + self._path_check_s
            return False
        except OSError as exc:
            self._unreadable(w, exc, now)
            return False
        st = os.fstat(fd)
        w.fd, w.ident = fd, (st.st_dev, st.st_ino)
        w.next_path_check = now + self._path_check_s
        first_open = not w.opened_once
        w.opened_once = True
        if first_open and w.from_end and not w.new:
            lines, first = start_at_end(w, fd, self._max_line)
            if lines:
                self._emit(w, lines, first)
        else:
            w.offset = 0
            w.line_no = 0
            if first_open and w.new:
                self._emit(w, [], 0, FileNotice.APPEARED, first_line=0)
        return True

    def _poll(self, w: Watched, now: float) -> bool:
        """One round for one file, if it is due; True when it delivered or read anything.

        A file quiet for `quiet_after_s` is looked at every `quiet_poll_s` instead of every
        round: most worker logs are silent most of the time, and 500 of them polled every
        50 ms would cost a few percent of a CPU for nothing.
        """
        if now < w.next_poll:
            return False
        busy = self._poll_now(w, now)
        if busy:
            w.last_active = now
        quiet = now - w.last_active >= self._quiet_after_s
        w.next_poll = now + self._quiet_poll_s if quiet else 0.0
        return busy

    def _poll_now(self, w: Watched, now: float) -> bool:
        if w.fd is None:
            return self._open(w, now)
        if now >= w.next_path_check:
            w.next_path_check = now + self._path_check_s
            try:
                st = os.stat(w.path)
                w.replaced = (st.st_dev, st.st_ino) != w.ident
            except FileNotFoundError:
                pass  # removed but not yet recreated: keep reading what we have open
            except OSError as exc:
                self._unreadable(w, exc, now)
        try:
            busy = self._read(w, now)
        except OSError as exc:
            self._unreadable(w, exc, now)
            self._close_fd(w)
            return True
        if not busy and w.replaced:
            # The old file is drained: what is left of its last line, then the new file.
            self._flush_partial(w)
            self._close_fd(w)
            w.replaced = False
            self._emit(w, [], 0, FileNotice.ROTATED, first_line=0)
            self._open(w, now)
            return True
        return busy

    def _read(self, w: Watched, now: float) -> bool:
        """One round of reads of one file; True when it delivered or read anything."""
        out, out_offset, out_line, outcome = read_round(
            w, now, self._chunk, self._chunks_per_round, self._max_line, self.stats)
        if outcome == TRUNCATED:
            self._truncated(w, out, out_offset, out_line)
            return True
        if outcome == BEHIND:
            self._behind = True
        if out:
            self._emit(w, out, out_offset, first_line=out_line)
            if w.line_no is not None:
                w.line_no += len(out)
        if outcome == IDLE and w.pending_total and now - w.pending_since >= self._partial_flush_s:
            self._flush_partial(w)
            return True
        return outcome != IDLE

    def _flush_partial(self, w: Watched) -> None:
        if not w.pending_total:
            return
        self._emit(w, [cap_line(bytes(w.pending), w.pending_total)], w.pending_offset,
                   first_line=w.line_no)
        clear_pending(w)
        # The rest of that line, when it comes, is delivered as a line of its own, so line
        # numbers no longer match the file's.
        w.line_no = None

    def _truncated(self, w: Watched, out: list[str], out_offset: int,
                   out_line: int | None) -> None:
        if out:
            self._emit(w, out, out_offset, first_line=out_line)
        clear_pending(w)
        w.offset = 0
        w.line_no = 0
        self._emit(w, [], 0, FileNotice.TRUNCATED, first_line=0)
