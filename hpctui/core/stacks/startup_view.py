"""A worker process's start-up, from the watcher's records and the sampler's samples together.

Per watched process (the worker command and the processes it starts): the phases with their
times (interpreter + site: exec to the sampler's first instant; imports: until the first sample
outside an import; worker start: until the worker listens; connect: until it registered), the
slowest imports with the filesystem they were read from, and whether it is stuck, where and in
what: faulthandler's traceback when the watcher took one (it names the ``.pth`` file and line,
or the ``sitecustomize`` line), else the sampler's stuck frames, plus the system call and file
/proc showed it blocked on. Pure over already-read files (``startup_records``, ``samples``),
except reading a quoted source line on a filesystem this machine shares. No Textual here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from hpctui.core.stacks.mounts import Mount
from hpctui.core.stacks.samples import Frame, Sample, SampleFile
from hpctui.core.stacks.startup_records import Dump, DumpFrame, ProcView, StartupFile

# A healthy process changes its call or uses CPU within a second; one that has done neither
# for 3 s while starting is stuck (the seed's hang and a .pth waiting on a FIFO both are).
STUCK_AFTER = 3.0
IDLE_CALLS = ("epoll_wait", "epoll_pwait", "select", "pselect6", "poll", "ppoll")
TOP_IMPORTS = 5
# The last phase's names: waiting to register (a Nanny: for its worker process too).
CONNECT = ("connect", "worker process + connect")
SITE_HOOKS = {"addpackage": "pth", "execsitecustomize": "sitecustomize",
              "execusercustomize": "usercustomize"}


@dataclass(frozen=True)
class Phase:
    """One start-up phase; ``end`` None: the process is in it now (or stopped in it)."""

    name: str  # "interpreter + site", "imports", "worker start"/"nanny start", CONNECT, "start-up"
    start: float
    end: float | None

    def seconds(self, now: float) -> float:
        return max(0.0, (self.end if self.end is not None else now) - self.start)


@dataclass(frozen=True)
class SlowImport:
    """A module imported at start-up, the time the samples spent in it, where it was read from."""

    module: str
    file: str
    seconds: float
    fs: str | None
    mount: Mount | None = None  # the node's mount holding `file` (its type is `fs`)


@dataclass(frozen=True)
class Where:
    """What the process was executing: a file and line, and the code there when readable."""

    file: str
    line: int
    code: str | None
    kind: str  # "pth", "sitecustomize", "usercustomize", "import", "code"
    module: str | None = None  # the module being imported, for "import"
    # A .pth found by elimination when several run code: (file, line, code) of each.
    alternatives: tuple[tuple[str, int, str], ...] = ()

    def describe(self) -> str:
        """``executing `/env/.../zz.pth` line 1 (`import time; time.sleep(3600)`)``."""
        if self.alternatives:
            return "executing a .pth line, one of: " + ", ".join(
                f"`{f}` line {n} (`{c}`)" for f, n, c in self.alternatives)
        if not self.line:
            return f"executing a line of `{self.file}`"
        code = f" (`{self.code}`)" if self.code else ""
        return f"executing `{self.file}` line {self.line}{code}"


@dataclass(frozen=True)
class StartupStuck:
    """The process has neither used CPU nor changed its call for ``seconds``, while starting."""

    seconds: float
    stage: str  # "in interpreter start-up", "importing `slowmod`", "in worker start-up"
    where: Where | None
    view: ProcView | None  # the last /proc view: the blocking call and open files
    dump: Dump | None  # faulthandler's traceback, when the watcher took one
    file_mount: Mount | None = None  # the node's mount holding `where.file`

    def describe(self, label: str) -> str:
        """The finding's one line: what is stuck, how long, where, in what."""
        parts = [f"{label} stuck {self.seconds:.0f} s {self.stage}"]
        tail = []
        if self.where is not None:
            # "on nfs4 mount /home": where the file it executes lives, when that is shared.
            on = (f" {self.file_mount.describe()}" if self.file_mount is not None
                  and self.file_mount.shared and not self.where.alternatives else "")
            tail.append(self.where.describe() + on)
        if self.view is not None:
            tail.append("blocked in " + self.view.blocked_in())
        return parts[0] + (": " + ", ".join(tail) if tail else "")


