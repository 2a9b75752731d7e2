"""Main-thread stack sampler that runs a Python module in its own process.

Usage on a compute node (standard library only, Python 3.10-3.13, hpctui not installed):

    python sampler.py [--rate HZ] [--out DIR] [--max-bytes N] -m distributed.cli.dask_worker ARGS...

A daemon thread samples the main thread's stack (``sys._current_frames()``) from before
the target module is even imported, and appends the samples to
``DIR/<hostname>-<pid>.stacks``. Then the target runs through ``runpy.run_module`` with
``alter_sys=True``, exactly as ``python -m`` would run it, so ``sys.argv``, the exit code and
signal behaviour are the target's own: no signal handler is installed, ``SystemExit``
propagates untouched, the daemon thread never blocks exit, and ``atexit`` flushes the
last batch.

Children: dask's Nanny starts the real worker with multiprocessing's *spawn* method
(distributed's default ``multiprocessing-method``), and that child is the process that
takes the workspace file lock (``distributed/core.py`` builds the ``WorkDir`` only in the
Worker; the Nanny passes ``needs_workdir=False``). So the sampler wraps
``multiprocessing.spawn.get_command_line``: spawned children start as
``python sampler.py --out DIR ... -c <spawn_main code> --multiprocessing-fork`` and are
sampled into their own files too. Forked children (``fork`` method, ``os.fork``) get a
fresh sampler thread through ``os.register_at_fork``. Children of a *forkserver* are not
sampled (the server process is started without the sampler).

File format (text, one record per line; compact because a hung process repeats one stack):

    H {"version": 1, "host": ..., "pid": ..., "ppid": ..., "rate": ..., "argv": [...], "started": ...}
    S <id> <frame>;<frame>;...     a stack seen for the first time, outermost frame first,
                                   each frame "<filename>:<function>:<line>"
    T <unix time> <id>             one sample
    E {"reason": ..., "time": ...} the sampler stopped (exit, size limit, stop())

When a file reaches ``--max-bytes`` it is renamed to ``<name>.1`` (replacing an older one)
and a new file starts with its own header, so at most twice the limit stays on disk.

In-process use (e.g. sampling hpctui's own event loop): load this file by path and call
``start_sampler(out_dir, rate=10.0, thread_id=None)``; it returns a ``Sampler`` with
``stop()``.
"""

from __future__ import annotations

import atexit
import json
import os
import socket
import sys
import threading
import time

VERSION = 1
DEFAULT_RATE = 10.0
# 4 MB holds hours of a hung worker at 10 Hz: each repeated sample is one ~20 byte "T" line.
DEFAULT_MAX_BYTES = 4 * 1024 * 1024
# Batches are written once a second so a process killed by SIGKILL/SIGTERM loses at most
# the last second.
FLUSH_INTERVAL = 1.0
SUFFIX = ".stacks"
# The environment variable is how a spawned child learns it is already inside the sampler
# (it is informative only; the command line carries the settings).
ENV_ACTIVE = "HPCTUI_SAMPLER_ACTIVE"
# runpy is frozen in 3.11+ ("<frozen runpy>") and a plain file before.
_RUNPY_FILES = ("<frozen runpy>",)


def _frame_text(code, lineno):
    """One frame as written in "S" lines; colons in file names are kept (the reader splits from the right)."""
    return "%s:%s:%d" % (code.co_filename, code.co_name, lineno or 0)


