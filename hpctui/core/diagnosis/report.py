"""Findings as a plain-text report (for `hpctui doctor` and support tickets) and as JSON.

JSON schema of `findings_to_json(findings)` (version 1), also in docs/findings-schema.md:

    {
      "schema": "hpctui.findings/1",
      "findings": [                      # most confident first
        {
          "rule_id": str,                # stable rule name, e.g. "workers-cannot-reach-scheduler"
          "mode": int,                   # failure mode 1..24 of hpctui's catalogue
          "title": str,                  # the problem in plain words
          "explanation": str,
          "confidence": float,           # 0..1
          "evidence": [{"source": str, "line": int | null, "text": str}],
          "fix": {
            "summary": str,              # the whole fix in words
            "ops": [{"op": "set" | "add-directive" | "skip-header" | "remove-key"
                           | "unskip-header",
                     "key": str,         # dashed config name, or "distributed.<dotted key>"
                     "value": any JSON,  # new value / directive / skip entry; null for remove-key
                     "line": str | null}],  # skip-header: the header line it drops
            "action": str | null         # a step no config key does, in words
          }
        }
      ]
    }
"""

from __future__ import annotations

import textwrap
from typing import Any

from hpctui.core.diagnosis.finding import Finding

SCHEMA = "hpctui.findings/1"


def render_findings_text(findings: list[Finding], width: int = 88) -> str:
    """A readable report: each finding with its evidence and fix, most confident first."""
    if not findings:
        return "No problems found.\n"
    out: list[str] = []
    for n, f in enumerate(findings, 1):
        out.append(f"{n}. {f.title}  [failure mode {f.mode}, {f.rule_id}, "
                   f"confidence {f.confidence:.0%}]")
        out.extend(textwrap.wrap(f.explanation, width, initial_indent="   ",
                                 subsequent_indent="   "))
        if f.evidence:
            out.append("   Evidence:")
            for ev in f.evidence:
                out.append(f"     {ev.where()}: {ev.text}")
        out.append("   Fix:")
        for op in f.fix.ops:
            out.append(f"     - {op.describe()}")
        if f.fix.action:
            out.extend(textwrap.wrap(f.fix.action, width, initial_indent="     - ",
                                     subsequent_indent="       "))
        if not f.fix.ops and not f.fix.action:
            out.append("     (no fix known)")
        out.append("")
    return "\n".join(out)


def _plain(value: Any) -> Any:
    # Profile values are YAML-shaped already (str, int, bool, list, dict); tuples become lists.
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def finding_to_json(f: Finding) -> dict[str, Any]:
    """One finding as JSON-ready data (see the module docstring for the schema)."""
    return {
        "rule_id": f.rule_id,
        "mode": f.mode,
        "title": f.title,
        "explanation": f.explanation,
        "confidence": round(f.confidence, 3),
        "evidence": [{"source": e.source, "line": e.line, "text": e.text} for e in f.evidence],
        "fix": {
            "summary": f.fix.describe(),
            "ops": [{"op": o.op, "key": o.key, "value": _plain(o.value), "line": o.line}
                    for o in f.fix.ops],
            "action": f.fix.action,
        },
    }


def findings_to_json(findings: list[Finding]) -> dict[str, Any]:
    """The findings as one JSON document (schema "hpctui.findings/1")."""
    return {"schema": SCHEMA, "findings": [finding_to_json(f) for f in findings]}
