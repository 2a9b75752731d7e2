"""The start-up watcher's loop: copy the child's stderr, sample /proc, record, and (diagnostic
rounds only) get a Python traceback of a process stuck in start-up through faulthandler.

Standard library only; a sibling of ``startwatch.py`` (which documents the record format and
starts the child before importing this). One thread: ``select`` on the child's stderr pipe with
the sampling interval as its time-out, so copying output and sampling never race.
"""

from __future__ import annotations

import os
import select
import sys
import time

import hpctui_procview as pv

try:  # the C module: `signal` imports enum, 3-4 ms of a worker's start-up for names alone
    import _signal as signal
except ImportError:  # pragma: no cover
    import signal

VERSION = 1
HEARTBEAT = 1.0
DESCENDANTS_EVERY = 0.5  # seconds between scans of /proc for the child's children
# A start-up still going after this is slow, not quick: seconds matter, not 150 ms. Sampling
# (and scanning /proc for children) slows down to this, so a worker that never registers does
# not pay the start-up rate for its whole life.
SLOW_AFTER, SLOW_INTERVAL = 30.0, 1.0
MAX_WATCH = 900.0  # seconds after which sampling stops whatever happened
FORWARD_AFTER = 5.0  # a signal to the watcher alone reaches the child after this
DUMP_WAIT = 3.0  # seconds to collect a traceback after SIGABRT
DRAIN = 1.0  # after the child exits, how long descendants may keep its stderr open
# Worker log lines that mark a phase (distributed's own wording, 2022-2026).
MARKS = (("Start Nanny at", "nanny-listening"), ("Start worker at", "worker-listening"),
         ("Waiting to connect to", "connecting"), ("Registered to", "connected"),
         ("Fatal Python error", "fatal"))
MAX_MARKS = 50
# An event loop waiting for work is idle, not stuck.
IDLE_CALLS = ("epoll_wait", "epoll_pwait", "select", "pselect6", "poll", "ppoll")
TICK = float(os.sysconf("SC_CLK_TCK")) if hasattr(os, "sysconf") else 100.0


def _boot_time():
    """Boot time as a unix time, to 10 ms (/proc/stat's btime is whole seconds)."""
    text = pv.read_text("/proc/uptime")
    try:
        return time.time() - float(text.split()[0])
    except (AttributeError, ValueError, IndexError):
        return 0.0


def exit_code(status):
    """The shell's view of a child's status: its code, or 128+N when signal N ended it."""
    return status if status >= 0 else 128 - status


