"""Nothing left behind: cancel this process's jobs on every way out, and find those of dead ones.

Jobs cost the user's allocation, so every exit cancels them: close, SIGTERM, SIGHUP (the SSH
connection dropped), an unhandled exception and a plain interpreter exit. The cancel here is
synchronous (the kind's cancel command run with a timeout, or a signal to a local job's process
group) because on those paths the session's event loop may be dead or about to be.

Against `kill -9`, which no handler sees, each session keeps a record of its job ids in the
state directory (`$HPCTUI_STATE_DIR`, else `~/.local/state/hpctui`); `find_leftovers()` on the
next start returns the records of processes that are gone, and `cancel_leftovers()` cancels them.
"""

from __future__ import annotations

import atexit
import json
import os
import shlex
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hpctui.core.batch.commands import run_command
from hpctui.core.batch.kinds import get_kind

CANCEL_TIMEOUT = 10.0


def state_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Where hpctui keeps its state: the argument, `$HPCTUI_STATE_DIR`, or ~/.local/state/hpctui."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("HPCTUI_STATE_DIR")
    if env:
        return Path(env)
    return Path.home() / ".local" / "state" / "hpctui"


def _records_dir(base: str | os.PathLike | None) -> Path:
    return state_dir(base) / "sessions"


# ---------------------------------------------------------------------- cancelling


@dataclass(frozen=True)
class CancelResult:
    """What a synchronous cancel did."""

    kind: str
    job_ids: tuple[str, ...]
    ok: bool
    detail: str  # the command's error line, "" when it went fine


def cancel_jobs_now(kind: str, job_ids: list[str] | tuple[str, ...],
                    timeout: float = CANCEL_TIMEOUT) -> CancelResult:
    """Cancel `job_ids` synchronously with the kind's cancel command (one call for all)."""
    ids = tuple(str(j) for j in job_ids if j)
    if not ids:
        return CancelResult(kind, ids, True, "")
    if kind == "local":
        from hpctui.core.batch.localjob import cancel_local_job

        # A job already gone is fine: it is not running, which is all cancelling asks.
        for j in ids:
            cancel_local_job(j)
        return CancelResult(kind, ids, True, "")
    argv = shlex.split(get_kind(kind).cancel_command) + list(ids)
    result = run_command(argv, timeout=timeout)
    # scancel & co. exit non-zero when some ids already finished; the others were still cancelled.
    return CancelResult(kind, ids, result.ok, result.describe())


# ---------------------------------------------------------------------- the record


@dataclass(frozen=True)
class Leftover:
    """Jobs recorded by an hpctui process that is gone without cancelling them."""

    kind: str
    job_ids: tuple[str, ...]
    pid: int
    host: str
    started: float  # time.time() of that session's start
    record: Path


class JobRecord:
    """This session's job ids, on disk, rewritten atomically at each change."""

    def __init__(self, kind: str, base: str | os.PathLike | None = None) -> None:
        self.kind = kind
        self.started = time.time()
        d = _records_dir(base)
        self.path = d / f"{socket.gethostname()}-{os.getpid()}-{int(self.started * 1000)}.json"
        self._ids: list[str] = []
        self._lock = threading.Lock()

    def set_kind(self, kind: str) -> None:
        with self._lock:
            self.kind = kind
            self._write()

    def add(self, job_id: str) -> None:
        with self._lock:
            if job_id not in self._ids:
                self._ids.append(job_id)
                self._write()

    def remove(self, job_ids: list[str] | tuple[str, ...]) -> None:
        with self._lock:
            self._ids = [j for j in self._ids if j not in set(job_ids)]
            self._write()

    def job_ids(self) -> list[str]:
        with self._lock:
            return list(self._ids)

    def delete(self) -> None:
        with self._lock:
            self._ids = []
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass

    def _write(self) -> None:
        if not self._ids:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"kind": self.kind, "job_ids": self._ids, "pid": os.getpid(),
                                   "host": socket.gethostname(), "started": self.started}))
        os.replace(tmp, self.path)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def find_leftovers(base: str | os.PathLike | None = None) -> list[Leftover]:
    """Records of this host's hpctui processes that are gone and left jobs behind."""
    out = []
    d = _records_dir(base)
    if not d.is_dir():
        return out
    here = socket.gethostname()
    for p in sorted(d.glob("*.json")):
        try:
            data = json.loads(p.read_text())
            lo = Leftover(kind=str(data["kind"]), job_ids=tuple(str(j) for j in data["job_ids"]),
                          pid=int(data["pid"]), host=str(data["host"]),
                          started=float(data["started"]), record=p)
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a half-written or foreign file: not ours to act on
        # A record from another login node can't be judged by pid; offer it anyway only if
        # it is ours, i.e. same host and the process is gone.
        if lo.host == here and (lo.pid == os.getpid() or _pid_alive(lo.pid)):
            continue
        if lo.host != here:
            continue
        out.append(lo)
    return out


def cancel_leftovers(leftovers: list[Leftover],
                     timeout: float = CANCEL_TIMEOUT) -> list[CancelResult]:
    """Cancel each leftover's jobs; its record is removed once the cancel command succeeded."""
    results = []
    for lo in leftovers:
        r = cancel_jobs_now(lo.kind, lo.job_ids, timeout)
        results.append(r)
        if r.ok:
            try:
                lo.record.unlink()
            except FileNotFoundError:
                pass
    return results


# ---------------------------------------------------------------------- exit paths

# Each live session registers a function that cancels its jobs synchronously and returns.
_FUNCS: dict[int, Callable[[str], None]] = {}
_installed = False
_signals_installed = False
_lock = threading.Lock()


def register(owner: object, cancel: Callable[[str], None]) -> Callable[[], None]:
    """Have `cancel(why)` run on SIGTERM, SIGHUP, an unhandled exception and interpreter exit.
    Installs the handlers the first time (signal handlers only when called on the main thread).
    Returns a function that unregisters (call it once the session closed cleanly)."""
    key = id(owner)
    with _lock:
        _FUNCS[key] = cancel
        _install()

    def unregister() -> None:
        with _lock:
            _FUNCS.pop(key, None)

    return unregister


def run_all(why: str) -> None:
    """Run every registered canceller once (each unregisters itself by being popped)."""
    with _lock:
        funcs = list(_FUNCS.values())
        _FUNCS.clear()
    for f in funcs:
        try:
            f(why)
        except Exception as e:  # one failing cancel must not stop the next
            print(f"hpctui: cancelling jobs on {why} failed: {e}", file=sys.stderr)


def _install() -> None:
    global _installed, _signals_installed
    if not _installed:
        _installed = True
        atexit.register(run_all, "exit")
        prev_hook = sys.excepthook

        def excepthook(tp, value, tb):
            run_all("unhandled exception")
            prev_hook(tp, value, tb)

        sys.excepthook = excepthook
    # Python only lets the main thread set signal handlers: a session made on another thread
    # still gets them from the first one made on the main thread.
    if not _signals_installed and threading.current_thread() is threading.main_thread():
        _signals_installed = True
        for sig in (signal.SIGTERM, signal.SIGHUP):
            _chain_signal(sig)


def _chain_signal(sig: int) -> None:
    prev = signal.getsignal(sig)

    def handler(signum, frame):
        run_all(signal.Signals(signum).name)
        if callable(prev):
            prev(signum, frame)
        elif prev != signal.SIG_IGN:
            # Die of the signal as the default would have, so the parent sees why.
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

    signal.signal(sig, handler)
