"""Fitting a table's columns into the width it has: pure logic, no widgets.

Each table declares its columns with a priority (0 = the most important). Columns are
sized from their content; when the whole does not fit, the least important columns are
given up first, then values that may be cut are cut at a word's end with `…` (never mid-word),
never a header. A column that must show whole (`whole=True`: elapsed times, ids) is given
up rather than cut. The cursor row's detail line shows what was cut or left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len

ELLIPSIS = "…"
# A value may be cut after a space, or after these (a path's `/`, a list's `,`): the
# characters inside host names, addresses and numbers (`.`, `-`, `:`) are not word ends.
BREAK_AFTER = frozenset("/,;=")


@dataclass(frozen=True)
class Column:
    """One column: its header, its priority (0 is kept longest), whether its values
    must show whole (else they may be cut with `…`), and the fewest cells it is worth
    showing at when cut (besides its header's width)."""

    name: str
    priority: int = 0
    whole: bool = False
    min_width: int = 0
    keep_tail: bool = False  # cut the start instead (dotted key names: "…timeouts.connect")


# Where a dotted or dashed name may be cut from its start (`keep_tail`).
TAIL_BREAK_BEFORE = frozenset(".-_/")


def cut_tail(value: str, width: int) -> str:
    """`value` if it fits; else `…` and its longest end starting after a `.`, `-`, `_` or
    `/` that fits (just `…` when not even the last part does)."""
    if cell_len(value) <= width:
        return value
    if width <= 0:
        return ""
    best = len(value)
    for i in range(len(value) - 1, 0, -1):
        if cell_len(value[i:]) + 1 > width:
            break
        if value[i - 1] in TAIL_BREAK_BEFORE:
            best = i
    return ELLIPSIS + value[best:]


def last_part_width(value: str) -> int:
    """Cells of `…` and `value`'s last part (see cut_tail): the least a tail cut shows."""
    for i in range(len(value) - 1, 0, -1):
        if value[i - 1] in TAIL_BREAK_BEFORE:
            return min(cell_len(value), cell_len(value[i:]) + 1)
    return cell_len(value)


def cut_to(column: Column, value: str, width: int) -> str:
    """`value` cut the column's way."""
    return cut_tail(value, width) if column.keep_tail else cut(value, width)


def natural_widths(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> list[int]:
    """Each column's width showing its header and every value of `rows` whole."""
    widths = [cell_len(c.name) for c in columns]
    for row in rows:
        for i, value in enumerate(row):
            n = cell_len(value)
            if n > widths[i]:
                widths[i] = n
    return widths


def first_word_width(value: str) -> int:
    """Cells of `value`'s first word with the `…` after it (the value's width when it is
    one word): the least a cut can show of it."""
    for i, ch in enumerate(value):
        if ch in BREAK_AFTER or (ch == " " and i > 0):
            kept = value[:i + 1] if ch in BREAK_AFTER else value[:i]
            return min(cell_len(value), cell_len(kept) + 1)
    return cell_len(value)


# A first word wider than this does not widen its column's floor: such a value shows as `…`
# in a narrow column (whole on the detail line) rather than crowding out the other columns;
# room left over goes first to showing such words whole.
WORD_FLOOR_MAX = 8


def word_widths(rows: Sequence[Sequence[str]], count: int,
                columns: Sequence[Column] = ()) -> list[int]:
    """Per column, the widest first word among `rows` (see first_word_width; the last part
    for a `keep_tail` column)."""
    widths = [0] * count
    tails = [bool(columns) and columns[i].keep_tail for i in range(count)]
    for row in rows:
        for i, value in enumerate(row):
            n = last_part_width(value) if tails[i] else first_word_width(value)
            if n > widths[i]:
                widths[i] = n
    return widths


def _floor(column: Column, natural: int, word: int) -> int:
    """The narrowest the column may be drawn: whole values, or its header, min_width and
    every value's first word (a value is cut after a word, so one-word values show whole;
    a `keep_tail` name is cut before its last parts instead)."""
    if column.whole:
        return natural
    if column.keep_tail or word > WORD_FLOOR_MAX:
        word = 0  # a name cut from its start keeps its last parts, enough to tell it
    return min(natural, max(cell_len(column.name), column.min_width, word, 1))


def fit_widths(columns: Sequence[Column], natural: Sequence[int], available: int,
               padding: int = 2, words: Sequence[int] | None = None) -> list[int]:
    """Widths for `columns` (0: given up) within `available` cells, each shown column
    taking `padding` more; `words` from word_widths. Least important columns go first;
    then the room left is given back most important first, up to each natural width."""
    shown = sorted(range(len(columns)), key=lambda i: (columns[i].priority, i))
    words = words if words is not None else [0] * len(columns)
    floors = [_floor(c, n, w) for c, n, w in zip(columns, natural, words)]

    def need(indices: Sequence[int]) -> int:
        return sum(floors[i] + padding for i in indices)

    while len(shown) > 1 and need(shown) > available:
        shown.pop()  # the least important (and, among equals, the rightmost)
    widths = [0] * len(columns)
    for i in shown:
        widths[i] = floors[i]
    room = available - need(shown)
    # First the words (most important first, each only if its widest first word then fits
    # whole: a wider `…` shows nothing more), then the rest up to the natural widths, to
    # `keep_tail` names last (cut from the start, a name still reads; a cut value less so).
    for i in shown:
        want = min(natural[i], floors[i] if columns[i].keep_tail else max(words[i], floors[i]))
        if 0 < want - widths[i] <= room:
            room -= want - widths[i]
            widths[i] = want
    for i in sorted(shown, key=lambda i: columns[i].keep_tail):  # stable: priority kept
        grow = max(0, min(room, natural[i] - widths[i]))
        widths[i] += grow
        room -= grow
    return widths


def cut(value: str, width: int) -> str:
    """`value` if it fits in `width` cells; else its longest start ending at a word's end
    that fits with `…` after it (just `…` when not even the first word does)."""
    if cell_len(value) <= width:
        return value
    if width <= 0:
        return ""
    best = 0
    used = 0
    for i, ch in enumerate(value):
        if ch == " " and i > 0 and used + 1 <= width:  # what is before the space fits
            best = len(value[:i].rstrip())
        used += cell_len(ch)
        if used + 1 > width:
            break
        if ch in BREAK_AFTER:
            best = i + 1
    return value[:best] + ELLIPSIS


def cut_length(value: str, width: int) -> int:
    """How many characters of `value` `cut(value, width)` keeps (len(value) when whole)."""
    text = cut(value, width)
    return len(value) if text == value else len(text) - 1


def hidden_parts(columns: Sequence[Column], widths: Sequence[int],
                 row: Sequence[str]) -> list[tuple[str, str]]:
    """(header, whole value) of a row's values that are cut or left out at `widths`."""
    parts = []
    for column, width, value in zip(columns, widths, row):
        if value and (width == 0 or cell_len(value) > width):
            parts.append((column.name, value))
    return parts


def detail_text(columns: Sequence[Column], widths: Sequence[int],
                row: Sequence[str]) -> str:
    """The detail line for a row: each value cut or left out, whole ("" when none is)."""
    return "  ·  ".join(f"{name}: {value}" for name, value in hidden_parts(columns, widths, row))
