"""One log line as the Logs pane draws it: compact or raw, coloured by level, marked.

Compact (the default): `▶07:20:39 I worker message  ← mark`, the level also as a letter so
it reads with NO_COLOR; a traceback's lines indented under their record; anything else as
written. Raw: `▶ err│` and the line exactly as written. Both classify the raw text, and show
only the marks still true for the job (`hpctui.core.logs.marks.in_force`).
"""

from __future__ import annotations

from rich.text import Span, Text

from hpctui.core.logs.compact import LEVEL_LETTERS, CompactState, compact
from hpctui.core.logs.marks import Level, LogMark, classify_line, in_force

RAW_PREFIX_CELLS = 6  # "▶ err│": wrapped rows start under the text, not under the prefix
MARK_CELLS = 1  # "▶" (or a space): the compact view's only prefix, a column of its own
TIME_CELLS = 9  # "HH:MM:SS ": a record's wrapped rows start under its message's first cells

_LINE_STYLE = {Level.ERROR: "bold red", Level.WARNING: "yellow"}
_LETTER_STYLE = {"CRITICAL": "bold red", "ERROR": "bold red", "WARNING": "bold yellow",
                 "INFO": "green", "DEBUG": "dim"}


def compact_indent() -> int:
    """Cells a compact line's wrapped rows are indented: past the mark and the time."""
    return MARK_CELLS + TIME_CELLS


def styled_line(stream: str, text: str, state: CompactState | None = None,
                connected: bool = False) -> tuple[Text, tuple[LogMark, ...]]:
    """(the line as drawn, the marks shown on it). `state` given: compact, else raw;
    `connected`: a worker of the line's job is connected now."""
    cls = in_force(classify_line(text), connected)
    style = _LINE_STYLE.get(cls.level, "")
    if state is None:
        prefix = "▶ " if cls.matters else "  "
        line = Text(prefix + ("err│" if stream == "err" else "out│") + text, style=style)
    else:
        line = _compact_text("▶" if cls.matters else " ", text, state, style)
    if cls.matters:
        line.append("  ← " + ", ".join(m.name for m in cls.marks), style="bold")
    return line, cls.marks


def _compact_text(prefix: str, text: str, state: CompactState, style: str) -> Text:
    c = compact(text, state)
    if c.kind != "record":
        return Text(prefix + c.text, style=style)
    # One string and its spans: a Text built by appending costs twice as much, per line drawn.
    head = f"{prefix}{c.date} {c.time} " if c.date else f"{prefix}{c.time} "
    letter = len(head)
    logger_end = letter + 2 + len(c.logger)
    spans = [Span(len(prefix), letter, "dim"), Span(letter, letter + 1, _LETTER_STYLE[c.level]),
             Span(letter + 2, logger_end, style or "cyan")]
    return Text(f"{head}{LEVEL_LETTERS[c.level]} {c.logger} {c.message}", style=style,
                spans=spans)
