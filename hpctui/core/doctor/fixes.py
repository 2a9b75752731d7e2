"""Which finding's fix doctor applies between rounds."""

from __future__ import annotations

from hpctui.core.config.profile import Profile
from hpctui.core.diagnosis import Finding, apply_fix
from hpctui.core.diagnosis.skips import RULE_IDS as SKIP_RULES


def best_fix(findings, profile: Profile) -> Finding | None:
    """The most confident finding whose configuration change actually changes the profile."""
    for f in findings:  # diagnose() orders them most confident first
        if not f.fix.ops or f.rule_id in SKIP_RULES:  # a warning, not why the round failed
            continue
        try:
            if apply_fix(profile, f.fix) != profile:
                return f
        except ValueError:
            continue
    return None
