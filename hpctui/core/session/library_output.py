"""What distributed, tornado, asyncio and dask-jobqueue say while hpctui runs them, kept off
the terminal: their log records (WARNING and up) and Python warnings become
`LibraryMessage`s in memory, one line each, attributed to the library that said it.

Why: the scheduler runs in hpctui's own process, so everything these libraries log lands on
hpctui's terminal: over the TUI's screen, between doctor's report lines, in front of
`doctor --json`'s document. distributed attaches its own `StreamHandler(sys.stderr)` to its
loggers (and tornado's, and bokeh's) when it is imported (`distributed/config.py`,
`initialize_logging`), holding the stream it saw then, so redirecting `sys.stderr` is not
enough: for the duration of a `LibraryCapture` those handlers are set aside and one handler of
ours receives the records instead. Python warnings are redirected with
`warnings.catch_warnings()` (the user's filters still decide which are shown).

Everything is put back as it was on exit, including handlers a library added meanwhile (a
late `import distributed` from a worker thread: `adopt_new_handlers()`, called by the import
in `hpctui.core.batch.djq`, sets those aside too). Captures nest (the inner one keeps the
outer's messages apart); they are not meant to overlap in any other way.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

# Logger families whose records are captured (each name and everything under it).
LIBRARY_LOGGERS = ("distributed", "tornado", "asyncio", "dask_jobqueue", "dask", "bokeh")
KEEP = 500  # messages kept; a flood keeps its first ones and a count of the rest
_TEXT_MAX = 300

_active: list["LibraryCapture"] = []
_active_lock = threading.Lock()


@dataclass(frozen=True)
class LibraryMessage:
    """One thing a library logged or warned, reduced to one attributed line."""

    source: str  # the logger ("tornado.application"), or the warning's package ("distributed")
    level: str  # "WARNING", "ERROR", "CRITICAL"
    text: str  # the message, one line, object reprs cut off
    exception: str | None = None  # "RuntimeError: Command exited with non-zero exit code."
    origin: str = ""  # where it was raised: "distributed/node.py:195"
    category: str | None = None  # a warning's class ("UserWarning"); None for a log record
    at: float = 0.0  # time.monotonic() when it was said

    def summary(self) -> str:
        """`distributed/node.py:195 warned: UserWarning: Port 8787 is already in use. ...` or
        `tornado.application logged an error: Exception in callback X(): RuntimeError: ...`."""
        if self.category is not None:
            return f"{self.origin or self.source} warned: {self.category}: {self.text}"
        what = {"WARNING": "a warning", "ERROR": "an error"}.get(self.level,
                                                                 self.level.lower())
        tail = f": {self.exception}" if self.exception else ""
        return f"{self.source} logged {what}: {self.text}{tail}"


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _TEXT_MAX else text[:_TEXT_MAX - 1] + "…"


def _exception_line(exc: BaseException) -> str:
    """The exception's own line, as a traceback ends: `Type: first line of its message`."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0].strip()}" if lines else type(exc).__name__


def _log_text(message: str) -> str:
    """A log message without the object reprs tornado and asyncio put in it: `Exception in
    callback functools.partial(<bound method ...>, <Task ... coro=<X() ...>>)` becomes
    `Exception in callback X()`."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    coro = re.search(r"coro=<([\w.]+)\(", message)
    cut = re.split(r"\s(?:functools\.partial\(|<)", first, maxsplit=1)
    text = cut[0].rstrip(" :")
    if coro is not None and len(cut) > 1:
        text += f" {coro.group(1)}()"
    return _one_line(text)


def _origin(filename: str, lineno: int) -> str:
    """`.../site-packages/distributed/node.py`, 195 -> `distributed/node.py:195`."""
    path = filename.replace("\\", "/")
    for marker in ("/site-packages/", "/dist-packages/"):
        if marker in path:
            path = path.rsplit(marker, 1)[1]
            break
    else:
        path = "/".join(path.split("/")[-2:])
    return f"{path}:{lineno}"


def message_from_record(record: logging.LogRecord) -> LibraryMessage:
    """A log record as one attributed line (the traceback reduced to its last line)."""
    try:
        text = record.getMessage()
    except Exception:  # a library's bad format string must not break the capture
        text = str(record.msg)
    exc = record.exc_info[1] if record.exc_info else None
    return LibraryMessage(record.name, record.levelname, _log_text(text),
                          _exception_line(exc) if exc is not None else None,
                          _origin(record.pathname, record.lineno), None, time.monotonic())


def message_from_warning(message, category, filename: str, lineno: int) -> LibraryMessage:
    """A Python warning as one attributed line."""
    origin = _origin(filename, lineno)
    return LibraryMessage(origin.split("/")[0].split(":")[0], "WARNING", _one_line(str(message)),
                          None, origin, getattr(category, "__name__", str(category)),
                          time.monotonic())


class _Saved:
    """A logger's own state before the capture: what to put back."""

    def __init__(self, logger: logging.Logger) -> None:
        self.handlers = list(logger.handlers)
        self.propagate = logger.propagate


