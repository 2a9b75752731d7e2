"""The job script's header lines as the editor lists them: kept, skipped (and by what), added.

dask-jobqueue renders only the lines that survive `job-directives-skip`, followed by
`job-extra-directives`; an editor needs every generated line, so a skipped one can be
brought back, and to know which added directive each added line is, so it can be edited.
"""

from __future__ import annotations

from dataclasses import dataclass

from hpctui.core.jobscript.render import ScriptError, generated_header_lines
from hpctui.core.config.profile import Profile


@dataclass(frozen=True)
class HeaderLine:
    """One directive line of the job script as the editor lists it."""

    text: str
    state: str  # "generated" (kept), "skipped" (dropped by job-directives-skip) or "added"
    skipped_by: tuple[str, ...] = ()  # the job-directives-skip entries that drop it
    extra_index: int | None = None  # position in job-extra-directives, for added lines


def header_lines(profile: Profile, rendered: list[str]) -> list[HeaderLine]:
    """Generated lines (kept or skipped, in order) then the added ones, for the editor."""
    try:
        generated = generated_header_lines(profile)
    except ScriptError:
        return [HeaderLine(t, "generated") for t in rendered]
    skips = [str(s) for s in (profile.get("job-directives-skip") or [])]
    out: list[HeaderLine] = []
    kept = []
    for text in generated:
        if profile.kind == "htcondor":
            by = tuple(s for s in skips if s == text.split(" = ", 1)[0])
        else:
            by = tuple(s for s in skips if s in text)
        out.append(HeaderLine(text, "skipped" if by else "generated", by))
        if not by:
            kept.append(text)
    added = [t for t in rendered if t not in kept] if profile.kind == "htcondor" \
        else rendered[len(kept):]
    for index, text in enumerate(added):
        out.append(HeaderLine(text, "added", (), index))
    return out
