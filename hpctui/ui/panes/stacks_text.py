"""The stacks pane's text: the current stack, the hot-frames tree, the hot path, share bars and
each process's state marker. Pure functions over samples, so they are tested without a screen.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from hpctui.core.stacks import hangsites
from hpctui.core.stacks.samples import Frame, Sample, StacksSummary

STACK_FRAMES = 12  # innermost frames of the current stack shown (the outer ones are runpy & co)
TREE_ROOTS = 6  # innermost frames listed in the hot view
TREE_DEPTH = 3  # callers shown under each
TREE_CHILDREN = 2  # callers per frame
BAR = 10  # cells of the share bar
HOT_PATH_FRAMES = 4  # innermost frames of the hot path shown
NO_SAMPLES = ("no stack samples yet: connected workers appear here live (l); press s to sample "
              "the workers from their start (next apply)")


@dataclass(frozen=True)
class TreeLine:
    """One line of the hot-frames tree: `depth` 0 is an innermost frame, deeper are its callers."""

    depth: int
    frame: str
    count: int
    share: float  # of the window's samples


def hot_tree(samples: list[Sample], roots: int = TREE_ROOTS, depth: int = TREE_DEPTH,
             children: int = TREE_CHILDREN, expand_min: float = 0.05) -> list[TreeLine]:
    """The window's samples as an inverted call tree: the innermost frames where the process
    spends its samples, most first, each followed by the callers that lead there (only for
    the first and for those with at least `expand_min` of the samples: callers of a 1% frame
    are noise)."""
    total = len(samples)
    if not total:
        return []
    stacks = Counter(tuple(fr.short() for fr in reversed(s.stack)) for s in samples if s.stack)
    lines: list[TreeLine] = []

    def walk(prefix: tuple[str, ...], limit: int) -> None:
        level = len(prefix)
        counts: Counter = Counter()
        for stack, n in stacks.items():
            if len(stack) > level and stack[:level] == prefix:
                counts[stack[level]] += n
        # Ties broken by name so the view doesn't reshuffle between identical polls.
        for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]:
            lines.append(TreeLine(level, name, n, n / total))
            if level + 1 < depth and (level or not lines[:-1] or n / total >= expand_min):
                walk(prefix + (name,), children)

    walk((), roots)
    return lines


def hot_path(samples: list[Sample], min_share: float = 0.5) -> list[TreeLine]:
    """The call path most samples go through, outermost first: from the outermost frame, follow
    the most common callee while it still holds `min_share` of the samples. Its last frame is
    where the time goes even when the innermost frames all differ (imports of many modules)."""
    total = len(samples)
    stacks = [tuple(fr.short() for fr in s.stack) for s in samples if s.stack]
    path: list[TreeLine] = []
    level = 0
    while True:
        counts = Counter(st[level] for st in stacks if len(st) > level)
        if not counts:
            break
        name, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if n / total < min_share:
            break
        path.append(TreeLine(level, name, n, n / total))
        stacks = [st for st in stacks if len(st) > level and st[level] == name]
        level += 1
    return path


def bar(share: float, width: int = BAR) -> str:
    """A share as a bar of block characters (eighths), padded to `width`."""
    eighths = round(share * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (" ▏▎▍▌▋▊▉"[part] if part else "")
    return text[:width].ljust(width)


def stack_lines(stack: tuple[Frame, ...], limit: int = STACK_FRAMES) -> list[str]:
    """The stack outermost first (as a traceback), only its `limit` innermost frames."""
    lines = [fr.short() for fr in stack[-limit:]]
    hidden = len(stack) - len(lines)
    return ([f"… {hidden} outer frame{'s' if hidden != 1 else ''}"] if hidden else []) + lines


def state_marker(summary: StacksSummary, findings: list[hangsites.Finding]) -> str:
    """"✗" known hang site, "!" stuck elsewhere or slow, "?" a live worker not answering,
    "·" ended, "✓" nothing seen."""
    if any(f.fixes and f.site != "stuck" for f in findings) and summary.stuck is not None:
        return "✗"
    if any(f.site == "no-answer" for f in findings):
        return "?"
    if findings:
        return "!"
    if summary.file.ended is not None:
        return "·"
    return "✓"