class Sampler:
    """Samples one thread's stack at a fixed rate into one file; see the module docstring."""

    def __init__(self, out_dir, rate=DEFAULT_RATE, thread_id=None, max_bytes=DEFAULT_MAX_BYTES,
                 stop_at_code=None, argv=None):
        if rate <= 0:
            raise ValueError("sampler rate must be > 0 Hz, got %r" % (rate,))
        self.out_dir = os.path.abspath(out_dir)
        self.rate = float(rate)
        self.interval = 1.0 / self.rate
        self.thread_id = threading.main_thread().ident if thread_id is None else thread_id
        self.max_bytes = int(max_bytes)
        # Frames at and below this code object (the sampler's own launcher) are not recorded.
        self._stop_at_code = stop_at_code
        self._argv = list(sys.argv if argv is None else argv)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pending = []
        self._ids = {}
        self._thread = None
        self._closed = False
        # After a fork the child inherits this object (and its atexit entry): only the
        # process that created it may write to its file.
        self._pid = os.getpid()
        self.path = None
        self._size = 0
        self._open_new_file()

    # -- file handling ----------------------------------------------------------------

    def _open_new_file(self):
        os.makedirs(self.out_dir, exist_ok=True)
        self.path = os.path.join(self.out_dir, "%s-%d%s" % (socket.gethostname(), os.getpid(), SUFFIX))
        self._ids = {}
        self._size = 0
        header = {
            "version": VERSION,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "ppid": os.getppid(),
            "rate": self.rate,
            "argv": self._argv,
            "started": round(time.time(), 3),
        }
        self._write_now("H " + json.dumps(header) + "\n", mode="w")

    def _write_now(self, text, mode="a"):
        data = text.encode("utf-8", "replace")
        with open(self.path, mode + "b") as f:
            f.write(data)
        self._size += len(data)

    def _rotate(self):
        self._write_now("E " + json.dumps({"reason": "rotated", "time": round(time.time(), 3)}) + "\n")
        os.replace(self.path, self.path + ".1")
        self._open_new_file()

    def flush(self):
        """Append the pending samples to the file, rotating as soon as it reaches the size limit.

        Stack ("S") lines are made here, per file: after a rotation the new file repeats the
        stacks its samples use, so each file reads on its own.
        """
        with self._lock:
            if not self._pending or self._closed or os.getpid() != self._pid:
                return
            pending, self._pending = self._pending, []
            try:
                lines = []
                size = self._size
                for t, key in pending:
                    sid = self._ids.get(key)
                    if sid is None:
                        sid = self._ids[key] = len(self._ids)
                        line = "S %d %s\n" % (sid, self._stack_text(key))
                        lines.append(line)
                        size += len(line)
                    line = "T %.3f %d\n" % (t, sid)
                    lines.append(line)
                    size += len(line)
                    if size >= self.max_bytes:
                        self._write_now("".join(lines))
                        self._rotate()
                        lines, size = [], self._size
                if lines:
                    self._write_now("".join(lines))
            except OSError:
                # A full or vanished log directory must not disturb the worker: stop sampling.
                self._closed = True
                self._stop.set()

    @staticmethod
    def _stack_text(key):
        frames = [_frame_text(c, n) for _, c, n in reversed(key)]
        # runpy's own frames sit between the launcher and the target: drop them.
        while frames and frames[0].rsplit(":", 2)[0] in _RUNPY_FILES:
            frames.pop(0)
        return ";".join(frames)

    # -- sampling ---------------------------------------------------------------------

    def sample_once(self, now=None):
        """Take one sample of the target thread and queue it for the next flush."""
        frame = sys._current_frames().get(self.thread_id)
        if frame is None:
            return
        key = []
        stop_code = self._stop_at_code
        while frame is not None:
            code = frame.f_code
            if code is stop_code:
                break
            # Code objects compare equal across files when their bytecode matches (two
            # modules with the same source), so the file name is part of the key.
            key.append((code.co_filename, code, frame.f_lineno))
            frame = frame.f_back
        del frame
        key = tuple(key)
        t = time.time() if now is None else now
        with self._lock:
            self._pending.append((t, key))

    def _run(self):
        next_flush = time.monotonic() + FLUSH_INTERVAL
        wait = self._stop.wait
        interval = self.interval
        while not wait(interval):
            try:
                self.sample_once()
            except Exception:
                # The sampler must never kill or disturb the process it observes.
                pass
            if time.monotonic() >= next_flush:
                self.flush()
                next_flush = time.monotonic() + FLUSH_INTERVAL

    def start(self):
        """Start the daemon sampling thread and register the exit flush."""
        self._thread = threading.Thread(target=self._run, name="hpctui-sampler", daemon=True)
        self._thread.start()
        atexit.register(self.stop, "exit")
        return self

    def stop(self, reason="stopped"):
        """Stop sampling, flush, and write the end marker. Safe to call more than once."""
        if os.getpid() != self._pid:
            return
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread() and thread.is_alive():
            thread.join(timeout=2 * self.interval + 0.5)
        self.flush()
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._write_now("E " + json.dumps({"reason": reason, "time": round(time.time(), 3)}) + "\n")
            except OSError:
                pass


def start_sampler(out_dir, rate=DEFAULT_RATE, thread_id=None, max_bytes=DEFAULT_MAX_BYTES):
    """Start sampling ``thread_id`` (default: the main thread) of this process into ``out_dir``."""
    return Sampler(out_dir, rate=rate, thread_id=thread_id, max_bytes=max_bytes).start()


# -- children ------------------------------------------------------------------------------

_ACTIVE = {}


