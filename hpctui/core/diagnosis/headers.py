"""Header-line skips for a fix: which `job-directives-skip` entry drops the line carrying an option.

With a profile, the lines are the ones dask-jobqueue generates for it and the entry is the one
`header_ops.suggest_skip` picks (the directive's prefix and option, `#BSUB -n`, extended only
as far as needed), so exactly that line goes, today and when its value changes. Without a profile the option itself is
used, spelled so it cannot catch a longer option: `-n ` (not `-nnodes`), `--mem=` (not
`--mem-per-cpu`).
"""

from __future__ import annotations

from hpctui.core.diagnosis.finding import SKIP_HEADER, PatchOp
from hpctui.core.jobscript.header_ops import suggest_skip
from hpctui.core.jobscript.render import ScriptError, generated_header_lines
from hpctui.core.config.profile import Profile
from hpctui.core.jobscript.rejection import options_of


def header_lines(profile: Profile | None) -> list[str]:
    """The header lines dask-jobqueue generates for `profile` ([] when it cannot build them)."""
    if profile is None:
        return []
    try:
        return generated_header_lines(profile)
    except (ScriptError, ValueError, TypeError):
        return []


def _bare_entry(option: str) -> str:
    return f"{option}=" if option.startswith("--") else f"{option} "


def skip_ops(profile: Profile | None, options: list[str], required: bool = True) -> list[PatchOp]:
    """Skip operations for the header lines carrying any of `options`.

    `required`: with no profile (lines unknown), still propose the bare option entries.
    Lines already dropped by an existing skip entry get no operation.
    """
    lines = header_lines(profile)
    if not lines:
        return [PatchOp(SKIP_HEADER, "job-directives-skip", _bare_entry(o))
                for o in options] if required and profile is None else []
    skips = list(profile.get("job-directives-skip") or [])
    ops = []
    for line in lines:
        if not options_of(line) & set(options):
            continue
        if any(entry in line for entry in skips):
            continue  # already skipped
        suggestion = suggest_skip(profile, line)
        entry = suggestion.entry
        if entry is not None:
            ops.append(PatchOp(SKIP_HEADER, "job-directives-skip", entry, line))
    return ops


def skip_lines_ops(profile: Profile, indices: list[int]) -> list[PatchOp]:
    """Skip operations for generated header lines by index (as `rejection_lines` returns them)."""
    lines = header_lines(profile)
    skips = list(profile.get("job-directives-skip") or [])
    ops = []
    for i in indices:
        if i >= len(lines) or any(entry in lines[i] for entry in skips):
            continue
        suggestion = suggest_skip(profile, lines[i])
        entry = suggestion.entry
        if entry is not None:
            ops.append(PatchOp(SKIP_HEADER, "job-directives-skip", entry, lines[i]))
    return ops
