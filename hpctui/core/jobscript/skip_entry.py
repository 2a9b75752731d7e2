"""Choosing a `job-directives-skip` entry that stays true when values change.

dask-jobqueue drops every generated header line that contains a skip entry anywhere
(HTCondor: the submit key equal to the entry), and it does so for every script it renders
from then on, whatever the values are by then. So an entry is made of what a value change
leaves alone: the directive's prefix and option (`#SBATCH -t`, `#PBS -l walltime`,
`#BSUB -M`, `#$ -q`), never a fragment of a value. A fragment that is unique today is a trap:
`'0'` skips `#SBATCH -t 00:30:00` alone until the memory becomes 10 GB, and from then on
`#SBATCH --mem=10G` silently goes too.

When the prefix and option also occur in another generated line today, the entry grows one
step at a time, always a beginning of the line: the separator (`#SBATCH --mem=` beside
`--mem-per-cpu=`, `#BSUB -n ` beside `-nnodes`), then the resource name of a `-l key=value`
request (`#PBS -l walltime`, `#$ -l h_rt`). When none of those isolates the line, the entry
is the whole line: exact, but it stops matching once a value changes (the skip check then
says the entry removes nothing). Pure functions; no Textual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "#SBATCH --mem=8G", "#PBS -l walltime=01:00:00", "#$ -cwd", '#BSUB -R "span[hosts=1]"'.
_DIRECTIVE = re.compile(r"^(?P<prefix>#\S+)[ \t]+(?P<option>--?[A-Za-z][^\s=]*)"
                        r"(?P<sep>=|[ \t]+|$)(?P<value>.*)$")
# The resource a `-l key=value[:...]` request names first ("select", "walltime", "h_vmem").
_RESOURCE = re.compile(r"[A-Za-z_][\w.-]*(?==)")

# What the value of an option is, for "whatever the time" (options dask-jobqueue writes).
_VALUE_WORDS = {
    "-t": "the time", "--time": "the time", "-W": "the time", "walltime": "the time",
    "h_rt": "the time", "--mem": "the memory", "-M": "the memory", "h_vmem": "the memory",
    "mem_free": "the memory", "-p": "the partition", "--partition": "the partition",
    "-q": "the queue", "-A": "the account", "--account": "the account",
    "-P": "the project", "--project": "the project", "-J": "the job name",
    "-N": "the job name", "-e": "the log folder", "-o": "the log folder",
    "--cpus-per-task": "the number of CPUs", "select": "the resources",
}
_KIND_VALUE_WORDS = {"oar": {"-p": "the properties", "-n": "the job name",
                             "-l": "the resources"},
                     "slurm": {"-n": "the number of tasks"},
                     "lsf": {"-n": "the number of slots", "-R": "the resource string"}}


@dataclass(frozen=True)
class Directive:
    """A header line taken apart: `#PBS -l walltime=01:00:00` -> #PBS, -l, walltime."""

    line: str
    prefix: str  # "#SBATCH"; "" for HTCondor's `Key = value`
    option: str  # "-t", "--mem", "-l"; HTCondor: the submit key
    resource: str | None = None  # "walltime" in `-l walltime=...`
    stops: tuple[int, ...] = ()  # where an option-based entry may end (line[:stop])

    @property
    def name(self) -> str:
        """What the line asks for, value left out: "#PBS -l walltime", "#SBATCH --mem"."""
        if not self.prefix:
            return self.option
        return f"{self.prefix} {self.option}" + (f" {self.resource}" if self.resource else "")


def parse_directive(kind: str, line: str) -> Directive | None:
    """`line` as prefix, option and resource; None when it has no option to name."""
    if kind == "htcondor":
        key = line.split(" = ", 1)[0].strip()
        return Directive(line, "", key) if key else None
    found = _DIRECTIVE.match(line)
    if found is None:
        return None
    stops = [found.end("option")]
    resource = None
    if found.group("sep") == "=":
        stops.append(found.end("sep"))
    elif found.group("sep"):
        stops.append(found.start("sep") + 1)
        named = _RESOURCE.match(found.group("value"))
        if named is not None:
            resource = named.group(0)
            stops += [found.start("value") + named.end(), found.start("value") + named.end() + 1]
    return Directive(line, found.group("prefix"), found.group("option"), resource,
                     tuple(sorted(set(stops))))


@dataclass(frozen=True)
class SkipChoice:
    """The entry that removes one header line, and what it means."""

    line: str
    entry: str | None  # None when no entry removes this line alone
    option_based: bool  # True: prefix and option (it stays true whatever the value)
    reason: str  # for the status line: what the entry skips, or why there is none


def _value_word(kind: str, d: Directive) -> str:
    words = _KIND_VALUE_WORDS.get(kind, {})
    for name in (d.resource, d.option):
        if name and (name in words or name in _VALUE_WORDS):
            return words.get(name) or _VALUE_WORDS[name]
    return "its value"


def describe(kind: str, d: Directive, entry: str) -> str:
    """What an option-based entry skips, in words ("every `#SBATCH -t` line, whatever the time")."""
    if kind == "htcondor":
        return f"skips the submit key `{entry}`, whatever its value (HTCondor skips whole keys)"
    if len(entry) >= len(d.line):  # a flag with no value: the option is the whole line
        return f"skips every `{entry}` line"
    return f"skips every `{entry.rstrip()}` line, whatever {_value_word(kind, d)}"


def _spares(entry: str, others: list[str]) -> bool:
    return not any(entry in other for other in others)


def choose_entry(kind: str, line: str, others: list[str]) -> SkipChoice:
    """The entry that removes `line` and none of `others` (the other generated lines).

    Prefix and option first, extended only as far as `others` require; else the whole line.
    """
    d = parse_directive(kind, line)
    if kind == "htcondor":
        # dask-jobqueue pops the key: exact by construction.
        key = d.option if d else line
        return SkipChoice(line, key, True, describe(kind, d, key) if d else "")
    if d is not None:
        for stop in d.stops:
            entry = line[:stop]
            if _spares(entry, others):
                return SkipChoice(line, entry, True, describe(kind, d, entry))
    if _spares(line, others):
        what = f"`{d.name}`" if d is not None else "this directive"
        return SkipChoice(line, line, False,
                          f"skips this exact line: {what} alone also occurs in another "
                          "header line; if its value changes the entry removes nothing, "
                          "and hpctui says so")
    return SkipChoice(line, None, False, "every part of this line also occurs in another "
                                         "header line, so no skip entry removes it alone")