@dataclass(frozen=True)
class StartupProcess:
    """One watched process's start-up, as the pane, doctor and diagnosis show it."""

    label: str  # "cn01 1234 (main process)", as the sampler's files are labelled
    host: str
    pid: int
    started: float
    phases: tuple[Phase, ...]
    stuck: StartupStuck | None
    slow_imports: tuple[SlowImport, ...]
    ended: str | None  # "exited 134 (SIGABRT)", "gone", None while it runs
    denied: tuple[str, ...]  # /proc sources the watcher could not read, with why
    now: float

    @property
    def current(self) -> Phase | None:
        return next((p for p in self.phases if p.end is None), None)

    def phase_line(self) -> str:
        """``interpreter + site 0.1 s · imports 1.9 s · worker start 0.4 s · connect 0.2 s``."""
        return " · ".join(f"{p.name} {p.seconds(self.now):.1f} s" + ("…" if p.end is None else "")
                          for p in self.phases)


_SHORT = re.compile(r".*?(?:site-packages|dist-packages)/|.*?/lib/python\d+\.\d+/")
_lines_cache: dict[tuple[str, int], str | None] = {}


def _module_name(filename: str) -> str:
    """``distributed/__init__.py`` -> ``distributed``; ``/x/mods/slowmod.py`` -> ``slowmod``."""
    tail = _SHORT.sub("", filename, count=1)
    if tail == filename:
        tail = filename.rsplit("/", 1)[-1]
    tail = re.sub(r"(/__init__)?\.py[cw]?$", "", tail)
    return tail.replace("/", ".")


def _read_line(path: str, number: int) -> str | None:
    """A source line, when this machine can read the file (a shared filesystem); cached."""
    key = (path, number)
    if key not in _lines_cache:
        text = None
        try:
            with open(path, "rb") as f:
                for n, raw in enumerate(f, 1):
                    if n == number:
                        text = raw.decode("utf-8", "replace").strip()
                        break
        except OSError:
            pass
        _lines_cache[key] = text
    return _lines_cache[key]


def _importing(stack: tuple[Frame, ...]) -> bool:
    return any("importlib" in fr.filename for fr in stack)


def _imported_module(stack: tuple[Frame, ...], innermost: bool) -> Frame | None:
    """The ``<module>`` frame of the module being imported: the first after an importlib frame
    (the top-level import) or the innermost one (whose own code runs)."""
    found = None
    seen_import = False
    for fr in stack:
        if "importlib" in fr.filename:
            seen_import = True
        elif seen_import and fr.function == "<module>":
            if not innermost:
                return fr
            found = fr
    return found


def slow_imports(samples: list[Sample], rate: float, mount_of, top: int = TOP_IMPORTS
                 ) -> tuple[SlowImport, ...]:
    """The modules whose import the samples caught most, slowest first (top-level imports)."""
    per: dict[str, tuple[str, int]] = {}
    for s in samples:
        fr = _imported_module(s.stack, innermost=False)
        if fr is not None:
            name = _module_name(fr.filename)
            per[name] = (fr.filename, per.get(name, ("", 0))[1] + 1)
    step = 1.0 / rate if rate else 0.0
    ranked = sorted(per.items(), key=lambda kv: (-kv[1][1], kv[0]))[:top]
    mounts = {file: mount_of(file) for _, (file, _) in ranked}
    return tuple(SlowImport(name, file, round(n * step, 2),
                            mounts[file].fstype if mounts[file] else None, mounts[file])
                 for name, (file, n) in ranked)