class _Handler(logging.Handler):
    def __init__(self, capture: "LibraryCapture") -> None:
        super().__init__(logging.WARNING)
        self._capture = capture

    def emit(self, record: logging.LogRecord) -> None:
        self._capture.add(message_from_record(record))


class LibraryCapture:
    """A context manager: while it is open, the libraries' log records (WARNING and up) and
    every Python warning become `LibraryMessage`s here instead of reaching stdout or stderr.

    `on_message` (optional) is called with each one, from whatever thread said it.
    """

    def __init__(self, on_message: Callable[[LibraryMessage], None] | None = None,
                 families: tuple[str, ...] = LIBRARY_LOGGERS) -> None:
        self.on_message = on_message
        self.families = families
        self.dropped = 0
        self._messages: list[LibraryMessage] = []
        self._lock = threading.Lock()
        self._handler = _Handler(self)
        self._saved: dict[str, _Saved] = {}
        self._warnings = None

    # -- what was said -------------------------------------------------------------------

    def add(self, message: LibraryMessage) -> None:
        with self._lock:
            if len(self._messages) < KEEP:
                self._messages.append(message)
            else:
                self.dropped += 1
        if self.on_message is not None:
            try:
                self.on_message(message)
            except Exception:  # a listener's bug must not turn into a library's traceback
                pass

    @property
    def messages(self) -> list[LibraryMessage]:
        with self._lock:
            return list(self._messages)

    def drain(self) -> list[LibraryMessage]:
        """The messages so far, forgetting them (a caller reading round by round)."""
        with self._lock:
            out, self._messages = self._messages, []
            return out

    def _showwarning(self, message, category, filename, lineno, file=None, line=None):
        self.add(message_from_warning(message, category, filename, lineno))

    # -- installing and restoring --------------------------------------------------------

    def _family(self, root: str) -> list[logging.Logger]:
        loggers = [logging.getLogger(root)]
        for name, obj in list(logging.Logger.manager.loggerDict.items()):
            if isinstance(obj, logging.Logger) and name.startswith(root + "."):
                loggers.append(obj)
        return loggers

    def adopt(self) -> None:
        """Set aside every handler of the families that is not ours, remembering it (and the
        logger's `propagate`) for the restore; records then flow up to our handler on each
        family's root. Called on entry, and again when a library added handlers since."""
        for root in self.families:
            for logger in self._family(root):
                is_root = logger.name == root
                saved = self._saved.get(logger.name)
                foreign = [h for h in logger.handlers if h is not self._handler]
                if saved is None:
                    self._saved[logger.name] = _Saved(logger)
                    self._saved[logger.name].handlers = foreign
                else:  # added while we were capturing: they stay after the restore
                    saved.handlers += [h for h in foreign if h not in saved.handlers]
                    if logger.propagate != (not is_root):
                        saved.propagate = logger.propagate
                logger.handlers = [self._handler] if is_root else []
                logger.propagate = not is_root

    def restore(self) -> None:
        for name, saved in self._saved.items():
            logger = logging.getLogger(name)
            later = [h for h in logger.handlers
                     if h is not self._handler and h not in saved.handlers]
            logger.handlers = saved.handlers + later
            logger.propagate = saved.propagate
        self._saved.clear()

    def __enter__(self) -> "LibraryCapture":
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.showwarning = self._showwarning
        with _active_lock:
            self.adopt()
            _active.append(self)
        return self

    def __exit__(self, *exc_info) -> None:
        with _active_lock:
            if self in _active:
                _active.remove(self)
            self.restore()
            if _active:  # handlers a library added meanwhile are set aside by the outer one
                _active[-1].adopt()
        if self._warnings is not None:
            self._warnings.__exit__(*exc_info)
            self._warnings = None


def adopt_new_handlers() -> None:
    """After a library import that may have attached its own handlers (distributed's
    `initialize_logging`): the innermost open capture sets them aside too."""
    with _active_lock:
        if _active:
            _active[-1].adopt()
