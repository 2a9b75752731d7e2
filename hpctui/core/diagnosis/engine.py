"""`diagnose(signals)`: every rule over the signals, findings deduplicated and ordered by confidence.

Rules are plain functions `Signals -> list[Finding]` grouped by module; a rule that raises is a
bug in hpctui, not in the user's setup, so it is reported as such instead of hiding other findings.
Fallback rules (`known.py`: what is known when nothing explains it) run only when no other
finding is at least `FALLBACK_BELOW` sure: "nothing says why" is false beside a finding that does.
"""

from __future__ import annotations

from typing import Callable

from hpctui.core.diagnosis import (adaptive, environment, known, network, placement, resources,
                                   skips, startup, startup_watch, submission)
from hpctui.core.diagnosis.finding import Finding
from hpctui.core.diagnosis.signals import Signals

Rule = Callable[[Signals], list[Finding]]

ALL_RULES: tuple[Rule, ...] = (network.RULES + submission.RULES + resources.RULES
                               + environment.RULES + startup.RULES + startup_watch.RULES
                               + skips.RULES + placement.RULES + adaptive.RULES)
FALLBACK_RULES: tuple[Rule, ...] = known.RULES
FALLBACK_BELOW = 0.6


class RuleError(RuntimeError):
    """A rule crashed: the message names it."""


def _key(f: Finding) -> tuple:
    # Two findings are the same when they name the same failure mode and propose the same fix
    # (a worker log and a stack sample can both show mode 1 and lead to the same `interface`).
    # repr, not hash: fix values may be lists and dicts (scheduler-options, worker-extra-args).
    return (f.mode, repr(f.fix))


def diagnose(signals: Signals, rules: tuple[Rule, ...] = ALL_RULES,
             fallback: tuple[Rule, ...] = FALLBACK_RULES) -> list[Finding]:
    """Findings for `signals`, most confident first; duplicates merged (evidence joined)."""
    merged: dict[tuple, Finding] = {}
    _run(rules, signals, merged)
    if fallback and not any(f.confidence >= FALLBACK_BELOW for f in merged.values()):
        _run(fallback, signals, merged)
    return sorted(merged.values(), key=lambda f: (-f.confidence, f.mode, f.rule_id))


def _run(rules: tuple[Rule, ...], signals: Signals, merged: dict[tuple, Finding]) -> None:
    for rule in rules:
        try:
            found = rule(signals)
        except Exception as exc:  # noqa: BLE001 - re-raised with the rule's name
            raise RuleError(f"diagnosis rule {rule.__module__}.{rule.__name__} failed: "
                            f"{type(exc).__name__}: {exc}") from exc
        for f in found:
            key = _key(f)
            if key in merged:
                old = merged[key]
                evidence = old.evidence + tuple(e for e in f.evidence if e not in old.evidence)
                best = f if f.confidence > old.confidence else old
                merged[key] = Finding(best.rule_id, best.mode, best.title, best.explanation,
                                      evidence, best.confidence, best.fix)
            else:
                merged[key] = f
