"""`hpctui doctor --adapt MIN:MAX`: the demo workload under adaptive scaling, without the UI.

One run: the profile (validated as doctor does) with adaptive bounds MIN..MAX (the profile's
own `adapt` settings for unit, interval, wait-count and target-duration, when it has them),
a session that calls dask-jobqueue's `adapt()`, the demo workload (a few hundred short
`time.sleep` tasks) through a Client, then idle until the jobs fall back to the minimum. The
report lists adapt's decisions (scale up/down and why) on the timeline and, when adapt
submitted and cancelled jobs in a loop, the mode-18 finding with its evidence and fix.
Exit 0 when the tasks finished, the jobs fell back to the minimum and no loop was seen.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

from hpctui.core.diagnosis import Finding, diagnose
from hpctui.core.diagnosis.collector import SignalCollector
from hpctui.core.doctor.timeline import Timeline
from hpctui.core.doctor.types import (EXIT_CONNECTED, EXIT_NOT_CONNECTED, DoctorInputError,
                                      DoctorOptions, Progress, TimelineEntry)
from hpctui.core.session.adapt_settings import ADAPT_KWARG, AdaptSettings, parse_adapt, jobs_for

DEFAULT_TASKS = 300
DEFAULT_SECONDS = 0.1


@dataclass(frozen=True)
class AdaptReport:
    """What `doctor --adapt` saw."""

    kind: str
    config_path: str
    adapt: dict  # the settings used, as the profile's `adapt` mapping
    tasks: int
    tasks_done: int
    finished: bool  # every task ran
    back_to_minimum: bool  # the jobs fell back to the minimum once idle
    jobs_submitted: int
    most_jobs: int  # the most jobs alive at once
    decisions: tuple[str, ...]  # "up to 4 worker(s) ...", one line each
    findings: tuple[Finding, ...]
    timeline: tuple[TimelineEntry, ...]
    left_in_queue: tuple[str, ...]
    notes: tuple[str, ...]
    exit_code: int


def settings_for(profile, bounds: AdaptSettings) -> AdaptSettings:
    """MIN..MAX from the command line, the rest from the profile's `adapt` key (if any)."""
    own = profile.get("adapt")
    merged = {**(dict(own) if isinstance(own, dict) else {}),
              "minimum": bounds.minimum, "maximum": bounds.maximum}
    try:
        s = parse_adapt(merged)
    except ValueError as exc:
        raise DoctorInputError(str(exc)) from None
    assert s is not None
    return s


def run_adapt_check(options: DoctorOptions, bounds: AdaptSettings,
                    progress: Progress | None = None, *, tasks: int = DEFAULT_TASKS,
                    seconds: float = DEFAULT_SECONDS) -> AdaptReport:
    """Run the check; DoctorInputError for bad input. Library output is kept off the terminal."""
    from hpctui.core.batch.djq import ensure_imported
    from hpctui.core.session.library_output import LibraryCapture

    ensure_imported()
    with LibraryCapture():
        return _run(options, bounds, progress, tasks, seconds)


