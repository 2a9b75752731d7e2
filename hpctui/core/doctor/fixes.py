"""Which finding's fix doctor applies between rounds."""

from __future__ import annotations

from hpctui.core.config.profile import Profile
from hpctui.core.diagnosis import Finding, apply_fix
from hpctui.core.diagnosis.skips import RULE_IDS as SKIP_RULES
from hpctui.core.doctor import motive


def best_fix(findings, profile: Profile) -> Finding | None:
    """The most confident cause whose configuration change actually changes the profile (no
    guesses: `doctor/motive.py`; skip-entry findings are warnings, not why a round failed)."""
    for f in findings:  # diagnose() orders them most confident first
        if not f.fix.ops or f.rule_id in SKIP_RULES or not motive.is_cause(f):
            continue
        try:
            if apply_fix(profile, f.fix) != profile:
                return f
        except ValueError:
            continue
    return None


def probe_proven(f: Finding) -> bool:
    # The probe's rows are a verdict on the network: waiting longer would not change them.
    return any(e.source == "probe" for e in f.evidence)
