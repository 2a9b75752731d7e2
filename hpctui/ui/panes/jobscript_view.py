"""The job script pane's one view: the script as it will be submitted, header lines in place.

The lines of the pending script in order, with the header lines (directives) selectable and
the skipped ones struck through where they would have been, the added ones marked `+`, the
lines a rejection named marked `!`; the rest of the script (shebang, prologue, the worker's
command) is shown dimmed and cannot be selected. `rows` maps each shown line back to its
header line. The diff since the last apply is a separate view (`v` in the pane).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.widgets.option_list import Option

from hpctui.core.config.validate import Problem
from hpctui.core.jobscript.header_view import HeaderLine
from hpctui.core.jobscript.rejection import lines_mentioned

_MARKS = {"generated": "  ", "skipped": "✗ ", "added": "+ "}
DIFF_STYLE = {"+": "$text-success", "-": "$text-error", " ": ""}


def header_prompt(line: HeaderLine, flagged: bool = False,
                  problem_keys: tuple[str, ...] = ()) -> Content:
    """One header line as the view shows it: a marker, the text, why it is so, and the keys
    whose validation problems point at it ("✗ walltime")."""
    mark = "! " if flagged and line.state == "generated" else _MARKS[line.state]
    problems = Content.styled(f"  ✗ {', '.join(problem_keys)}", "$text-error") \
        if problem_keys else Content("")
    if line.state == "skipped":
        by = ", ".join(repr(s) for s in line.skipped_by)
        return Content.assemble((mark + line.text, "$text-muted strike"),
                                (f"  skipped by {by}", "$text-muted"), problems)
    if line.state == "added":
        return Content.assemble((mark + line.text, "$text-success"),
                                ("  added", "$text-muted"), problems)
    return Content.assemble(Content.styled(mark + line.text,
                                           "$text-warning bold" if flagged else ""), problems)


def problem_keys_by_line(header: list[HeaderLine], problems: list[Problem]) -> dict[int, tuple]:
    """For each header line, the keys of the errors whose message points at it (the same
    loose matching the rejection view uses: "walltime" -> the `-t` line)."""
    texts = [h.text for h in header]
    found: dict[int, list[str]] = {}
    for problem in problems:
        if problem.severity != "error":
            continue
        for index in lines_mentioned(problem.message, texts):
            found.setdefault(index, [])
            if problem.key not in found[index]:
                found[index].append(problem.key)
    return {i: tuple(keys) for i, keys in found.items()}


@dataclass(frozen=True)
class Row:
    """One shown line: a header line (`header` is its index) or another script line."""

    header: int | None
    text: str


def one_view(script: str, header: list[HeaderLine]) -> list[Row]:
    """The script's lines in order with each header line in its place; a skipped line where
    it was generated (just before the next line kept), a header line the script does not
    contain (an error rendering it) after the lines before it."""
    lines = script.splitlines()
    rows: list[Row] = []
    at = 0
    for index, line in enumerate(header):
        found = -1
        if line.state != "skipped":
            try:
                found = lines.index(line.text, at)
            except ValueError:
                found = -1
        if found >= 0:
            rows.extend(Row(None, t) for t in lines[at:found])
            at = found + 1
        rows.append(Row(index, line.text))
    rows.extend(Row(None, t) for t in lines[at:])
    return rows


def options(rows: list[Row], header: list[HeaderLine], flagged: set[str],
            pointed: dict[int, tuple]) -> list[Option]:
    """The OptionList's options for `rows`: header lines selectable, the rest disabled."""
    out = []
    for row in rows:
        if row.header is None:
            out.append(Option(Content.styled("  " + row.text, "$text-muted"), disabled=True))
        else:
            h = header[row.header]
            out.append(Option(header_prompt(h, h.text in flagged, pointed.get(row.header, ()))))
    return out