class Watcher:
    """Watches one child (and its descendants) until it exits; ``run()`` returns the exit code."""

    def __init__(self, record, pid, read_fd, argv, exec_time, interval, abort_after):
        self.f = record
        self.child = pid
        self.fd = read_fd
        self.interval = interval
        self.abort_after = abort_after
        self.host = os.uname().nodename
        self.out_dir = os.path.dirname(os.path.abspath(record.name))
        self.table = pv.mount_table()
        self.python = os.path.realpath(sys.executable)
        self.boot = _boot_time()
        self.last = {pid: None}  # watched pid -> (key, cpu) last recorded
        self.since = {}  # pid -> wall time of its last change
        self.views = {}  # pid -> last view (for the dump's open .pth file)
        self.aborted = set()
        self.dump = None  # {"pid", "mono", "lines", "on"} while a traceback is collected
        self.marks = set()
        self.n_marks = 0
        self.sampling = True
        self.status = None
        self.exit_mono = None
        self.signalled = None
        self.forwarded = False
        self.partial = b""
        self.dirty = False
        self.started_mono = time.monotonic()
        self.write("H", {
            "version": VERSION, "host": self.host, "pid": os.getpid(), "child": pid,
            "argv": argv, "exec": round(exec_time, 4), "python": sys.executable,
            "python_version": sys.version.split()[0], "interval": interval,
            "abort_after": abort_after, "access": self._access(pid)})
        self.write("M", {"mounts": [list(m) for m in self.table]})
        self.flush()

    # -- records ------------------------------------------------------------------------

    def write(self, kind, obj):
        self.f.write(kind + " " + pv.dumps(obj) + "\n")
        self.dirty = True

    def flush(self):
        if self.dirty:
            try:
                self.f.flush()
            except OSError:
                pass  # a full log directory must not disturb the worker
            self.dirty = False

    @staticmethod
    def _access(pid):
        base = "/proc/%d/" % pid
        out = {}
        for name in ("stat", "wchan", "syscall", "mem"):
            # /proc/PID/mem: opening it is the access check; reading needs an address.
            out[name] = (pv.open_error if name == "mem" else pv.access_error)(base + name)
        try:
            os.listdir(base + "fd")
            out["fd"] = None
        except OSError as e:
            out["fd"] = "%s: %s" % (type(e).__name__, e.strerror)
        return {k: (v or "ok") for k, v in out.items()}

    # -- the loop -----------------------------------------------------------------------

    def run(self):
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        next_sample = time.monotonic()
        next_scan = next_beat = next_sample
        while True:
            now = time.monotonic()
            if self.sampling and now >= next_sample:
                wall = time.time()
                if now >= next_scan:
                    self._adopt_descendants()
                    next_scan = now + max(DESCENDANTS_EVERY, self._interval(now))
                self._sample(wall)
                if now >= next_beat:
                    self.write("T", {"t": round(wall, 3)})
                    next_beat = now + HEARTBEAT
                if now - self.started_mono > MAX_WATCH:
                    self._stop_sampling(wall, "time limit")
                next_sample = now + self._interval(now)
            wait = max(0.0, next_sample - time.monotonic()) if self.sampling else 1.0
            if self.status is not None:
                wait = min(wait, 0.1)
            self._pump(wait)
            self._reap()
            self._maybe_finish_dump()
            self._maybe_forward()
            self.flush()
            if self.status is not None and (self.fd is None
                                            or time.monotonic() - self.exit_mono > DRAIN):
                break
        self._pump(0)
        self._finish_dump()
        self.write("E", {"t": round(time.time(), 3), "reason": "child exited"})
        self.flush()
        try:
            self.f.close()
        except OSError:
            pass
        return exit_code(self.status)

    def _interval(self, now):
        return self.interval if now - self.started_mono < SLOW_AFTER else \
            max(self.interval, SLOW_INTERVAL)

    def _on_signal(self, signum, frame):
        if self.signalled is None:
            self.signalled = (signum, time.monotonic())

    def _maybe_forward(self):
        if self.signalled is None or self.forwarded or self.status is not None:
            return
        signum, at = self.signalled
        if time.monotonic() - at >= FORWARD_AFTER:
            self.forwarded = True
            try:
                os.kill(self.child, signum)
            except OSError:
                pass

    def _reap(self):
        if self.status is not None:
            return
        try:
            pid, status = os.waitpid(self.child, os.WNOHANG)
        except ChildProcessError:
            pid, status = self.child, 0
        if pid:
            if os.WIFSIGNALED(status):
                self.status = -os.WTERMSIG(status)
            else:
                self.status = os.WEXITSTATUS(status)
            self.exit_mono = time.monotonic()
            self.write("X", {"t": round(time.time(), 3), "pid": self.child, "status": self.status})

    # -- the child's stderr ---------------------------------------------------------------

    def _pump(self, wait):
        """Copy what the child wrote to stderr (waiting up to ``wait`` s for it) and read it."""
        while self.fd is not None:
            try:
                ready = select.select([self.fd], [], [], wait)[0]
            except (OSError, ValueError):
                ready = []
            if not ready:
                return
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                data = b""
            if not data:
                os.close(self.fd)
                self.fd = None
                return
            pv.write_all(2, data)
            self._lines(data)
            wait = 0

    def _lines(self, data):
        self.partial += data
        if b"\n" not in self.partial:
            if len(self.partial) > 65536:  # a line without end: look at it anyway
                self.partial = self.partial[-4096:]
            return
        *lines, self.partial = self.partial.split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", "replace")
            if self.dump is not None:
                if "Fatal Python error" in line:
                    self.dump["on"] = True
                if self.dump["on"]:
                    self.dump["lines"].append(line)
                    if line.startswith("Extension modules"):
                        self._finish_dump()
            for needle, mark in MARKS:
                if needle in line and self.n_marks < MAX_MARKS:
                    self.n_marks += 1
                    wall = round(time.time(), 3)
                    self.write("L", {"t": wall, "mark": mark, "line": line[-300:]})
                    self.marks.add(mark)
                    if mark == "connected" and self.sampling:
                        self._stop_sampling(wall, "connected")

    def _stop_sampling(self, wall, reason):
        self.sampling = False
        self.write("Q", {"t": wall, "reason": reason})

    # -- /proc ---------------------------------------------------------------------------

    def _adopt_descendants(self):
        """Add the watched processes' children (multiprocessing's spawned worker, say)."""
        try:
            names = os.listdir("/proc")
        except OSError:
            return
        watched = set(self.last)
        parents = {}
        for name in names:
            # Children have larger pids than the child, barring a wrap-around of the pid
            # counter: reading only those keeps the scan cheap on a busy node.
            if name.isdigit() and int(name) > self.child:
                fields = pv.stat_fields(int(name))
                if fields is not None:
                    parents[int(name)] = fields[1]
        added = True
        while added:  # grandchildren too, whatever order /proc lists them in
            added = False
            for pid, ppid in parents.items():
                if ppid in watched and pid not in watched:
                    watched.add(pid)
                    self.last.setdefault(pid, None)
                    added = True

    def view(self, pid):
        """What /proc shows of one process now, as recorded; None once it is gone."""
        fields = pv.stat_fields(pid, main_thread=True)
        if fields is None or fields[0] in ("Z", "X"):
            return None
        state, ppid, threads, cpu, start = fields
        wchan = (pv.read_text("/proc/%d/wchan" % pid) or "").strip()
        call = pv.blocked_call(pid)
        if isinstance(call, dict) and call.get("path"):
            call["fs"] = pv.fs_type(call["path"], self.table)
        files = pv.open_files(pid)
        return {
            "pid": pid, "ppid": ppid, "state": state, "wchan": "" if wchan == "0" else wchan,
            "cpu": round(cpu / TICK, 2), "threads": threads,
            "start": round(self.boot + start / TICK, 2) if self.boot else None,
            "syscall": call,
            "files": None if files is None else
            [[fd, path, pv.fs_type(path, self.table)] for fd, path in files],
        }

    def _sample(self, wall):
        for pid in list(self.last):
            v = self.view(pid)
            if v is None:
                del self.last[pid]
                self.write("G", {"t": round(wall, 3), "pid": pid})
                continue
            key = pv.dumps([v["state"], v["wchan"], v["syscall"], v["files"]])
            old = self.last.get(pid)
            if old is None or old != (key, v["cpu"]):
                if old is None:
                    v["cmd"] = pv.cmdline(pid)
                self.last[pid] = (key, v["cpu"])
                self.since[pid] = wall
                v["t"] = round(wall, 3)
                self.write("P", v)
                v.pop("cmd", None)
            self.views[pid] = v
            self._maybe_abort(pid, v, wall)

    def _maybe_abort(self, pid, v, wall):
        """SIGABRT a Python process stuck in start-up (``--abort-after`` only; see startwatch)."""
        if (self.abort_after is None or pid in self.aborted or self.dump is not None
                or self.marks & {"worker-listening", "connected"}):
            return
        call = v["syscall"]
        if (wall - self.since.get(pid, wall) < self.abort_after or v["state"] == "R"
                or call == "running" or (isinstance(call, dict) and call["name"] in IDLE_CALLS)):
            return
        if pid != self.child and "--multiprocessing-fork" not in (pv.cmdline(pid) or ()):
            return  # a helper (multiprocessing's resource tracker waits on a pipe by design)
        if os.path.exists(os.path.join(self.out_dir, "%s-%d.stacks" % (self.host, pid))):
            return  # the sampler sees its Python frames already
        try:
            if os.path.realpath(os.readlink("/proc/%d/exe" % pid)) != self.python:
                return  # not a Python of ours: faulthandler would print nothing
            pv.no_core(pid)
            os.kill(pid, signal.SIGABRT)
        except OSError:
            return
        self.aborted.add(pid)
        seconds = round(wall - self.since[pid], 1)
        self.write("A", {"t": round(wall, 3), "pid": pid,
                         "reason": "no CPU time and the same call for %.1f s in start-up" % seconds})
        self.dump = {"pid": pid, "mono": time.monotonic(), "lines": [], "on": False}

    # -- the traceback -------------------------------------------------------------------

    def _maybe_finish_dump(self):
        d = self.dump
        if d is None:
            return
        gone = (self.status is not None) if d["pid"] == self.child else \
            (pv.stat_fields(d["pid"]) or ("Z",))[0] in ("Z", "X")
        if gone or time.monotonic() - d["mono"] > DUMP_WAIT:
            self._pump(0)
            self._finish_dump()

    def _finish_dump(self):
        d, self.dump = self.dump, None
        if d is None:
            return
        text = "\n".join(d["lines"])
        threads = []
        for header, frames in pv.parse_dump(text):
            threads.append([header, [[f, n, fn, None if f.startswith("<") else pv.source_line(f, n)]
                                     for f, n, fn in frames]])
        record = {"t": round(time.time(), 3), "pid": d["pid"], "text": text[-20000:],
                  "threads": threads, "pth": None}
        if any(fn == "addpackage" and (f in ("<frozen site>", "site.py") or f.endswith("/site.py"))
               for _, frames in threads for f, _, fn, _ in frames):
            record["pth"] = self._pth(d["pid"])
        self.write("D", record)
        self.flush()

    def _pth(self, pid):
        """The .pth file whose line site was executing: open (Python <= 3.12), else by elimination."""
        v = self.views.get(pid) or {}
        for _, path, _ in v.get("files") or ():
            if path.endswith(".pth"):
                return {"how": "open", "files": [[path, pv.pth_exec_lines(path)]]}
        found = pv.pth_candidates(pv.site_dirs())
        return {"how": "only" if len(found) == 1 else "candidates",
                "files": [[p, lines] for p, lines in found]}
