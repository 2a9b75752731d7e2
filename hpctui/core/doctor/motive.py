"""Which finding may change the profile between doctor's rounds, and the words that say why.

A round changes something only when a finding with evidence asks for it: a finding that
explains why the workers did not connect (a log line, the probe, a stack, the queue, a refused
submission). Findings about the login side's hygiene are true whether or not any worker ever
connects, so they never motivate a change: the scheduler listening everywhere without TLS
(doctor prints it as a note) and another user's dashboard on the port. Trying `security: True`
because nothing else came up is a guess, and a guess costs the user a round and hides the
real cause behind a changed profile.
"""

from __future__ import annotations

from hpctui.core.config.profile import Profile
from hpctui.core.diagnosis import Finding, apply_fix

# Rule ids whose finding does not explain a failure to connect (see the module docstring).
NOT_A_CAUSE = frozenset({"scheduler-open-without-tls", "dashboard-port-taken"})
QUOTE = 140  # characters of the first evidence quoted beside a change


def is_cause(finding: Finding) -> bool:
    """True when the finding, with its evidence, can explain why the workers did not connect."""
    return finding.rule_id not in NOT_A_CAUSE and bool(finding.evidence)


def motivating_fix(findings, profile: Profile) -> Finding | None:
    """The most confident cause whose configuration change actually changes the profile."""
    for f in findings:  # diagnose() orders them most confident first
        if not f.fix.ops or not is_cause(f):
            continue
        try:
            if apply_fix(profile, f.fix) != profile:
                return f
        except ValueError:
            continue
    return None


def because(finding: Finding) -> str:
    """The finding that motivated a change, as printed beside it: title and first evidence."""
    ev = finding.evidence[0] if finding.evidence else None
    quote = ""
    if ev is not None:
        text = ev.text if len(ev.text) <= QUOTE else ev.text[:QUOTE - 1] + "…"
        quote = f"; {ev.where()}: {text}"
    return f"{finding.title} [{finding.rule_id}]{quote}"
