"""Finding quoted evidence in the signals: regular expressions over every text source, with where each line came from.

Patterns are compiled case-insensitive by the rules; versions of distributed and of each batch
system word things a little differently, so rules search loosely and quote the line as it is.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

from hpctui.core.diagnosis.finding import Evidence
from hpctui.core.diagnosis.signals import Signals

MAX_QUOTES = 3  # evidence lines kept per pattern and source: enough to show, short to read


def rx(*patterns: str) -> re.Pattern:
    """One case-insensitive pattern matching any of `patterns`."""
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I)


def worker_lines(s: Signals) -> Iterator[tuple[Evidence, str | None]]:
    """Every worker log line as evidence (with its job id)."""
    for log in s.worker_logs:
        for number, text in enumerate(log.lines, 1):
            yield Evidence(f"worker log {log.source}", text.rstrip("\n"), number), log.job_id


def submit_lines(s: Signals) -> Iterator[Evidence]:
    """Lines of every rejected submission's stderr, then stdout."""
    for rej in s.submit_failures:
        cmd = rej.command.split()[0] if rej.command.split() else "submit command"
        cmd = cmd.rsplit("/", 1)[-1]
        for stream, text in (("stderr", rej.stderr), ("stdout", rej.stdout)):
            for line in text.splitlines():
                if line.strip():
                    yield Evidence(f"{cmd} {stream}", line.strip())


def error_lines(s: Signals) -> Iterator[Evidence]:
    """Lines of errors raised in hpctui's process, and the scheduler's log lines."""
    for err in s.errors:
        for line in err.splitlines():
            if line.strip():
                yield Evidence("hpctui", line.strip())
    for line in s.scheduler_log:
        if line.strip():
            yield Evidence("scheduler log", line.rstrip("\n"))


def grep(lines: Iterable[Evidence], pattern: re.Pattern, limit: int = MAX_QUOTES) -> list[Evidence]:
    """The first `limit` lines matching `pattern` per source."""
    found: list[Evidence] = []
    per_source: dict[str, int] = {}
    for ev in lines:
        if pattern.search(ev.text):
            if per_source.get(ev.source, 0) < limit:
                found.append(ev)
            per_source[ev.source] = per_source.get(ev.source, 0) + 1
    return found


def grep_workers(s: Signals, pattern: re.Pattern, limit: int = MAX_QUOTES) -> list[Evidence]:
    return grep((ev for ev, _ in worker_lines(s)), pattern, limit)


def grep_all(s: Signals, pattern: re.Pattern, limit: int = MAX_QUOTES) -> list[Evidence]:
    """Matches in every text source: worker logs, submission output, hpctui's errors."""
    return (grep_workers(s, pattern, limit) + grep(submit_lines(s), pattern, limit)
            + grep(error_lines(s), pattern, limit))
