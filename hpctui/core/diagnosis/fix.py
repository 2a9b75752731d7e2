"""Turning a diagnosis `Fix` into one edit of the pending profile (one undo step).

The findings and stacks panes apply a finding's fix with one key; the change must go through
the `Workspace` like any other edit (undo, the script and config diffs, preview -> write ->
apply). `fix_edit(profile, fix)` is a header-operation-shaped function (profile -> `OpResult`)
that applies every `PatchOp` of the fix at once, so `Workspace` history records it as a single
step. `stack_fix(profile, fix)` converts a sampler fix (`hangsites.Fix`: a patch and prologue
lines) into the same `Fix` shape. Nothing here imports Textual.
"""

from __future__ import annotations

from dataclasses import dataclass

from hpctui.core.stacks import hangsites
from hpctui.core.diagnosis.finding import SET, Fix, PatchOp, apply_fix
from hpctui.core.jobscript.header_ops import OpResult
from hpctui.core.jobscript.render import ScriptError, diff_lines, render_job_script
from hpctui.core.config.profile import Profile


def _script(profile: Profile) -> str:
    try:
        return render_job_script(profile)
    except ScriptError as exc:
        return f"# dask-jobqueue cannot build the job script: {exc}\n"


def op_result(before: Profile, after: Profile, message: str, ok: bool = True) -> OpResult:
    # Same shape as header_ops' results, so Workspace history and the script diff treat a
    # fix like any other edit.
    return OpResult(after, diff_lines(_script(before), _script(after)), message, ok)


@dataclass(frozen=True)
class FixPlan:
    """What pressing the fix key would do: `applicable` is False for an action in words only."""

    applicable: bool
    summary: str  # the change in words ("set interface: 'ib0'") or why there is none
    action: str | None  # what is left for the user to do, when anything is


def plan(fix: Fix) -> FixPlan:
    """Whether `fix` changes the profile, and what remains the user's job."""
    if not fix.ops:
        return FixPlan(False, "no configuration change fixes this"
                       + (f": {fix.action}" if fix.action else ""), fix.action)
    return FixPlan(True, "; ".join(op.describe() for op in fix.ops), fix.action)


def fix_edit(profile: Profile, fix: Fix, title: str = "") -> OpResult:
    """`profile` with every operation of `fix` applied, as one `OpResult`.

    ok=False (profile unchanged) when the fix has no operations, when the profile already
    holds the change, or when an operation names a key the profile refuses (the message says
    which).
    """
    what = f" ({title})" if title else ""
    if not fix.ops:
        return op_result(profile, profile, f"no configuration change for this finding{what}"
                       + (f": {fix.action}" if fix.action else ""), ok=False)
    try:
        new = apply_fix(profile, fix)
    except ValueError as exc:
        return op_result(profile, profile, f"cannot apply the fix{what}: {exc}", ok=False)
    if new == profile:
        return op_result(profile, profile, f"the profile already holds the fix{what}", ok=False)
    message = "fix" + what + ": " + "; ".join(op.describe() for op in fix.ops)
    if fix.action:
        message += f"; then: {fix.action}"
    return op_result(profile, new, message)


def stack_fix(profile: Profile, fix: hangsites.Fix) -> Fix:
    """A sampler fix (patch + prologue lines) as profile operations; advice only -> an action."""
    ops = [PatchOp(SET, key, value) for key, value in fix.patch.items()]
    if fix.prologue:
        lines = list(profile.get("job-script-prologue") or [])
        # Set even when every line is there already: applying it then says "already holds
        # the fix" instead of "no configuration change fixes this".
        ops.append(PatchOp(SET, "job-script-prologue",
                           lines + [line for line in fix.prologue if line not in lines]))
    return Fix(tuple(ops), fix.label if fix.is_advice_only else None)


def best_stack_fix(finding: hangsites.Finding) -> hangsites.Fix | None:
    """The fix the one key applies: the first that changes the profile, else the first."""
    for fix in finding.fixes:
        if not fix.is_advice_only:
            return fix
    return finding.fixes[0] if finding.fixes else None


def workspace_edit(workspace, op, *args) -> OpResult:
    """Run `op` on the workspace's pending profile as one undo step."""
    return workspace.edit(op, *args)


def apply_to_workspace(workspace, fix: Fix, title: str = "") -> OpResult:
    """Apply `fix` to `workspace`'s pending profile as one undoable edit."""
    return workspace_edit(workspace, fix_edit, fix, title)
