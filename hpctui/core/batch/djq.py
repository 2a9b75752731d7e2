"""Importing dask-jobqueue from any thread.

dask-jobqueue 0.9's `runner.py` calls `signal.signal(SIGINT, ...)` when the package is
imported, and `signal.signal` raises ValueError outside the main thread. hpctui imports
dask-jobqueue lazily, in worker threads, so the first frame never waits for it. So the first
import goes through here: while it runs, a `signal.signal` call from a thread other than the
main one is skipped (it would fail anyway) instead of raising. The main thread's calls, and
every call after the import, are untouched.

The import also initialises distributed's logging, which attaches handlers writing to stderr;
an open `LibraryCapture` (hpctui.core.session.library_output) sets those aside at once.
"""

from __future__ import annotations

import importlib
import signal
import sys
import threading

_lock = threading.Lock()


def ensure_imported() -> None:
    """Import dask_jobqueue (once), whatever thread this is."""
    if "dask_jobqueue.runner" in sys.modules:
        return
    with _lock:
        if "dask_jobqueue.runner" in sys.modules:
            return
        try:
            _import()
        finally:
            from hpctui.core.session.library_output import adopt_new_handlers

            adopt_new_handlers()


def _import() -> None:
    if threading.current_thread() is threading.main_thread():
        importlib.import_module("dask_jobqueue")
        return
    original = signal.signal
    caller = threading.get_ident()

    def from_thread(signalnum, handler):
        if threading.get_ident() == caller:
            return signal.getsignal(signalnum)  # what a no-op install would return
        return original(signalnum, handler)

    signal.signal = from_thread
    try:
        importlib.import_module("dask_jobqueue")
    finally:
        signal.signal = original
