"""Which finding's fix doctor applies between rounds."""

from __future__ import annotations

from hpctui.core.config.profile import Profile
from hpctui.core.diagnosis import Finding
from hpctui.core.diagnosis.skips import RULE_IDS as SKIP_RULES
from hpctui.core.doctor import motive


def best_fix(findings, profile: Profile) -> Finding | None:
    """The most confident cause whose configuration change actually changes the profile (no
    guesses: `doctor/motive.py`; skip-entry findings are warnings, not why a round failed)."""
    return motive.motivating_fix([f for f in findings if f.rule_id not in SKIP_RULES], profile)


def probe_proven(f: Finding) -> bool:
    # The probe's rows are a verdict on the network: waiting longer would not change them.
    return any(e.source == "probe" for e in f.evidence)
