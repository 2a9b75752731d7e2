"""Rendering a `DoctorReport`: plain text for a terminal or ticket, JSON (`hpctui.doctor/1`).

The JSON schema is documented in docs/doctor-schema.md; the findings inside it are the
`hpctui.findings/1` documents of `findings_to_json`.
"""

from __future__ import annotations

from dataclasses import asdict

from hpctui.core.diagnosis import findings_to_json, render_findings_text
from hpctui.core.doctor.types import DoctorReport, Round

SCHEMA = "hpctui.doctor/1"


def sampler_to_json(rnd: Round) -> dict:
    """A round's `sampler` object: whether it ran, where the samples are, what it found."""
    run = rnd.sampler
    if run is None:
        return {"ran": False, "samples_dir": None, "processes": 0, "found": []}
    return {"ran": True, "samples_dir": run.samples_dir, "processes": run.processes,
            "found": [{**asdict(n), "hot_frames": list(n.hot_frames), "summary": n.describe()}
                      for n in run.found],
            "startup": [startup_to_json(n) for n in getattr(run, "startup", ())]}


def startup_to_json(note) -> dict:
    """One worker process's start-up (`doctor.observe.StartupNote`) as JSON."""
    return {"process": note.process, "ended": note.ended, "stuck": note.stuck,
            "phases": [{"name": n, "seconds": s, "finished": done} for n, s, done in note.phases],
            "slow_imports": [{"module": m, "seconds": sec, "fs": fs, "file": f, "mount": point}
                             for m, sec, fs, f, point in note.slow_imports]}


def sampler_lines(rnd: Round) -> list[str]:
    """What the text report says about a round's sampler (nothing when it did not run)."""
    run = rnd.sampler
    if run is None:
        return []
    head = (f"    sampler: on ({run.processes} process(es) sampled, samples in {run.samples_dir})")
    lines = [head]
    if not run.found:
        # Say what the samples cover: a process stuck in `site` has none (see start-up below).
        lines.append("      the samples show nothing stuck or slow in a known place")
    for n in run.found:
        lines.append(f"      {n.describe()}: {n.title}")
        if n.hot_frames:
            lines.append(f"        hot frames ({n.hot_share:.0%}, innermost first): "
                         + " <- ".join(n.hot_frames))
    startup = getattr(run, "startup", ())
    if startup:
        lines.append("    start-up (from exec, per worker process):")
        for note in startup:
            lines.extend(note.lines())
    return lines


def report_to_json(report: DoctorReport) -> dict:
    """The report as one JSON-ready document (see docs/doctor-schema.md)."""
    return {
        "schema": SCHEMA,
        "connected": report.connected,
        "exit_code": report.exit_code,
        "batch_system": report.kind,
        "config_path": report.config_path,
        "fix_mode": report.fix_mode,
        "workers_wanted": report.workers_wanted,
        "environment": {**asdict(report.environment),
                        "interfaces": [asdict(i) for i in report.environment.interfaces]},
        "problems": list(report.problems),
        "rounds": [{
            "number": r.number, "connected": r.connected, "ended": r.ended,
            "workers_wanted": r.workers_wanted, "workers_connected": r.workers_connected,
            "scheduler_address": r.scheduler_address, "job_ids": list(r.job_ids),
            "left_in_queue": list(r.left_in_queue), "probe": r.probe_verdict,
            "preflight": r.preflight,
            "duration": r.duration, "job_script": r.job_script, "jobs_ran": r.jobs_ran,
            "sampler": sampler_to_json(r),
            "findings": findings_to_json(list(r.findings))["findings"],
        } for r in report.rounds],
        "timeline": [asdict(t) for t in report.timeline],
        "findings": findings_to_json(list(report.findings))["findings"],
        "also_seen": findings_to_json(list(report.also_seen))["findings"],
        "changes": [asdict(c) for c in report.changes],
        "notes": list(report.notes),
    }


def render_report_text(report: DoctorReport) -> str:
    """The report as text: verdict, environment, timeline, findings, changes, notes."""
    env = report.environment
    out: list[str] = []
    verdict = ("OK: the workers connected" if report.connected
               else "NOT OK: the workers did not connect")
    out.append(f"hpctui doctor: {verdict} ({report.kind}, {report.workers_wanted} worker(s), "
               f"config {report.config_path})")
    out.append("")
    out.append("Environment")
    out.append(f"  python {env.python} ({env.python_executable})")
    out.append(f"  dask {env.dask}, distributed {env.distributed}, "
               f"dask-jobqueue {env.dask_jobqueue}, hpctui {env.hpctui}")
    out.append(f"  host {env.host}; batch system {env.batch_system} ({env.batch_system_reason})")
    for i in env.interfaces:
        flags = ", ".join(x for x in ("up" if i.up else "down",
                                      "default route" if i.default_route else "") if x)
        out.append(f"  interface {i.name}: {', '.join(i.ipv4) or 'no IPv4'} ({flags})")
    for p in report.problems:
        out.append(f"  profile warning: {p}")
    out.append("")
    if report.rounds:
        out.append("Job script (round 1)")
        out.extend(f"  {line}" for line in report.rounds[0].job_script.rstrip().splitlines())
        out.append("")
    out.append("Timeline")
    for t in report.timeline:
        job = f" job {t.job_id}" if t.job_id else ""
        out.append(f"  {t.at:7.1f}s  round {t.round}{job}: {t.what}"
                   + (f" ({t.detail})" if t.detail else ""))
    out.append("")
    out.append("Rounds")
    for r in report.rounds:
        out.append(f"  round {r.number}: {r.workers_connected}/{r.workers_wanted} connected; "
                   f"{r.ended}; {len(r.job_ids)} job(s), "
                   + ("none left in the queue" if not r.left_in_queue
                      else f"STILL QUEUED: {', '.join(r.left_in_queue)}"))
        if r.preflight:
            out.append(f"    pre-flight refused it (no job submitted): {r.preflight}")
        if r.probe_verdict:
            out.append(f"    probe: {r.probe_verdict}")
        out.extend(sampler_lines(r))
    out.append("")
    findings = report.findings
    out.append(f"Findings ({len(findings)})")
    if findings:
        out.append(render_findings_text(list(findings)).rstrip())
    out.append("")
    if report.also_seen:
        out.append(f"Also seen, not why the workers did not connect ({len(report.also_seen)})")
        out.append(render_findings_text(list(report.also_seen)).rstrip())
        out.append("")
    if report.changes:
        out.append("Changes")
        for c in report.changes:
            where = "written" if c.written else "not written"
            out.append(f"  after round {c.round}: {c.summary} [{c.rule_id}] ({where}: {c.message})")
            if c.because:
                out.append(f"    because: {c.because}")
        out.append("")
    for n in report.notes:
        out.append(f"Note: {n}")
    return "\n".join(out).rstrip() + "\n"
