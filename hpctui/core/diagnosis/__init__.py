"""Diagnosis: every signal hpctui has -> findings in plain words, with evidence and a fix.

Build a `Signals`, call `diagnose(signals)`, show `render_findings_text(findings)` or
`findings_to_json(findings)`, and apply a finding's fix with `apply_fix(profile, finding.fix)`.
One rule per failure mode of hpctui's catalogue (1-24), grouped by module: network, submission,
resources, environment, startup, startup_watch, skips, placement. No Textual here.
"""

from hpctui.core.diagnosis.engine import ALL_RULES, RuleError, diagnose
from hpctui.core.diagnosis.finding import (ADD_DIRECTIVE, REMOVE_KEY, SET, SKIP_HEADER,
                                           UNSKIP_HEADER, Evidence, Finding, Fix, PatchOp,
                                           apply_fix)
from hpctui.core.diagnosis.report import findings_to_json, render_findings_text
from hpctui.core.diagnosis.signals import Signals, StackReport, Versions, WorkerEvent, WorkerLog

__all__ = [
    "ALL_RULES", "RuleError", "diagnose", "ADD_DIRECTIVE", "REMOVE_KEY", "SET", "SKIP_HEADER",
    "UNSKIP_HEADER",
    "Evidence", "Finding", "Fix", "PatchOp", "apply_fix", "findings_to_json",
    "render_findings_text", "Signals", "StackReport", "Versions", "WorkerEvent", "WorkerLog",
]
