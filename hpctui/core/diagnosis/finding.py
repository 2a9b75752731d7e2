"""What a diagnosis rule produces: a `Finding` (what is wrong, the evidence, a confidence) and its `Fix`.

A fix is plain data so the UI can preview it, `hpctui doctor --fix` can apply it and the JSON
report can carry it: a list of `PatchOp`s on the profile (keyed by the dashed config names,
`interface`, `job-extra-directives`, `distributed.worker.use-file-locking`, ...), and/or an
action in words where no config key fixes the problem ("run hpctui from a compute node").
`apply_fix` turns the operations into a new `Profile`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hpctui.core.config.profile import Profile

# The operations a profile patch may hold.
SET = "set"  # key = value (a `jobqueue.<kind>` key or `distributed.<dotted key>`)
ADD_DIRECTIVE = "add-directive"  # append value to job-extra-directives (unless already there)
SKIP_HEADER = "skip-header"  # append value (a substring) to job-directives-skip; line = the line it drops
REMOVE_KEY = "remove-key"  # unset key (dask-jobqueue then uses its default)
# Remove the job-directives-skip entry equal to value. Relative, like skip-header, so two
# fixes about two entries of one list can both be applied, in either order.
UNSKIP_HEADER = "unskip-header"
OPS = (SET, ADD_DIRECTIVE, SKIP_HEADER, REMOVE_KEY, UNSKIP_HEADER)


@dataclass(frozen=True)
class PatchOp:
    """One change to the profile."""

    op: str
    key: str
    value: Any = None
    line: str | None = None  # SKIP_HEADER: the header line the substring drops, when known

    def __post_init__(self):
        if self.op not in OPS:
            raise ValueError(f"op: {self.op!r} is not one of {', '.join(OPS)}")

    def describe(self) -> str:
        """The change in words, as the report prints it."""
        if self.op == SET:
            return f"set {self.key}: {self.value!r}"
        if self.op == ADD_DIRECTIVE:
            return f"add {self.value!r} to job-extra-directives"
        if self.op == SKIP_HEADER:
            where = f" (drops {self.line!r})" if self.line else ""
            return f"add {self.value!r} to job-directives-skip{where}"
        if self.op == UNSKIP_HEADER:
            return f"remove {self.value!r} from job-directives-skip"
        return f"remove {self.key}"


@dataclass(frozen=True)
class Fix:
    """How to make the problem go away: profile operations, an action in words, or both."""

    ops: tuple[PatchOp, ...] = ()
    action: str | None = None  # what the user must do that no config key does

    @property
    def is_config(self) -> bool:
        """True when applying `ops` is the whole fix (no step left for the user)."""
        return bool(self.ops) and self.action is None

    def describe(self) -> str:
        parts = [op.describe() for op in self.ops]
        if self.action:
            parts.append(self.action)
        return "; ".join(parts) if parts else "(no fix known)"


@dataclass(frozen=True)
class Evidence:
    """A quoted line and where it came from ("worker log cn01-17.err:12", "sbatch stderr")."""

    source: str
    text: str
    line: int | None = None  # 1-based line number in the source, when it is a file

    def where(self) -> str:
        return self.source if self.line is None else f"{self.source}:{self.line}"


@dataclass(frozen=True)
class Finding:
    """One diagnosed problem."""

    rule_id: str  # stable name of the rule ("network-unreachable-scheduler")
    mode: int  # failure mode 1..24 of the catalogue
    title: str  # the problem in plain words, one line
    explanation: str  # why it happens and what the fix does
    evidence: tuple[Evidence, ...]
    confidence: float  # 0..1: how sure the rule is
    fix: Fix = field(default_factory=Fix)

    def __post_init__(self):
        if not 1 <= self.mode <= 24:
            raise ValueError(f"mode: {self.mode!r} is not a failure mode number (1-24)")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence: {self.confidence!r} is not between 0 and 1")


def apply_fix(profile: Profile, fix: Fix) -> Profile:
    """The profile with the fix's operations applied (the action, if any, is the user's)."""
    for op in fix.ops:
        if op.op == SET:
            profile = profile.with_setting(op.key, op.value)
        elif op.op == REMOVE_KEY:
            if op.key.startswith("distributed."):
                sub = op.key[len("distributed."):]
                profile = Profile(profile.kind, dict(profile.settings),
                                  {k: v for k, v in profile.distributed.items() if k != sub})
            else:
                profile = Profile(profile.kind,
                                  {k: v for k, v in profile.settings.items() if k != op.key},
                                  dict(profile.distributed))
        elif op.op == ADD_DIRECTIVE:
            extra = list(profile.get("job-extra-directives") or [])
            if op.value not in extra:
                profile = profile.with_setting("job-extra-directives", extra + [op.value])
        elif op.op == UNSKIP_HEADER:
            skips = list(profile.get("job-directives-skip") or [])
            if any(str(e) == str(op.value) for e in skips):
                profile = profile.with_setting(
                    "job-directives-skip", [e for e in skips if str(e) != str(op.value)])
        else:  # SKIP_HEADER
            skips = list(profile.get("job-directives-skip") or [])
            if op.value not in skips:
                profile = profile.with_setting("job-directives-skip", skips + [op.value])
    return profile
