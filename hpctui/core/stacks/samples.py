"""Reading the sampler's stack files and what they say: current stack, hottest stacks, "stuck".

The files are written by ``hpctui/on_node/sampler.py`` (format in its docstring): one file per
sampled process, ``<host>-<pid>.stacks`` (plus ``.stacks.1`` after a rotation). This module
parses them incrementally (a pane polls many files once a second, so only the new bytes are
read), folds stacks for flame/icicle views, counts the hottest stacks over a time window and
finds a process that has sat on the same innermost frames for more than N seconds, leaving
out a process that is merely idle in its event loop.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

SUFFIX = ".stacks"

# Where a path's interesting part starts: after site-packages/ or the standard library dir.
_PATH_TAIL = re.compile(r".*?(?:site-packages|dist-packages)/|.*?/lib/python\d+\.\d+/")


@dataclass(frozen=True)
class Frame:
    """One frame of a stack: the file, the function and the line being run."""

    filename: str
    function: str
    line: int

    @property
    def short_file(self) -> str:
        """The file name from the package on (``distributed/diskutils.py``), or as written."""
        return _PATH_TAIL.sub("", self.filename, count=1)

    def short(self) -> str:
        """``distributed/diskutils.py:__init__:62``: what views show and folds use."""
        return f"{self.short_file}:{self.function}:{self.line}"

    @classmethod
    def parse(cls, text: str) -> "Frame":
        """The inverse of the sampler's ``<file>:<function>:<line>`` (file names may hold colons)."""
        filename, function, line = text.rsplit(":", 2)
        return cls(filename, function, int(line))


Stack = tuple  # tuple[Frame, ...], outermost frame first


@dataclass(frozen=True)
class Sample:
    """The sampled thread's stack at one moment (unix time)."""

    time: float
    stack: tuple[Frame, ...]

    @property
    def innermost(self) -> Frame | None:
        return self.stack[-1] if self.stack else None


@dataclass
class SampleFile:
    """Everything read so far from one process's stack file."""

    path: Path
    host: str = ""
    pid: int = 0
    ppid: int = 0
    rate: float = 0.0
    argv: list[str] = field(default_factory=list)
    started: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    # Why the sampler stopped ("exit", "stopped"), None while it runs or if it was killed.
    ended: str | None = None
    end_time: float | None = None
    # Lines that could not be read, each as "<path>:<line number>: <why>".
    problems: list[str] = field(default_factory=list)

    @property
    def is_spawned_child(self) -> bool:
        """True for a multiprocessing child (the Nanny's real worker), from its command line."""
        return "--multiprocessing-fork" in self.argv

    @property
    def label(self) -> str:
        """``host pid`` plus ``(worker)`` or ``(nanny/main)``: how lists name the process."""
        role = "worker process" if self.is_spawned_child else "main process"
        return f"{self.host} {self.pid} ({role})"


class SampleFileReader:
    """Reads one stack file incrementally: ``update()`` parses only what was appended.

    A rotation (the file got smaller or was replaced) starts over at the new file's top; the
    rotated-out ``.1`` file is read once, first, when it exists at the first update.
    """

    def __init__(self, path: str | os.PathLike, max_samples: int = 100_000):
        self.path = Path(path)
        self.file = SampleFile(self.path)
        self.max_samples = max_samples
        self._offset = 0
        self._inode: int | None = None
        self._stacks: dict[str, tuple[Frame, ...]] = {}
        self._first = True
        self._line_no = 0

    def update(self) -> list[Sample]:
        """Parse new complete lines; return the samples they added."""
        new: list[Sample] = []
        if self._first:
            self._first = False
            old = Path(str(self.path) + ".1")
            if old.exists():
                self._parse(old.read_bytes(), new, old)
                self._stacks = {}
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return new
        if self._inode is not None and (st.st_ino != self._inode or st.st_size < self._offset):
            # Rotated: the old content is in ".1" and already read; start the new file afresh.
            self._offset = 0
            self._stacks = {}
            self._line_no = 0
        self._inode = st.st_ino
        if st.st_size > self._offset:
            with open(self.path, "rb") as f:
                f.seek(self._offset)
                data = f.read(st.st_size - self._offset)
            # Only complete lines: the sampler may be half way through a write.
            cut = data.rfind(b"\n") + 1
            self._offset += cut
            self._parse(data[:cut], new, self.path)
        samples = self.file.samples
        samples.extend(new)
        if len(samples) > self.max_samples:
            del samples[: len(samples) - self.max_samples]
        return new

    def _parse(self, data: bytes, new: list[Sample], path: Path) -> None:
        for raw in data.decode("utf-8", "replace").splitlines():
            self._line_no += 1
            if not raw:
                continue
            kind, _, rest = raw.partition(" ")
            try:
                if kind == "T":
                    t, sid = rest.split(" ")
                    new.append(Sample(float(t), self._stacks[sid]))
                elif kind == "S":
                    sid, _, text = rest.partition(" ")
                    self._stacks[sid] = tuple(Frame.parse(x) for x in text.split(";")) if text else ()
                elif kind == "H":
                    self._header(json.loads(rest))
                elif kind == "E":
                    end = json.loads(rest)
                    if end.get("reason") != "rotated":
                        self.file.ended = str(end.get("reason"))
                        self.file.end_time = float(end.get("time", 0.0))
                else:
                    raise ValueError(f"unknown record {kind!r}")
            except (ValueError, KeyError) as e:
                self.file.problems.append(f"{path}:{self._line_no}: {e}")

    def _header(self, h: dict) -> None:
        f = self.file
        if f.started:
            # A header after a rotation: same process, nothing new to learn.
            return
        f.host, f.pid, f.ppid = str(h["host"]), int(h["pid"]), int(h.get("ppid", 0))
        f.rate, f.argv, f.started = float(h["rate"]), list(h.get("argv", [])), float(h["started"])