def _where_from_dump(dump: Dump) -> tuple[str, Where | None]:
    """(stage, where) from faulthandler's frames (innermost first)."""
    frames = dump.main_frames
    hook = next((SITE_HOOKS[f.function] for f in frames
                 if f.function in SITE_HOOKS and "site" in f.file), None)
    real = [f for f in frames if not f.file.startswith("<")]
    if hook == "pth":
        files = dump.pth_files
        if dump.pth_how in ("open", "only") and files:
            path, lines = files[0]
            if len(lines) == 1:
                return "in interpreter start-up", Where(path, lines[0][0], lines[0][1], "pth")
            return "in interpreter start-up", Where(path, 0, None, "pth", alternatives=tuple(
                (path, n, c) for n, c in lines))
        return "in interpreter start-up", Where("(a .pth file)", 0, None, "pth", alternatives=tuple(
            (p, n, c) for p, lines in files for n, c in lines))
    if hook is not None or any(f.function == "<module>" and f.file in ("<frozen site>",)
                               for f in frames):
        inner = real[0] if real else None
        where = Where(inner.file, inner.line, inner.source, hook or "code") if inner else None
        return "in interpreter start-up", where
    return _stage_from_frames(frames)


def _stage_from_frames(frames) -> tuple[str, Where | None]:
    """(stage, where) from frames innermost first (a dump's, or a sample's reversed)."""
    real = [f for f in frames if not f.file.startswith("<")]
    inner = real[0] if real else None
    modules = [f for f in frames if f.function == "<module>" and not f.file.startswith("<")]
    importing = any("importlib" in f.file for f in frames)
    if importing and modules:
        name = _module_name(modules[0].file)
        where = Where(inner.file, inner.line, _source(inner), "import", name) if inner else None
        return f"importing `{name}`", where
    where = Where(inner.file, inner.line, _source(inner), "code") if inner else None
    return "in start-up", where


def _source(f) -> str | None:
    if isinstance(f, DumpFrame):
        return f.source or _read_line(f.file, f.line)
    return _read_line(f.file, f.line)


def _unchanged_since(views: list[ProcView], until: float) -> tuple[ProcView | None, float]:
    """The view in force at ``until`` and how long nothing (call, CPU) had changed by then."""
    before = [v for v in views if v.t <= until]
    if not before:
        return None, 0.0
    return before[-1], until - before[-1].t


def _idle(v: ProcView) -> bool:
    return v.running or v.state == "R" or (v.call is not None and v.call.name in IDLE_CALLS)


def _as_dump_frames(stack: tuple[Frame, ...]) -> tuple[DumpFrame, ...]:
    """A sample's stack (outermost first) as dump frames (innermost first)."""
    return tuple(DumpFrame(fr.filename, fr.line, fr.function) for fr in reversed(stack))


def _pth_where(view: ProcView | None) -> Where | None:
    """The .pth file the process holds open (Python <= 3.12 keeps it open while running it)."""
    for _, path, _ in (view.files or ()) if view is not None else ():
        if path.endswith(".pth"):
            code_lines = []
            try:
                with open(path, "rb") as f:
                    text = f.read().decode("utf-8", "replace")
                code_lines = [(n, ln.rstrip()) for n, ln in enumerate(text.splitlines(), 1)
                              if ln.startswith(("import ", "import\t"))]
            except OSError:
                pass
            if len(code_lines) == 1:
                return Where(path, code_lines[0][0], code_lines[0][1], "pth")
            return Where(path, 0, None, "pth", alternatives=tuple(
                (path, n, c) for n, c in code_lines))
    return None


def _phases(sf: StartupFile, pid: int, sample: SampleFile | None, began: float,
            gone_at: float | None) -> tuple[Phase, ...]:
    nanny = sf.mark_time("nanny-listening") if pid == sf.child else None
    listening = nanny or sf.mark_time("worker-listening")
    connected = sf.mark_time("connected")
    # A Nanny listens first, then waits for the worker process it starts to connect.
    start, connect = ("nanny start", CONNECT[1]) if nanny else \
        ("worker start", CONNECT[0])
    if sample is not None and sample.started:
        after = [s for s in sample.samples if s.time >= sample.started]
        imports_end = next((s.time for s in after if not _importing(s.stack)), None)
        if imports_end is None and after and (listening or gone_at):
            imports_end = after[-1].time
        bounds = [("interpreter + site", began), ("imports", sample.started),
                  (start, imports_end), (connect, listening), ("", connected)]
    else:
        bounds = [("start-up", began), (connect, listening), ("", connected)]
    phases: list[Phase] = []
    for i, (name, begin) in enumerate(bounds[:-1]):
        if begin is None:
            break
        end = bounds[i + 1][1]
        if end is None:
            # A later boundary known (the worker listens; the samples missed the end of
            # imports) closes this phase there; else it is the current one (or the last).
            end = next((b for _, b in bounds[i + 2:] if b is not None), None)
            if end is not None:
                bounds[i + 1] = (bounds[i + 1][0], end)
        phases.append(Phase(name, begin, end if end is not None else gone_at))
        if end is None:
            break
    return tuple(phases)


