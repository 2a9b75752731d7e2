"""Checking each `job-directives-skip` entry against the header lines it removes.

dask-jobqueue drops every generated header line that contains an entry anywhere, and keeps
doing so as values change: an entry that was right when written can grow to remove a line
nobody meant to skip (`'0'` chosen for `#SBATCH -t 00:30:00` also removes `#SBATCH --mem=10G`
once the memory is 10 GB), and the job then runs with the site's default for it, silently.
So every time the script is rendered, each entry is held against the lines dask-jobqueue
generates for the profile with no skip at all (those a skip can remove), and two things are
reported:

- an entry that removes lines with more than one distinct option (`-t` and `--mem`; `-l
  select` and `-l walltime` are distinct too, they ask for different things);
- an entry that removes nothing (stale: harmless today, but still matched against every line
  a later value produces).

The check is stateless: it knows nothing of how an entry was chosen, so hand-written entries
get the same treatment. Which line an entry was meant for is told only when the entry starts
where one option starts and covers its name (`-t` at `#SBATCH -t`, not inside
`--cpus-per-task`); the fix is then that option's own entry. Otherwise the fix is to remove
the entry, with the narrower entries to choose from. Pure; no Textual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from hpctui.core.config.profile import Profile
from hpctui.core.jobscript.render import skippable_header_lines
from hpctui.core.jobscript.skip_entry import choose_entry, parse_directive

STALE = "stale"  # removes no header line
TOO_BROAD = "too-broad"  # removes lines with more than one distinct option


@dataclass(frozen=True)
class Narrower:
    """An entry that removes `line` alone, prefix and option first."""

    entry: str
    line: str


@dataclass(frozen=True)
class SkipIssue:
    """One `job-directives-skip` entry that does not do what an entry should."""

    entry: str
    problem: str  # STALE or TOO_BROAD
    removes: tuple[str, ...]  # the generated header lines it removes, in header order
    meant: tuple[str, ...]  # the lines it is aimed at, when that can be told; else ()
    narrower: tuple[Narrower, ...]  # per removed line, the entry that removes it alone
    kind: str = ""

    @property
    def replacement(self) -> tuple[Narrower, ...]:
        """The entries that take this one's place in the fix (empty: it is just removed)."""
        return tuple(n for n in self.narrower if n.line in self.meant)

    def summary(self) -> str:
        """The problem and its fix on one line, naming the key, the entry and the lines."""
        head = f"job-directives-skip: {self.entry!r}"
        if self.problem == STALE:
            if self.kind == "htcondor":
                return (f"{head} is not a submit key dask-jobqueue generates, so it cannot "
                        "build the job script; remove it")
            return (f"{head} removes no header line; remove it (dask-jobqueue matches it "
                    "against every header line it generates, so it may start removing one "
                    "when a value changes)")
        lines = ", ".join(repr(line) for line in self.removes)
        head = f"{head} removes {len(self.removes)} header lines with different options: {lines}"
        if self.replacement:
            return (f"{head}; it is aimed at {' and '.join(map(repr, self.meant))}: use "
                    f"{' and '.join(repr(n.entry) for n in self.replacement)} instead, which removes only that")
        choices = " or ".join(f"{n.entry!r} for {n.line!r}" for n in self.narrower)
        return (f"{head}; remove it and skip only the line you meant"
                + (f" ({choices})" if choices else ""))


def removes(kind: str, entry: str, lines: list[str]) -> list[str]:
    """The lines `entry` removes, by dask-jobqueue's rule (HTCondor: the key equal to it)."""
    if kind == "htcondor":
        return [line for line in lines if line.split(" = ", 1)[0].strip() == entry]
    return [line for line in lines if entry in line]


def _aim(kind: str, entry: str, line: str) -> int:
    # 2: the entry starts where the prefix, the option or its resource starts and covers
    # that name; 1: it starts there but stops inside the name; 0: it sits in a value or
    # in the middle of another option ("-t" inside "--cpus-per-task").
    d = parse_directive(kind, line)
    if d is None or not d.prefix:
        return 0
    option_at = line.index(d.option, len(d.prefix))
    anchors = {0: option_at + len(d.option), option_at: option_at + len(d.option)}
    if d.resource:
        at = line.index(d.resource, option_at + len(d.option))
        anchors[at] = at + len(d.resource)
    best = 0
    for found in re.finditer(re.escape(entry), line):
        name_end = anchors.get(found.start())
        if name_end is not None:
            best = max(best, 2 if found.end() >= name_end else 1)
    return best


def _name(kind: str, line: str) -> str:
    d = parse_directive(kind, line)
    return d.name if d is not None else line


def check_entry(kind: str, entry: str, generated: list[str]) -> SkipIssue | None:
    """The issue with one entry, given the lines an entry can remove (`skippable_header_lines`:
    generated with no skip, less those dask-jobqueue adds after skipping) (None: fine)."""
    hit = removes(kind, entry, generated)
    if not hit:
        return SkipIssue(entry, STALE, (), (), (), kind)
    names = {_name(kind, line) for line in hit}
    if len(names) < 2:
        return None
    narrower = []
    for line in hit:
        choice = choose_entry(kind, line, [g for g in generated if g != line])
        if choice.entry is not None:
            narrower.append(Narrower(choice.entry, line))
    aims = {line: _aim(kind, entry, line) for line in hit}
    aimed = [line for line in hit if aims[line] == 2]
    meant: tuple[str, ...] = ()
    if aimed and len({_name(kind, line) for line in aimed}) == 1:
        meant = tuple(aimed)
    if len([n for n in narrower if n.line in meant]) < len(meant):
        meant = ()  # a line it is aimed at has no entry of its own
    return SkipIssue(entry, TOO_BROAD, tuple(hit), meant, tuple(narrower), kind)


def check_skips(profile: Profile) -> list[SkipIssue]:
    """Every `job-directives-skip` entry of `profile` that removes nothing or removes lines
    with more than one distinct option, in the order of the list ([] when dask-jobqueue
    cannot build the script: that is said elsewhere)."""
    skips = profile.get("job-directives-skip")
    if not skips or not isinstance(skips, (list, tuple)):
        return []  # not a list: validation names the key and the value
    try:
        generated = skippable_header_lines(profile)
    except (ValueError, TypeError):  # ScriptError is a ValueError
        return []
    issues = []
    seen = set()
    for raw in skips:
        entry = str(raw)
        if entry in seen:
            continue
        seen.add(entry)
        issue = check_entry(profile.kind, entry, generated)
        if issue is not None:
            issues.append(issue)
    return issues
