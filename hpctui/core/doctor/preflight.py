"""Doctor's pre-flight: before a round submits anything, ask the batch system whether it would take
the exact script (`hpctui.core.jobscript.preflight`). A refusal found this way is diagnosed like a
refused submission and becomes a round that cost no job; an acceptance, or a system with no such
check, lets the round submit as usual (its line goes in the timeline either way).
"""

from __future__ import annotations

import time

from hpctui.core.config.profile import Profile
from hpctui.core.doctor.types import Round
from hpctui.core.jobscript import preflight


def refused_round(number: int, profile: Profile, script: str, workers: int, timeline,
                  extra: dict, started: float) -> Round | None:
    """The round a pre-flight refusal ends before any job exists, or None to go on and submit."""
    from hpctui.core.diagnosis import diagnose
    from hpctui.core.diagnosis.signals import Signals

    verdict = preflight.check(profile.kind, script)
    timeline.add(f"pre-flight {verdict.status}", detail=verdict.message)
    if not verdict.refused:
        return None
    signals = Signals(profile=profile, submit_failures=(verdict.rejection,), **extra)
    findings = tuple(diagnose(signals))
    return Round(number, script, workers, 0, False,
                 f"pre-flight: {verdict.message} (checked without submitting: no job cost)",
                 None, (), (), findings, preflight=verdict.message,
                 duration=round(time.monotonic() - started, 2))