def read_sample_file(path: str | os.PathLike) -> SampleFile:
    """Read a whole stack file (with its rotated ``.1`` predecessor)."""
    reader = SampleFileReader(path)
    reader.update()
    return reader.file


def sample_files(directory: str | os.PathLike) -> list[Path]:
    """The stack files in a directory (log directory or sampler output dir), sorted by name."""
    d = Path(directory)
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if p.name.endswith(SUFFIX))


def fold(stack: tuple[Frame, ...]) -> str:
    """Brendan Gregg's folded form, outermost first: ``a.py:f:1;b.py:g:2``."""
    return ";".join(fr.short() for fr in stack)


@dataclass(frozen=True)
class HotStack:
    """A stack and how many of the window's samples had it."""

    stack: tuple[Frame, ...]
    count: int
    share: float  # count / samples in the window

    @property
    def folded(self) -> str:
        return fold(self.stack)


def window_samples(samples: list[Sample], window: float | None, now: float | None = None) -> list[Sample]:
    """The samples of the last ``window`` seconds before ``now`` (default: the last sample)."""
    if not samples or window is None:
        return list(samples)
    end = samples[-1].time if now is None else now
    start = end - window
    # Samples are in time order: scan back from the end.
    i = len(samples)
    while i > 0 and samples[i - 1].time >= start:
        i -= 1
    return [s for s in samples[i:] if s.time <= end]


def hottest(samples: list[Sample], window: float | None = None, now: float | None = None,
            top: int = 10) -> list[HotStack]:
    """The most frequent whole stacks over the window, most frequent first."""
    chosen = window_samples(samples, window, now)
    counts = Counter(s.stack for s in chosen)
    total = len(chosen)
    return [HotStack(stack, n, n / total) for stack, n in counts.most_common(top)]


def folded_counts(samples: list[Sample], window: float | None = None,
                  now: float | None = None) -> dict[str, int]:
    """``{folded stack: count}`` over the window: the input of a flame graph or icicle view."""
    return dict(Counter(fold(s.stack) for s in window_samples(samples, window, now)))


# Innermost frames that mean "waiting for something to do", not "stuck": an event loop
# polling its sockets. A worker that has connected and is idle sits there for ever, which
# is healthy. (A main thread parked in threading's wait is *not* idle: it waits for
# something specific, and that can be the hang.)
_IDLE = (
    ("selectors.py", "select"),
    ("selectors.py", "poll"),
)


def is_idle(stack: tuple[Frame, ...]) -> bool:
    """True when the innermost frame is an event loop or thread waiting for work."""
    if not stack:
        return True
    inner = stack[-1]
    return any(inner.filename.endswith(f) and inner.function == fn for f, fn in _IDLE)


@dataclass(frozen=True)
class Stuck:
    """The process has been on the same innermost frames for ``seconds`` up to the last sample."""

    since: float
    until: float
    count: int
    frames: tuple[Frame, ...]  # the shared innermost frames, outermost first
    sample: Sample  # the latest sample: its whole stack is what views show

    @property
    def seconds(self) -> float:
        return self.until - self.since


def _tail(stack: tuple[Frame, ...], depth: int) -> tuple[Frame, ...]:
    return stack[-depth:] if depth else stack


def stuck(samples: list[Sample], min_seconds: float, depth: int = 3,
          now: float | None = None) -> Stuck | None:
    """The trailing run of samples with the same ``depth`` innermost frames, if it lasted
    at least ``min_seconds`` and is not idle; else None.

    ``now`` (when given) extends the run to the present: a process whose last samples
    are that old and still the same counts as stuck for that long only if it still runs, so
    callers pass ``now`` only for live processes.
    """
    if not samples:
        return None
    last = samples[-1]
    if is_idle(last.stack):
        return None
    key = _tail(last.stack, depth)
    i = len(samples) - 1
    while i > 0 and _tail(samples[i - 1].stack, depth) == key:
        i -= 1
    first = samples[i]
    until = last.time if now is None else max(now, last.time)
    if until - first.time < min_seconds:
        return None
    return Stuck(first.time, until, len(samples) - i, key, last)


@dataclass(frozen=True)
class StacksSummary:
    """What the pane shows for one sampled process."""

    file: SampleFile
    current: Sample | None
    hot: list[HotStack]
    stuck: Stuck | None
    # Share of the window's samples whose stack runs through importlib: imports crawling.
    import_share: float
    window_seconds: float


def _in_import(stack: tuple[Frame, ...]) -> bool:
    return any("importlib" in fr.filename for fr in stack)


def summarize(file: SampleFile, window: float = 30.0, stuck_after: float = 5.0,
              now: float | None = None, top: int = 10) -> StacksSummary:
    """Current stack, hottest stacks over ``window`` seconds and the stuck state of one process."""
    samples = file.samples
    chosen = window_samples(samples, window, now)
    share = (sum(1 for s in chosen if _in_import(s.stack)) / len(chosen)) if chosen else 0.0
    span = (chosen[-1].time - chosen[0].time) if chosen else 0.0
    live_now = now if file.ended is None else None
    return StacksSummary(
        file=file,
        current=samples[-1] if samples else None,
        hot=hottest(samples, window, now, top),
        stuck=stuck(samples, stuck_after, now=live_now),
        import_share=share,
        window_seconds=span,
    )
