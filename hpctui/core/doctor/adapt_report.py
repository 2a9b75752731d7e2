"""Rendering `doctor --adapt`'s `AdaptReport`: plain text, and JSON (`hpctui.doctor-adapt/1`,
described in docs/doctor-schema.md)."""

from __future__ import annotations

from dataclasses import asdict

from hpctui.core.diagnosis import findings_to_json, render_findings_text
from hpctui.core.doctor.adapt_check import AdaptReport

SCHEMA = "hpctui.doctor-adapt/1"


def adapt_report_to_json(r: AdaptReport) -> dict:
    return {
        "schema": SCHEMA, "ok": r.exit_code == 0, "exit_code": r.exit_code,
        "batch_system": r.kind, "config_path": r.config_path, "adapt": dict(r.adapt),
        "tasks": r.tasks, "tasks_done": r.tasks_done, "finished": r.finished,
        "back_to_minimum": r.back_to_minimum, "jobs_submitted": r.jobs_submitted,
        "most_jobs": r.most_jobs, "decisions": list(r.decisions),
        "timeline": [asdict(t) for t in r.timeline],
        "findings": findings_to_json(list(r.findings))["findings"],
        "left_in_queue": list(r.left_in_queue), "notes": list(r.notes),
    }


def render_adapt_report_text(r: AdaptReport) -> str:
    a = r.adapt
    loop = any(f.mode == 18 for f in r.findings)
    verdict = ("OK: adapt scaled up, ran the tasks and fell back to the minimum"
               if r.exit_code == 0 else
               "NOT OK: adapt submitted and cancelled jobs in a loop" if loop else
               "NOT OK: " + ("the tasks did not finish" if not r.finished
                             else "the jobs did not fall back to the minimum"
                             if not r.back_to_minimum else "jobs left in the queue"))
    out = [f"hpctui doctor --adapt: {verdict} ({r.kind}, config {r.config_path})", "",
           f"Adaptive {a['minimum']}..{a['maximum']} {a['unit']}, interval {a['interval']}, "
           f"wait-count {a['wait-count']}, target-duration {a['target-duration']}",
           f"  demo load: {r.tasks_done}/{r.tasks} tasks; {r.jobs_submitted} job(s) submitted, "
           f"at most {r.most_jobs} at once; "
           + ("back to the minimum" if r.back_to_minimum else "NOT back to the minimum"), "",
           f"Decisions ({len(r.decisions)})"]
    out += [f"  {d}" for d in r.decisions]
    out += ["", "Timeline"]
    for t in r.timeline:
        job = f" job {t.job_id}" if t.job_id else ""
        out.append(f"  {t.at:7.1f}s{job}: {t.what}" + (f" ({t.detail})" if t.detail else ""))
    out += ["", f"Findings ({len(r.findings)})"]
    if r.findings:
        out.append(render_findings_text(list(r.findings)).rstrip())
    if r.left_in_queue:
        out.append(f"STILL QUEUED: {', '.join(r.left_in_queue)}")
    if r.notes:
        out += ["", "Notes"] + [f"  {n}" for n in r.notes]
    return "\n".join(out) + "\n"
