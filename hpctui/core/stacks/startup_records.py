"""Reading the start-up watcher's record files (``<host>-<pid>.startup``), incrementally.

The files are written by ``hpctui/on_node/startwatch.py`` (format in its docstring): one per
watched worker command, beside the sampler's ``.stacks`` files. A reader parses only what was
appended since its last ``update()`` (the pane and doctor poll every second or two) and keeps,
per watched process, the views /proc gave of it: state, wait channel, the system call it is
blocked in and the files it holds open, each with its filesystem type. No Textual here.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from hpctui.core.stacks.mounts import Mount, mount_of

SUFFIX = ".startup"
MAX_VIEWS = 200  # views kept per process: start-up is short; a long one keeps its first and last


@dataclass(frozen=True)
class Call:
    """The system call a process sits in, with the file it is about (when known)."""

    name: str
    nr: int
    fd: int | None = None
    path: str | None = None
    fs: str | None = None

    def describe(self) -> str:
        """``openat`` on ``/scratch/fifo`` (ext4)."""
        where = f" on `{self.path}`" if self.path else ""
        fs = f" ({self.fs})" if self.path and self.fs else ""
        return f"`{self.name}`{where}{fs}"


@dataclass(frozen=True)
class ProcView:
    """What /proc showed of one process at time ``t`` (it held until the next view)."""

    t: float
    pid: int
    ppid: int
    state: str  # R running, S sleeping, D disk wait, T stopped...
    wchan: str  # kernel wait channel ("" when running or hidden)
    cpu: float  # user + system seconds so far
    threads: int
    start: float | None  # the process's start (unix time), from /proc/PID/stat
    call: Call | None  # None: unknown (denied) or not blocked; see `running`
    running: bool  # /proc/PID/syscall said "running"
    files: tuple[tuple[int, str, str | None], ...] | None  # (fd, path, fs); None: denied

    def blocked_in(self) -> str:
        """The blocking call in words, or the wait channel, or the state: the best there is."""
        if self.call is not None:
            return self.call.describe()
        if self.wchan:
            return f"the kernel's `{self.wchan}`"
        return "running (on CPU)" if self.running or self.state == "R" else f"state {self.state}"


@dataclass(frozen=True)
class DumpFrame:
    """One frame of faulthandler's traceback, innermost first; ``source`` read on the node."""

    file: str
    line: int
    function: str
    source: str | None = None


@dataclass(frozen=True)
class Dump:
    """The Python traceback faulthandler printed when the watcher sent SIGABRT."""

    t: float
    pid: int
    text: str
    threads: tuple[tuple[str, tuple[DumpFrame, ...]], ...]  # (header, frames innermost first)
    # The .pth file(s) behind a site.addpackage frame: how it was found ("open": the file was
    # open; "only": the one .pth that runs code; "candidates": one of these) and their lines.
    pth_how: str | None = None
    pth_files: tuple[tuple[str, tuple[tuple[int, str], ...]], ...] = ()

    @property
    def main_frames(self) -> tuple[DumpFrame, ...]:
        """The signalled thread's frames (faulthandler lists it first as "Current thread")."""
        return self.threads[0][1] if self.threads else ()


@dataclass(frozen=True)
class Mark:
    """A worker log line the watcher saw pass that marks a phase."""

    t: float
    mark: str  # nanny-listening, worker-listening, connecting, connected, fatal
    line: str


@dataclass
class StartupFile:
    """Everything read so far from one watcher's record file."""

    path: Path
    host: str = ""
    pid: int = 0  # the watcher's
    child: int = 0
    argv: list[str] = field(default_factory=list)
    exec_time: float = 0.0
    python: str = ""
    python_version: str = ""
    interval: float = 0.0
    abort_after: float | None = None
    access: dict[str, str] = field(default_factory=dict)  # source -> "ok" or why not
    mounts: list[tuple[str, str, str]] = field(default_factory=list)  # longest first
    views: dict[int, list[ProcView]] = field(default_factory=dict)
    cmdlines: dict[int, list[str]] = field(default_factory=dict)  # as first seen
    last_beat: float = 0.0  # the watcher's latest record: views hold at least until then
    marks: list[Mark] = field(default_factory=list)
    aborts: list[tuple[float, int, str]] = field(default_factory=list)
    dumps: list[Dump] = field(default_factory=list)
    gone: dict[int, float] = field(default_factory=dict)
    quiet: tuple[float, str] | None = None  # sampling stopped: (time, why)
    exit: tuple[float, int] | None = None  # (time, status) of the child
    ended: float | None = None
    problems: list[str] = field(default_factory=list)

    def role(self, pid: int) -> str | None:
        """"main process" (the watched command), "worker process" (one the Nanny spawned), or
        None for a helper (multiprocessing's resource tracker, a shell): not judged."""
        if pid == self.child:
            return "main process"
        if "--multiprocessing-fork" in self.cmdlines.get(pid, ()):
            return "worker process"
        return None

    def mark_time(self, *names: str) -> float | None:
        """When the first of these marks was seen, or None."""
        times = [m.t for m in self.marks if m.mark in names]
        return min(times) if times else None

    def fs_of(self, path: str) -> str | None:
        """The filesystem type of ``path`` on the watched node (from its mount table)."""
        m = self.mount_of(path)
        return m.fstype if m is not None else None

    def mount_of(self, path: str | None) -> Mount | None:
        """The mount of the watched node that holds ``path`` (type, mount point, source)."""
        return mount_of(path, self.mounts)