def _stuck(sf: StartupFile, pid: int, views: list[ProcView], sample: SampleFile | None,
           gone_at: float | None) -> StartupStuck | None:
    dump = next((d for d in sf.dumps if d.pid == pid), None)
    if dump is not None:
        aborted = next((t for t, p, _ in sf.aborts if p == pid), dump.t)
        view, seconds = _unchanged_since(views, aborted)
        stage, where = _where_from_dump(dump)
        return StartupStuck(seconds, stage, where, view, dump)
    if (sf.quiet is not None and sf.quiet[1] == "connected") or not views:
        return None
    view = views[-1]
    # A process that vanished (a cancelled job) was stuck until then, if it was: the round
    # that cancelled it still reports where it stood.
    seconds = (gone_at if gone_at is not None else sf.last_beat) - view.t
    listening = sf.mark_time("worker-listening", *(("nanny-listening",) if pid == sf.child else ()))
    if seconds < STUCK_AFTER or _idle(view) or listening is not None:
        return None
    if sample is not None and sample.samples:
        stage, where = _stage_from_frames(_as_dump_frames(sample.samples[-1].stack))
        if stage == "in start-up":
            stage = "in worker start-up"
        return StartupStuck(seconds, stage, where, view, None)
    sampled = any(a.endswith("sampler.py") for a in sf.argv)
    stage = "in interpreter start-up" if sampled else "in start-up (no Python frames: sampler off)"
    return StartupStuck(seconds, stage, _pth_where(view), view, None)


def _ended(sf: StartupFile, pid: int) -> str | None:
    if pid == sf.child and sf.exit is not None:
        status = sf.exit[1]
        if status < 0:
            import signal

            try:
                name = signal.Signals(-status).name
            except ValueError:
                name = f"signal {-status}"
            return f"ended by {name}"
        return f"exited {status}"
    return "gone" if pid in sf.gone else None


def startup_processes(sf: StartupFile, samples: dict[tuple[str, int], SampleFile]
                      ) -> list[StartupProcess]:
    """Every process one watcher saw, with its phases, slow imports and stuck state.

    ``samples`` maps (host, pid) to the sampler's file for that process, when there is one.
    Times are the watcher's own: a process holds its last view until the watcher's latest
    record, so a watcher that died leaves nothing "stuck" growing for ever.
    """
    out = []
    denied = tuple(f"{k}: {v}" for k, v in sorted(sf.access.items()) if v != "ok")
    for pid, views in sorted(sf.views.items()):
        if not views:
            continue
        role = sf.role(pid)
        if role is None:
            continue
        sample = samples.get((sf.host, pid))
        start = sf.exec_time if pid == sf.child else (views[0].start or views[0].t)
        gone_at = sf.gone.get(pid) or (sf.exit[0] if pid == sf.child and sf.exit else None)
        now = gone_at if gone_at is not None else max(sf.last_beat, views[-1].t)
        imports = (slow_imports(sample.samples, sample.rate, sf.mount_of)
                   if sample is not None else ())
        stuck = _stuck(sf, pid, views, sample, gone_at)
        if stuck is not None and stuck.where is not None:
            stuck = replace(stuck, file_mount=sf.mount_of(stuck.where.file))
        out.append(StartupProcess(
            f"{sf.host} {pid} ({role})", sf.host, pid, start,
            _phases(sf, pid, sample, start, gone_at), stuck,
            imports, _ended(sf, pid), denied, now))
    return out
