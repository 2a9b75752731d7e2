"""The rule for `job-directives-skip` entries that remove a line they were not chosen for, or
nothing (`jobscript/skip_check.py` does the checking; this turns each issue into a finding).

A warning about the configuration, not a cause of this attempt's failure: it reads the
profile being edited when there is one (so the Findings pane follows each edit), its
confidence stays below what ends a doctor round, and `hpctui doctor` never picks its fix as
the round's fix (`RULE_IDS`). Failure mode 8: header lines the batch system receives.
"""

from __future__ import annotations

from hpctui.core.diagnosis.finding import SKIP_HEADER, UNSKIP_HEADER, Evidence, Finding, Fix, \
    PatchOp
from hpctui.core.diagnosis.signals import Signals
from hpctui.core.jobscript.render import skippable_header_lines
from hpctui.core.jobscript.skip_check import STALE, SkipIssue, check_skips

TOO_BROAD_ID = "skip-entry-too-broad"
STALE_ID = "skip-entry-stale"
RULE_IDS = frozenset({TOO_BROAD_ID, STALE_ID})

_MATCHING = ("dask-jobqueue drops every generated header line that contains a "
             "job-directives-skip entry anywhere, in this script and in every later one, "
             "whatever the values are by then. ")
_OPTION_BASED = ("An entry made of the directive's prefix and option (`#SBATCH -t`, "
                 "`#PBS -l walltime`) removes that directive alone, whatever its value.")


def _remove(issue: SkipIssue) -> PatchOp:
    return PatchOp(UNSKIP_HEADER, "job-directives-skip", issue.entry)


def _too_broad(issue: SkipIssue) -> Finding:
    n = len(issue.removes)
    explanation = (_MATCHING + f"{issue.entry!r} occurs in {n} lines that ask for different "
                   "things, so the job goes without all of them and the batch system uses "
                   "its defaults instead, with nothing else saying so. ")
    evidence = [Evidence("job-directives-skip entry", repr(issue.entry))]
    evidence += [Evidence("header line it removes", line) for line in issue.removes]
    if issue.replacement:
        meant = " and ".join(map(repr, issue.meant))
        title = f"The skip entry {issue.entry!r} also removes " + ", ".join(
            repr(line) for line in issue.removes if line not in issue.meant)
        explanation += (f"It starts where {meant} starts its option, so that is the line it "
                        f"is aimed at; {' and '.join(repr(n.entry) for n in issue.replacement)} "
                        "removes only that. " + _OPTION_BASED)
        ops = [_remove(issue)] + [PatchOp(SKIP_HEADER, "job-directives-skip", n.entry, n.line)
                                  for n in issue.replacement]
        return Finding(TOO_BROAD_ID, 8, title, explanation, tuple(evidence), 0.6,
                       Fix(tuple(ops)))
    choices = " or ".join(f"{c.entry!r} (removes {c.line!r})" for c in issue.narrower)
    explanation += ("Which of them it was meant for cannot be told from the entry, so the fix "
                    "removes it; then skip the line you meant again. " + _OPTION_BASED)
    action = (f"then skip only the line you meant: add {choices} to job-directives-skip"
              if choices else "then skip the line you meant again")
    return Finding(TOO_BROAD_ID, 8, f"The skip entry {issue.entry!r} removes {n} different "
                   "header lines", explanation, tuple(evidence), 0.6,
                   Fix((_remove(issue),), action))


def _stale(issue: SkipIssue, generated: list[str]) -> Finding:
    if issue.kind == "htcondor":
        explanation = ("HTCondor skips whole submit keys, and dask-jobqueue refuses to build "
                       f"the job script while an entry is not one of them: {issue.entry!r} "
                       "is not.")
    else:
        explanation = (_MATCHING + f"None of the lines generated now contains {issue.entry!r}, "
                       "so it does nothing today; but it is still matched against every line "
                       "a later value produces, and may start removing one without a word. "
                       "Removing it keeps the script as it is now.")
    evidence = [Evidence("job-directives-skip entry", repr(issue.entry))]
    evidence += [Evidence("header line (does not contain it)", line) for line in generated]
    return Finding(STALE_ID, 8, f"The skip entry {issue.entry!r} removes no header line",
                   explanation, tuple(evidence), 0.3, Fix((_remove(issue),)))


def skip_entries(s: Signals) -> list[Finding]:
    """Mode 8: each `job-directives-skip` entry that removes lines with different options, or
    nothing; the fix is a narrower entry when the target is plain, else removing it."""
    profile = s.pending_profile or s.profile
    if profile is None:
        return []
    issues = check_skips(profile)
    if not issues:
        return []
    generated = skippable_header_lines(profile) if any(i.problem == STALE for i in issues) \
        else []
    return [_stale(i, generated) if i.problem == STALE else _too_broad(i) for i in issues]


RULES = (skip_entries,)
