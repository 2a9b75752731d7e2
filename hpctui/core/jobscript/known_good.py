"""Importing a job script known to work on the site: what to skip and add to match its header.

The way experts fix a rejected script (the Summit story) is to compare the generated script
with one that works and edit the header until they agree. This does that comparison:
directive by directive (compared as shell words, so `-P "X"` and `-P X` agree), every
generated directive the known-good script lacks gets a `job-directives-skip` entry (its
prefix and option, chosen as the Job script pane's skip chooses it), every directive only
the known-good script has becomes a `job-extra-directives` entry, and its set-up lines
(`module load`, `conda activate`, ...) become a suggested `job-script-prologue`; a
different Python in front of the worker command becomes a suggested `python`. What can't
be expressed in dask-jobqueue's keys is listed, not silently dropped.
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass, field
from typing import Any

from hpctui.core.jobscript.render import DiffLine, ScriptError, diff_lines, generated_header_lines, \
    render_job_script, skippable_header_lines
from hpctui.core.jobscript.skip_entry import choose_entry
from hpctui.core.batch.kinds import get_kind
from hpctui.core.config.profile import Profile

# First words of lines that prepare the environment; they belong in job-script-prologue.
_SETUP_WORDS = ("module", "ml", "source", ".", "conda", "mamba", "micromamba", "export",
                "cd", "spack", "set", "ulimit", "umask", "unset", "eval", "pyenv")
_WORKER = re.compile(r"(?:-m\s+distributed\.cli\.dask_worker|dask[-_ ]worker\b|-m\s+distributed)")


@dataclass(frozen=True)
class ParsedScript:
    """A job script split the way dask-jobqueue builds one."""

    shebang: str | None
    directives: list[str]  # without the prefix (`-nnodes 1`); HTCondor: `Key = value`
    setup: list[str]  # environment lines before the worker command
    worker_command: str | None
    other: list[str]  # lines that are neither (listed as unmatched)


def parse_script(kind: str, text: str) -> ParsedScript:
    """Split a job script into shebang, header directives, set-up lines and the worker line."""
    prefix = get_kind(kind).directive_prefix
    lines = text.splitlines()
    shebang = lines[0] if lines and lines[0].startswith("#!") else None
    directives, setup, other = [], [], []
    worker = None
    for line in lines[1 if shebang else 0:]:
        stripped = line.strip()
        if not stripped:
            continue
        if prefix and stripped.startswith(prefix + " "):
            directives.append(stripped[len(prefix) + 1:].strip())
        elif kind == "htcondor" and " = " in stripped and not stripped.startswith("#"):
            key = stripped.split("=", 1)[0].strip()
            if key not in ("Arguments", "Executable"):
                directives.append(stripped)
        elif stripped.startswith("#") or (kind == "htcondor" and stripped in ("Queue",)):
            continue
        elif worker is None and _WORKER.search(stripped):
            worker = stripped
        elif worker is None and stripped.split()[0] in _SETUP_WORDS:
            setup.append(stripped)
        else:
            other.append(stripped)
    return ParsedScript(shebang, directives, setup, worker, other)


def _words(directive: str) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(directive))
    except ValueError:
        return tuple(directive.split())


@dataclass(frozen=True)
class KnownGoodImport:
    """The config changes that make the generated script match a known-good one."""

    before: Profile
    after: Profile  # `before` with every change applied
    changes: dict[str, Any]  # key -> new value (only keys that change)
    kept: list[str]  # generated directives the known-good script also has
    skipped: list[str]  # generated directives it doesn't have (removed by the skips)
    added: list[str]  # directives only it has (job-extra-directives)
    unmatched: list[str]  # what can't be expressed, with the reason
    diff: list[DiffLine] = field(default_factory=list)  # generated script before -> after

    @property
    def header_matches(self) -> bool:
        """True when the new header has exactly the known-good directives."""
        return not [u for u in self.unmatched if u.startswith("header:")]


def import_known_good(profile: Profile, text: str) -> KnownGoodImport:
    """Compare `profile`'s script with a known-good `text`; ScriptError if it can't render.

    PBS, Moab and SGE put their resource request in one `-l` directive that dask-jobqueue
    builds from `resource-spec`: when the known-good script has a different one, the
    suggestion is that key (what the user would write by hand), not a skip plus an extra.
    """
    spec = _resource_spec_from(profile, text)
    if spec is None:
        return _import(profile, profile, text, {})
    return _import(profile, profile.with_setting("resource-spec", spec), text,
                   {"resource-spec": spec})


def _resource_spec_from(profile: Profile, text: str) -> str | None:
    if profile.kind not in ("pbs", "moab", "sge"):
        return None
    time_key = "h_rt=" if profile.kind == "sge" else "walltime="
    generated = [strip for strip in (g.split(" ", 1)[1] for g in generated_header_lines(profile))]
    for d in parse_script(profile.kind, text).directives:
        words = _words(d)
        if len(words) == 2 and words[0] == "-l" and not words[1].startswith(time_key):
            if d in generated or words[1] == profile.get("resource-spec"):
                return None
            return words[1]
    return None


def _import(profile: Profile, start: Profile, text: str, first: dict) -> KnownGoodImport:
    kind = profile.kind
    prefix = get_kind(kind).directive_prefix
    good = parse_script(kind, text)
    empty_extra: Any = {} if kind == "htcondor" else []
    base = start.with_setting("job-directives-skip", []).with_setting(
        "job-extra-directives", empty_extra)
    generated = generated_header_lines(base)
    strip = (lambda g: g[len(prefix) + 1:].strip()) if prefix else (lambda g: g)
    gen_directives = [strip(g) for g in generated]

    remaining = [_words(d) for d in good.directives]
    kept_idx, skip_idx = [], []
    for i, d in enumerate(gen_directives):
        w = _words(d)
        if w in remaining:
            remaining.remove(w)
            kept_idx.append(i)
        else:
            skip_idx.append(i)
    kept_lines = [generated[i] for i in kept_idx]
    unmatched: list[str] = []
    skippable = skippable_header_lines(base)

    skips: list[str] = []
    for i in skip_idx:
        line = generated[i]
        if kind == "htcondor":
            skips.append(line.split(" = ", 1)[0])
            continue
        if any(s in line for s in skips):
            continue  # an earlier entry already removes it, and spares every kept line
        if line not in skippable:
            unmatched.append(f"header: dask-jobqueue writes {line!r} after applying "
                             "job-directives-skip, so no entry removes it")
            continue
        # The entry the Job script pane's skip would write (prefix and option, removing this
        # line alone), so the skip check finds nothing to say about an imported one; failing
        # that, one that at least spares every kept line.
        sub = choose_entry(kind, line, [g for g in skippable if g != line]).entry \
            or choose_entry(kind, line, [k for k in kept_lines if k in skippable]).entry
        if sub is None:
            unmatched.append(f"header: cannot skip {line!r} without also removing a "
                             f"directive the known-good script has")
        else:
            skips.append(sub)

    added: list[str] = []
    kept_words = [_words(gen_directives[i]) for i in kept_idx]
    for d in good.directives:
        if _words(d) in kept_words:
            kept_words.remove(_words(d))
        else:
            added.append(d)

    changes: dict[str, Any] = dict(first)
    if kind == "htcondor":
        extra = {}
        for d in added:
            k, _, v = d.partition("=")
            extra[k.strip()] = v.strip()
        new_extra: Any = extra
    else:
        new_extra = added
    if list(profile.get("job-directives-skip") or []) != skips:
        changes["job-directives-skip"] = skips
    if (profile.get("job-extra-directives") or empty_extra) != new_extra:
        changes["job-extra-directives"] = new_extra

    if good.setup and list(profile.get("job-script-prologue") or []) != good.setup:
        changes["job-script-prologue"] = list(good.setup)
    if good.worker_command:
        python = _python_of(good.worker_command)
        current = profile.get("python") or sys.executable
        if python and python != current:
            changes["python"] = python
    else:
        unmatched.append("body: no dask worker command found; hpctui's worker command "
                         "replaces the script's own command")
    for line in good.other:
        unmatched.append(f"body: {line!r} has no dask-jobqueue key (only lines before the "
                         f"worker command can go in job-script-prologue)")
    if good.shebang and profile.get("shebang") and good.shebang != profile.get("shebang"):
        changes["shebang"] = good.shebang

    after = profile
    for key, value in changes.items():
        after = after.with_setting(key, value)
    try:
        diff = diff_lines(render_job_script(profile), render_job_script(after))
    except ScriptError:
        diff = []
    return KnownGoodImport(profile, after, changes, kept_lines,
                           [generated[i] for i in skip_idx], added, unmatched, diff)


def _python_of(command: str) -> str | None:
    # Everything before "-m distributed..." is how the site starts Python, launcher
    # included (Summit: "jsrun -n 1 python"), which is exactly what the `python` key holds.
    match = re.search(r"^(?P<py>.+?)\s+-m\s+distributed", command)
    return match.group("py").strip() if match else None
