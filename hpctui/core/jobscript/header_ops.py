"""Editing the job script's header: skip, un-skip, add, edit and remove directives, with undo.

Each operation takes a profile and returns an `OpResult`: the new profile, the line diff of
the job script (as dask-jobqueue renders it), and a sentence saying what happened. The
profile is immutable, so the history is just a list of profiles.

The skip rule is dask-jobqueue's: a generated header line is dropped when any
`job-directives-skip` entry is a substring of it (HTCondor: when the entry is the submit
key), in every script rendered from then on. "Skip this line" adds the entry
`skip_entry.choose_entry` picks: the directive's prefix and option (`#SBATCH -t`), extended
only as far as needed to spare every other generated line, so it removes exactly that line
today and still names the same directive when values change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from hpctui.core.config.profile import Profile
from hpctui.core.jobscript.render import DiffLine, ScriptError, diff_lines, generated_header_lines, \
    render_job_script, skippable_header_lines
from hpctui.core.jobscript.skip_entry import SkipChoice, choose_entry


def suggest_skip(profile: Profile, line: str) -> SkipChoice:
    """How to skip one generated header line of `profile` without touching any other."""
    generated = generated_header_lines(profile)
    if line not in generated:
        return SkipChoice(line, None, False,
                          "not a line dask-jobqueue generates (added directives are "
                          "never skipped: remove them instead)")
    skippable = skippable_header_lines(profile)
    if line not in skippable:
        return SkipChoice(line, None, False,
                          "dask-jobqueue writes this line after applying job-directives-skip, "
                          "so no entry removes it")
    if generated.count(line) > 1:
        return SkipChoice(line, None, False, "the same line is generated twice")
    # Only lines an entry can remove need sparing.
    return choose_entry(profile.kind, line, [g for g in skippable if g != line])


@dataclass(frozen=True)
class OpResult:
    """What an operation produced."""

    profile: Profile
    diff: list[DiffLine]
    message: str
    ok: bool = True  # False when nothing was changed (message says why)


def _script(profile: Profile) -> str:
    try:
        return render_job_script(profile)
    except ScriptError as exc:
        return f"# dask-jobqueue cannot build the job script: {exc}\n"


def _result(before: Profile, after: Profile, message: str, ok: bool = True) -> OpResult:
    return OpResult(after, diff_lines(_script(before), _script(after)), message, ok)


def _list(profile: Profile, key: str) -> list:
    return list(profile.get(key) or [])


def skip_line(profile: Profile, line: str) -> OpResult:
    """Add the entry that removes exactly `line` (prefix and option) to `job-directives-skip`."""
    s = suggest_skip(profile, line)
    if s.entry is None:
        return _result(profile, profile, f"cannot skip {line!r}: {s.reason}", ok=False)
    new = profile.with_setting("job-directives-skip", _list(profile, "job-directives-skip")
                               + [s.entry])
    # The entry and what it skips come first: the status line is short, and the skipped
    # line itself is marked in the list.
    return _result(profile, new, f"job-directives-skip: added {s.entry!r}, which {s.reason}")


def unskip_line(profile: Profile, line: str) -> OpResult:
    """Remove every `job-directives-skip` entry that drops `line` (others may come back too)."""
    skips = _list(profile, "job-directives-skip")
    if profile.kind == "htcondor":
        hits = [e for e in skips if e == line.split(" = ", 1)[0]]
    else:
        hits = [e for e in skips if e in line]
    if not hits:
        return _result(profile, profile, f"{line!r} is not skipped", ok=False)
    new = profile.with_setting("job-directives-skip", [e for e in skips if e not in hits])
    return _result(profile, new, "removed " + ", ".join(map(repr, hits))
                   + " from job-directives-skip")


def _split_condor(directive: str) -> tuple[str, str]:
    key, sep, value = directive.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"job-extra-directives: {directive!r} is not 'Key = value'")
    return key.strip(), value.strip()


def add_directive(profile: Profile, directive: str) -> OpResult:
    """Append to `job-extra-directives` (without the `#SBATCH ` prefix; HTCondor: Key = value)."""
    directive = directive.strip()
    if not directive:
        return _result(profile, profile, "job-extra-directives: an empty directive", ok=False)
    if profile.kind == "htcondor":
        try:
            key, value = _split_condor(directive)
        except ValueError as exc:
            return _result(profile, profile, str(exc), ok=False)
        extra = dict(profile.get("job-extra-directives") or {})
        extra[key] = value
        new = profile.with_setting("job-extra-directives", extra)
    else:
        new = profile.with_setting("job-extra-directives",
                                   _list(profile, "job-extra-directives") + [directive])
    return _result(profile, new, f"added {directive!r} to job-extra-directives")


def edit_directive(profile: Profile, index: int, directive: str | None) -> OpResult:
    """Replace (or with None, remove) the added directive at `index`."""
    extra = profile.get("job-extra-directives") or ([] if profile.kind != "htcondor" else {})
    items = list(extra.items()) if isinstance(extra, dict) else list(extra)
    if not 0 <= index < len(items):
        return _result(profile, profile,
                       f"job-extra-directives: no directive number {index}", ok=False)
    old = items[index]
    if directive is None:
        del items[index]
        what = f"removed {old!r} from job-extra-directives"
    else:
        if isinstance(extra, dict):
            try:
                items[index] = _split_condor(directive)
            except ValueError as exc:
                return _result(profile, profile, str(exc), ok=False)
        else:
            items[index] = directive.strip()
        what = f"job-extra-directives: {old!r} -> {directive!r}"
    value = dict(items) if isinstance(extra, dict) else items
    return _result(profile, profile.with_setting("job-extra-directives", value), what)


def set_prologue(profile: Profile, lines: list[str]) -> OpResult:
    """Replace `job-script-prologue` (lines run before the worker starts)."""
    new = profile.with_setting("job-script-prologue", [str(x) for x in lines])
    return _result(profile, new, f"job-script-prologue: {len(lines)} line(s)")


def set_key(profile: Profile, key: str, value: Any) -> OpResult:
    """Set any key (`cores`, `distributed.worker.use-file-locking`, ...)."""
    try:
        new = profile.with_setting(key, value)
    except ValueError as exc:
        return _result(profile, profile, str(exc), ok=False)
    return _result(profile, new, f"{key}: {value!r}")


@dataclass
class History:
    """Undo and redo over header operations: a list of profiles and a cursor."""

    profiles: list[Profile] = field(default_factory=list)
    cursor: int = 0

    @classmethod
    def start(cls, profile: Profile) -> "History":
        """A history whose first state is `profile`."""
        return cls([profile], 0)

    @property
    def current(self) -> Profile:
        return self.profiles[self.cursor]

    def apply(self, op: Callable[..., OpResult], *args: Any) -> OpResult:
        """Run `op(current, *args)`; a change drops the redo branch."""
        result = op(self.current, *args)
        if result.ok and result.profile != self.current:
            del self.profiles[self.cursor + 1:]
            self.profiles.append(result.profile)
            self.cursor += 1
        return result

    @property
    def can_undo(self) -> bool:
        return self.cursor > 0

    @property
    def can_redo(self) -> bool:
        return self.cursor < len(self.profiles) - 1

    def undo(self) -> OpResult:
        """Back one step (ok=False when there is nothing to undo)."""
        if not self.can_undo:
            return _result(self.current, self.current, "nothing to undo", ok=False)
        self.cursor -= 1
        return _result(self.profiles[self.cursor + 1], self.current, "undone")

    def redo(self) -> OpResult:
        """Forward one step (ok=False when there is nothing to redo)."""
        if not self.can_redo:
            return _result(self.current, self.current, "nothing to redo", ok=False)
        self.cursor += 1
        return _result(self.profiles[self.cursor - 1], self.current, "redone")