def _call(raw) -> tuple[Call | None, bool]:
    if raw == "running":
        return None, True
    if not isinstance(raw, dict):
        return None, False
    return Call(str(raw.get("name", "?")), int(raw.get("nr", -1)), raw.get("fd"),
                raw.get("path"), raw.get("fs")), False


def _view(r: dict) -> ProcView:
    call, running = _call(r.get("syscall"))
    files = r.get("files")
    return ProcView(float(r["t"]), int(r["pid"]), int(r.get("ppid", 0)), str(r.get("state", "?")),
                    str(r.get("wchan") or ""), float(r.get("cpu", 0.0)), int(r.get("threads", 1)),
                    r.get("start"), call, running,
                    None if files is None else tuple((int(fd), str(p), fs) for fd, p, fs in files))


def _dump(r: dict) -> Dump:
    threads = tuple((str(h), tuple(DumpFrame(str(f), int(n), str(fn), src)
                                   for f, n, fn, src in frames))
                    for h, frames in r.get("threads") or ())
    pth = r.get("pth") or {}
    files = tuple((str(p), tuple((int(n), str(t)) for n, t in lines))
                  for p, lines in pth.get("files") or ())
    return Dump(float(r["t"]), int(r["pid"]), str(r.get("text", "")), threads,
                pth.get("how"), files)


class StartupFileReader:
    """Reads one record file incrementally: ``update()`` parses only complete new lines."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.file = StartupFile(self.path)
        self._offset = 0
        self._line_no = 0

    def update(self) -> bool:
        """Parse what was appended; True when anything new was read."""
        try:
            size = self.path.stat().st_size
        except OSError:
            return False
        if size <= self._offset:
            return False
        with open(self.path, "rb") as f:
            f.seek(self._offset)
            data = f.read(size - self._offset)
        cut = data.rfind(b"\n") + 1  # the watcher may be half way through a line
        self._offset += cut
        for raw in data[:cut].decode("utf-8", "replace").splitlines():
            self._line_no += 1
            kind, _, rest = raw.partition(" ")
            try:
                self._record(kind, json.loads(rest) if rest else {})
            except (ValueError, KeyError, TypeError) as e:
                self.file.problems.append(f"{self.path}:{self._line_no}: {e}")
        return cut > 0

    def _record(self, kind: str, r: dict) -> None:
        f = self.file
        t = float(r.get("t", 0.0) or 0.0)
        f.last_beat = max(f.last_beat, t)
        if kind == "H":
            f.host, f.pid, f.child = str(r["host"]), int(r["pid"]), int(r["child"])
            f.argv, f.exec_time = list(r.get("argv", [])), float(r["exec"])
            f.python, f.python_version = str(r.get("python", "")), str(r.get("python_version", ""))
            f.interval, f.abort_after = float(r.get("interval", 0.0)), r.get("abort_after")
            f.access = {str(k): str(v) for k, v in (r.get("access") or {}).items()}
            f.last_beat = max(f.last_beat, f.exec_time)
        elif kind == "M":
            f.mounts = [(str(p), str(t_), str(s)) for p, t_, s in r.get("mounts", [])]
            f.mounts.sort(key=lambda m: len(m[0]), reverse=True)
        elif kind == "P":
            if r.get("cmd") is not None:
                f.cmdlines[int(r["pid"])] = [str(a) for a in r["cmd"]]
            views = f.views.setdefault(int(r["pid"]), [])
            views.append(_view(r))
            if len(views) > MAX_VIEWS:
                del views[MAX_VIEWS // 2]  # keep how it started and how it is now
        elif kind == "L":
            f.marks.append(Mark(t, str(r.get("mark", "")), str(r.get("line", ""))))
        elif kind == "A":
            f.aborts.append((t, int(r["pid"]), str(r.get("reason", ""))))
        elif kind == "D":
            f.dumps.append(_dump(r))
        elif kind == "G":
            f.gone[int(r["pid"])] = t
        elif kind == "Q":
            f.quiet = (t, str(r.get("reason", "")))
        elif kind == "X":
            f.exit = (t, int(r.get("status", 0)))
        elif kind == "E":
            f.ended = t
        elif kind != "T":
            raise ValueError(f"unknown record {kind!r}")


def startup_files(directory: str | os.PathLike) -> list[Path]:
    """The watcher's record files in a directory, sorted by name."""
    d = Path(directory)
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if p.name.endswith(SUFFIX))


def read_startup_file(path: str | os.PathLike) -> StartupFile:
    """Read a whole record file."""
    reader = StartupFileReader(path)
    reader.update()
    return reader.file