def _run(o: DoctorOptions, bounds: AdaptSettings, progress, tasks: int,
         seconds: float) -> AdaptReport:
    from hpctui.core.config.validate import validate
    from hpctui.core.doctor.site import load_workspace, still_queued
    from hpctui.core.session.cluster import ClusterSession
    from hpctui.core.session.demo_load import DemoLoadProgressed
    from hpctui.core.session.events import ClusterStarted, ClusterStartFailed, SessionClosed

    say = progress or (lambda line: None)
    detection, ws = load_workspace(o)
    kind, profile = detection.kind, ws.pending
    s = settings_for(profile, bounds)
    # In memory only (the finding's fix is worded against it); never written.
    profile = profile.with_setting("adapt", s.as_mapping())
    errors = [p for p in validate(profile) if p.severity == "error"]
    if errors:
        raise DoctorInputError("; ".join(p.message for p in errors))
    say(f"hpctui doctor --adapt: {kind}, config {ws.target.path}, adaptive "
        f"{s.bounds_text()}, demo load of {tasks} task(s)")
    t0 = time.monotonic()
    timeline, collector = Timeline(t0, progress), SignalCollector()
    timeline.round = 1
    session = ClusterSession(kind, {**profile.session_kwargs(), ADAPT_KWARG: s},
                             state_dir=None)
    state = _Watch()
    session.subscribe(timeline.on_event)
    session.subscribe(collector.on_event)
    session.subscribe(state.on_event)
    notes: list[str] = []
    done = finished = back = False
    deadline = time.monotonic() + o.timeout
    try:
        session.start()
        started = state.wait(lambda e: isinstance(e, (ClusterStarted, ClusterStartFailed)),
                             deadline)
        if isinstance(started, ClusterStarted):
            load = session.start_demo_load(tasks=tasks, seconds=seconds)
            state.wait(lambda e: isinstance(e, DemoLoadProgressed) and (e.finished or e.error),
                       deadline)
            done, finished = load.done, load.done == tasks
            if not finished:
                load.stop()
                notes.append(f"the demo load did not finish within {o.timeout:g} s")
            want = s.minimum if s.unit == "jobs" else jobs_for(s.minimum, _processes(profile))
            back = _wait(lambda: _live(session) <= want, deadline)
            if not back:
                notes.append(f"jobs did not fall back to the minimum ({want}) within "
                             f"{o.timeout:g} s")
    finally:
        session.close()
        session.wait_closed(o.cancel_wait + 60)
    state.wait(lambda e: isinstance(e, SessionClosed), time.monotonic() + 5)
    left = still_queued(kind, tuple(timeline.job_ids), o.cancel_wait)
    if left:
        notes.append(f"jobs still in the queue after cancelling: {', '.join(left)}")
    signals = collector.signals(profile, quiet_after=0)
    findings = tuple(f for f in diagnose(signals) if f.mode == 18 or not (finished and back))
    loop = any(f.mode == 18 for f in findings)
    ok = finished and back and not loop and not left
    return AdaptReport(
        kind=kind, config_path=str(ws.target.path), adapt=s.as_mapping(), tasks=tasks,
        tasks_done=done, finished=finished, back_to_minimum=back,
        jobs_submitted=len(timeline.job_ids), most_jobs=state.most_jobs,
        decisions=tuple(f"{e.at:7.1f}s {e.what}: {e.detail}" for e in timeline.entries
                        if e.what.startswith("adapt:")),
        findings=findings, timeline=tuple(timeline.entries), left_in_queue=tuple(left),
        notes=tuple(notes), exit_code=EXIT_CONNECTED if ok else EXIT_NOT_CONNECTED)


def _processes(profile) -> int:
    p = profile.get("processes")
    return p if isinstance(p, int) and p > 0 else 1


def _live(session) -> int:
    return sum(1 for j in session.snapshot().jobs if j.phase.value not in ("ended", "ending"))


def _wait(condition, deadline: float) -> bool:
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


class _Watch:
    """Events seen so far, for waiting on one, and the most jobs alive at once."""

    def __init__(self) -> None:
        import threading

        self._cond = threading.Condition()
        self._events: list = []
        self._alive: set[str] = set()
        self.most_jobs = 0

    def on_event(self, event) -> None:
        from hpctui.core.session import events as ev

        with self._cond:
            self._events.append(event)
            if isinstance(event, ev.JobSubmitted):
                self._alive.add(event.job_id)
                self.most_jobs = max(self.most_jobs, len(self._alive))
            elif isinstance(event, ev.JobsCancelled):
                self._alive -= set(event.job_ids)
            elif isinstance(event, ev.JobReplacing):
                self._alive.discard(event.job_id)
            self._cond.notify_all()

    def wait(self, pred, deadline: float):
        """The first event matching `pred` (None at the deadline)."""
        with self._cond:
            while True:
                found = next((e for e in self._events if pred(e)), None)
                left = deadline - time.monotonic()
                if found is not None or left <= 0:
                    return found
                self._cond.wait(min(left, 0.5))
