"""A log line as the Logs pane shows it by default: distributed's records made short.

distributed writes `2026-12-05 07:20:39,034 - distributed.worker - INFO -       Threads:   1`,
padded with runs of spaces and dashes so a start-up banner lines up in a wide terminal. In a
pane 40-60 columns wide that wraps every line into three or four rows. The compact form keeps
what the eye needs: `07:20:39 I worker Threads: 1` (the date only when it changes, one letter
for the level, the logger's last part, padding collapsed). The lines of a traceback logged
under a record are indented beneath it; any other line is shown as it is.

Pure: the pane feeds lines in order through one `CompactState`, so the date and the
traceback context follow the lines shown (a filter changes which lines those are). The raw
text is never changed: filter and search run on it, and the raw view shows it as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# distributed's default format: "%(asctime)s - %(name)s - %(levelname)s - %(message)s".
_RECORD = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:[,.]\d+)? - (\S+) - "
    r"(CRITICAL|ERROR|WARNING|INFO|DEBUG) - ?(.*)$"
)
LEVEL_LETTERS = {"CRITICAL": "C", "ERROR": "E", "WARNING": "W", "INFO": "I", "DEBUG": "D"}

_SPACES = re.compile(r"\s{2,}")
_DASHES = re.compile(r"-{4,}")
DASH_RUN = "---"  # what a run of padding dashes (the banner's rule) becomes

# Lines that belong to the record above them: a traceback and its chained ones, indented
# frames and source lines, and the exception line that ends it.
_TRACEBACK_START = re.compile(
    r"^(Traceback \(most recent call last\):"
    r"|During handling of the above exception"
    r"|The above exception was the direct cause)"
)
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Warning|Exit|Interrupt)\b")
CONTINUATION_INDENT = "  "  # cells a continuation line is moved right, under its record


@dataclass(frozen=True)
class CompactLine:
    """One line, compact. `kind` is "record" (distributed's format), "continuation" (a line
    of a traceback under a record) or "other" (shown as written)."""

    kind: str
    text: str  # the compact text (for "other": the raw line)
    date: str = ""  # "YYYY-MM-DD" when it differs from the line before, else ""
    time: str = ""  # "HH:MM:SS"
    level: str = ""  # distributed's level name, "" if not a record
    logger: str = ""  # the logger's last part ("worker", "nanny", "core")
    message: str = ""


@dataclass
class CompactState:
    """What one line's rendering needs from the lines before it."""

    last_date: str = ""
    after_record: bool = False  # the line before was a record or one of its continuations
    in_traceback: bool = False

    def reset(self) -> None:
        self.last_date, self.after_record, self.in_traceback = "", False, False


def collapse(message: str) -> str:
    """A record's message with padding collapsed: runs of spaces to one, of dashes to three."""
    message = _DASHES.sub(DASH_RUN, message)
    return _SPACES.sub(" ", message).strip()


def logger_part(name: str) -> str:
    """The last dotted part of a logger's name (`distributed.worker.memory` -> `memory`)."""
    return name.rsplit(".", 1)[-1] or name


def compact(raw: str, state: CompactState) -> CompactLine:
    """`raw` in its compact form; updates `state` for the next line."""
    m = _RECORD.match(raw)
    if m:
        date, time, name, level, message = m.groups()
        shown_date = date if date != state.last_date else ""
        state.last_date = date
        state.after_record, state.in_traceback = True, False
        logger, message = logger_part(name), collapse(message)
        head = f"{shown_date} {time}" if shown_date else time
        text = f"{head} {LEVEL_LETTERS[level]} {logger} {message}".rstrip()
        return CompactLine("record", text, shown_date, time, level, logger, message)
    if state.after_record and _continues(raw, state):
        return CompactLine("continuation", (CONTINUATION_INDENT + raw).rstrip())
    state.after_record, state.in_traceback = False, False
    return CompactLine("other", raw)


def _continues(raw: str, state: CompactState) -> bool:
    """True when `raw`, following a record, is part of what that record logged."""
    if _TRACEBACK_START.match(raw):
        state.in_traceback = True
        return True
    if not raw.strip() or raw[:1].isspace():
        # A frame, a source line, an indented part of a multi-line message, or the blank
        # line between chained tracebacks.
        return True
    if state.in_traceback and _EXCEPTION_LINE.match(raw):
        state.in_traceback = False  # the exception line ends the traceback (or a chained one)
        return True
    return False
