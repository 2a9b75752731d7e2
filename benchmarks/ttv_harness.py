"""The measuring half of benchmarks/time_to_verdict.py: run one failure for real, time it.

One `Case` is one failure: a profile that reproduces it (on the SLURM testbed or the local
backend), the rule that names its cause, when its clock starts (the job RUNNING, the refusal,
the task that eats the memory, the time limit) and what distributed (or the batch system) does
on its own when nobody explains it: the baseline a user has today. `run_case` runs it through
the same core pieces as the TUI, with the TUI's cadences: a `ClusterSession`, a
`SignalCollector`, the `EarlyCheck` (network probe after DEFAULT_GRACE s of RUNNING with no
worker), the stack sampler's files when the case turns it on, and `diagnose()` at most once a
second when something changed. It records the first moment a finding with the right rule id
and evidence exists, and goes on watching until the baseline happens (or the case's cap), so
both figures come from the same run.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hpctui.core.config.profile import Profile  # noqa: E402
from hpctui.core.diagnosis import diagnose  # noqa: E402
from hpctui.core.diagnosis.collector import SignalCollector  # noqa: E402
from hpctui.core.diagnosis.early import EarlyCheck  # noqa: E402
from hpctui.core.session import events as ev  # noqa: E402

DIAGNOSE_S = 1.0  # the TUI's cadence (ui/app_session.DIAGNOSE_S)
STACKS_S = 1.0


@dataclass
class Run:
    """What a case's hooks may read and set while it runs (times are time.time())."""

    session: object
    events: list = field(default_factory=list)
    start_at: float | None = None
    baseline_at: float | None = None
    baseline_note: str = ""
    scheduler_address: str | None = None
    stop: threading.Event = field(default_factory=threading.Event)


Hook = Callable[[Run, ev.SessionEvent], None]


@dataclass
class Case:
    """One failure to reproduce and time."""

    name: str
    where: str  # "testbed" or "local"
    kind: str
    settings: dict  # jobqueue.<kind> keys, dashed, as in the YAML
    rule: str  # the rule id of the finding that names the right cause
    start: str  # what starts the clock, in words
    baseline: str  # what distributed / the batch system does on its own, in words
    starts: Hook  # sets run.start_at from an event
    gives_up: Hook  # sets run.baseline_at from an event
    cap: float = 45.0  # seconds after the start to wait for the baseline
    sampler: bool = False
    workers: int = 1
    hook: Hook | None = None  # anything else the case does on events (a task to run)
    accept: Callable[[object], bool] | None = None  # more than the rule id (a held job's reason)
    setup: Callable[[], Callable[[], None]] | None = None  # returns its cleanup


@dataclass
class Row:
    """The figures of one case."""

    case: Case
    verdict: float | None = None  # seconds from the start to the right finding
    baseline: float | None = None  # seconds from the start to distributed's own ending
    evidence: str = ""  # the finding's first quoted line
    note: str = ""


def _login_facts() -> dict:
    from hpctui.core.doctor.site import login_versions
    from hpctui.core.network.facts import login_interfaces

    return {"login_interfaces": tuple(login_interfaces()), "login_python": sys.executable,
            "login_versions": login_versions()}


def run_case(case: Case, overall: float = 180.0) -> Row:
    """Run `case` for real; see the module docstring."""
    from hpctui.core.doctor import stacks as ds
    from hpctui.core.session.cluster import ClusterSession

    cleanup = case.setup() if case.setup else (lambda: None)
    profile = Profile(case.kind, dict(case.settings))
    sampler = None
    submitted = profile
    if case.sampler:
        sampler = ds.RoundSampler(profile, f"ttv-{int(time.time())}")
        submitted = sampler.profile
    row = Row(case)
    session = ClusterSession(case.kind, submitted.cluster_kwargs(), handle_exits=False)
    run = Run(session)
    collector = SignalCollector()
    early = EarlyCheck(lambda: profile, None)
    found_at: list[float] = []

    def on_event(e: ev.SessionEvent) -> None:
        run.events.append(e)
        if isinstance(e, ev.ClusterStarted):
            run.scheduler_address = e.scheduler_address
        if run.start_at is None:
            case.starts(run, e)
        if run.baseline_at is None:
            case.gives_up(run, e)
        if case.hook is not None:
            case.hook(run, e)

    for subscriber in (collector.on_event, early.on_event, on_event):
        session.subscribe(subscriber)
    extra = _login_facts()
    try:
        session.start()
        session.scale(case.workers)
        t0 = time.time()
        version, next_diagnosis, next_stacks = -1, 0.0, 0.0
        while time.time() < t0 + overall:
            now = time.time()
            probe = early.result_for(profile)
            if probe is not None and probe.result is not None \
                    and extra.get("probe") is not probe.result:
                extra["probe"] = probe.result
                version = -1
            if sampler is not None and now >= next_stacks:
                next_stacks = now + STACKS_S
                stacks = sampler.poll()
                if stacks != extra.get("stacks", ()):
                    extra["stacks"] = stacks
                    version = -1
            if not found_at and now >= next_diagnosis and collector.version != version:
                version, next_diagnosis = collector.version, now + DIAGNOSE_S
                hit = [f for f in diagnose(collector.signals(profile, **extra))
                       if f.rule_id == case.rule and f.evidence
                       and (case.accept is None or case.accept(f))]
                if hit:
                    found_at.append(time.time())
                    row.evidence = f"{hit[0].evidence[0].source}: {hit[0].evidence[0].text}"
            start = run.start_at
            if found_at and start is not None and (run.baseline_at is not None
                                                   or now > start + case.cap):
                break
            time.sleep(0.1)
    finally:
        run.stop.set()
        early.close(wait=None)
        session.close()
        session.wait_closed(120)
        early.wait(60)
        cleanup()
    start = run.start_at
    if start is None:
        row.note = f"its clock never started ({case.start} not seen in {overall:.0f} s)"
        return row
    if found_at:
        row.verdict = max(0.0, found_at[0] - start)
    else:
        row.note = "no finding named the cause"
    if run.baseline_at is not None:
        row.baseline = max(0.0, run.baseline_at - start)
    else:
        row.note = (row.note + "; " if row.note else "") + (
            run.baseline_note or f"distributed had not given up {case.cap:.0f} s after the start")
    return row


# -- event predicates the cases share --------------------------------------------------------

def first_running(run: Run, e: ev.SessionEvent) -> None:
    if isinstance(e, ev.JobStateChanged) and e.queue_state == "RUNNING":
        run.start_at = e.at


def first_log_line(*needles: str) -> Hook:
    def hook(run: Run, e: ev.SessionEvent) -> None:
        if isinstance(e, ev.LogLinesAppended) and any(n in line for line in e.lines
                                                      for n in needles):
            run.baseline_at = e.at
    return hook


def job_ended(run: Run, e: ev.SessionEvent) -> None:
    if isinstance(e, ev.JobStateChanged) and e.new == "ended":
        run.baseline_at = e.at


def never(run: Run, e: ev.SessionEvent) -> None:
    return None