def _sampler_prefix():
    """The arguments that put a child under the sampler with the current settings."""
    s = _ACTIVE["sampler"]
    return [os.path.abspath(__file__), "--out", s.out_dir, "--rate", repr(s.rate),
            "--max-bytes", str(s.max_bytes)]


def _wrap_spawn():
    """Make multiprocessing's spawned children start under this sampler (see module docstring)."""
    import multiprocessing.spawn as spawn

    original = spawn.get_command_line
    if getattr(original, "_hpctui_sampler", False):
        return

    def get_command_line(**kwds):
        args = original(**kwds)
        try:
            i = args.index("-c")
        except ValueError:
            # A frozen executable or some other form: leave it alone.
            return args
        return args[:i] + _sampler_prefix() + args[i:]

    get_command_line._hpctui_sampler = True
    spawn.get_command_line = get_command_line


def _restart_after_fork():
    """In a forked child the sampling thread is gone: start a new sampler with a new file."""
    old = _ACTIVE.get("sampler")
    if old is None:
        return
    try:
        _ACTIVE["sampler"] = Sampler(old.out_dir, rate=old.rate, max_bytes=old.max_bytes,
                                     stop_at_code=old._stop_at_code, argv=sys.argv).start()
    except Exception:
        pass


# -- command line ----------------------------------------------------------------------------


def _parse_args(argv):
    """Parse the sampler's own options up to ``-m MODULE`` or ``-c CODE``; the rest is the target's."""
    out = os.environ.get("HPCTUI_SAMPLER_OUT") or os.getcwd()
    rate = DEFAULT_RATE
    max_bytes = DEFAULT_MAX_BYTES
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-m", "-c"):
            if i + 1 >= len(argv):
                raise SystemExit("sampler.py: %s needs an argument" % a)
            return out, rate, max_bytes, a, argv[i + 1], argv[i + 2:]
        if a in ("--out", "--rate", "--max-bytes"):
            if i + 1 >= len(argv):
                raise SystemExit("sampler.py: %s needs a value" % a)
            v = argv[i + 1]
            if a == "--out":
                out = v
            else:
                try:
                    num = float(v) if a == "--rate" else int(v)
                except ValueError:
                    raise SystemExit("sampler.py: %s must be a number, got %r" % (a, v))
                if num <= 0:
                    raise SystemExit("sampler.py: %s must be > 0, got %r" % (a, v))
                if a == "--rate":
                    rate = num
                else:
                    max_bytes = num
            i += 2
            continue
        raise SystemExit("sampler.py: unknown option %r (usage: sampler.py [--rate HZ] [--out DIR] "
                         "[--max-bytes N] -m MODULE ARGS... | -c CODE ARGS...)" % a)
    raise SystemExit("sampler.py: missing -m MODULE (usage: sampler.py [--rate HZ] [--out DIR] "
                     "[--max-bytes N] -m MODULE ARGS...)")


def _run_target(mode, target, rest):
    """Run the target like ``python -m``/``python -c`` would; its frames are the recorded ones."""
    import runpy

    global _RUNPY_FILES
    _RUNPY_FILES = ("<frozen runpy>", runpy.__file__ or "<frozen runpy>")

    if mode == "-m":
        # python -m puts the current directory first on sys.path, not the script's directory.
        sys.path[0] = os.getcwd()
        sys.argv = [target] + rest  # run_module replaces argv[0] with the module's file
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        sys.path[0] = ""
        sys.argv = ["-c"] + rest
        main = sys.modules["__main__"]
        namespace = {"__name__": "__main__", "__builtins__": main.__dict__["__builtins__"],
                     "__doc__": None, "__spec__": None, "__loader__": None}
        exec(compile(target, "<string>", "exec"), namespace)


def main(argv=None):
    """Start the sampler, then run the target module in this same process."""
    out, rate, max_bytes, mode, target, rest = _parse_args(sys.argv[1:] if argv is None else argv)
    full_argv = [sys.executable, mode, target] + rest
    try:
        sampler = Sampler(out, rate=rate, max_bytes=max_bytes,
                          stop_at_code=_run_target.__code__, argv=full_argv)
    except OSError as e:
        # No writable output directory: say so once and still run the target unobserved.
        sys.stderr.write("sampler.py: not sampling, cannot write to %r: %s\n" % (out, e))
    else:
        _ACTIVE["sampler"] = sampler
        sampler.start()
        os.environ[ENV_ACTIVE] = "1"
        _wrap_spawn()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_restart_after_fork)
    _run_target(mode, target, rest)


if __name__ == "__main__":
    main()
