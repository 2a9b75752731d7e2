"""`hpctui doctor`'s run, without a terminal: validate, submit, watch, diagnose, (fix,) clean up.

`run_doctor(DoctorOptions(...), progress=print_line)` returns a `DoctorReport`; it prints
nothing (progress lines go to the callback) and imports no Textual.

One run is a series of rounds. A round submits the profile through `ClusterSession`, watches
the queue, the job logs and the workers until N workers connected, the timeout, every
submission was refused, or diagnosis found a confident cause with a configuration fix
(waiting longer would not change the verdict). Then it cancels every job, checks the batch
system's queue that none is left, and diagnoses what it saw (`diagnose(Signals(...))`).
When no worker connected and nothing explains why, the network probe runs (once per profile).
If that still explains nothing, the next round runs the same profile with the workers started
under the main-thread stack sampler (`doctor_stacks`: in memory only, never written), polls
the sample files while it runs, and a hang site with a fix (a worker stuck on a file lock)
ends that round like any confident finding.

Between rounds the best configuration fix of the round's findings is applied (always to the
profile without the sampler, so --fix writes only the real fix):
- with `fix=True`, written to the config file through `Workspace.write` (atomic, `.bak`,
  comments kept) — the same write the UI does;
- without it, to the profile in memory only, so that the next round can find the problem the
  first one hid (a rejected submission hides a network problem); the file is never touched.
The run stops when workers connect, when no fix is left, or after `max_rounds`.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from hpctui.core.doctor import stacks as ds
from hpctui.core.session import events as ev
from hpctui.core.diagnosis import Finding, Versions, apply_fix, diagnose
from hpctui.core.diagnosis.collector import SignalCollector
from hpctui.core.config.profile import Profile

EXIT_CONNECTED = 0
EXIT_NOT_CONNECTED = 1
EXIT_BAD_INPUT = 2

# A finding this sure, with a configuration fix, ends a round early: more waiting only
# repeats the same log lines.
CONFIDENT = 0.8
DIAGNOSE_EVERY = 2.0  # seconds between diagnoses while a round runs
REFUSED_GRACE = 3.0  # after a refusal with no job queued, how long to wait for another job


class DoctorInputError(Exception):
    """Bad input (unknown scheduler, unreadable or malformed config, invalid profile): exit 2."""


@dataclass(frozen=True)
class DoctorOptions:
    """What `hpctui doctor` was asked to do."""

    kind: str | None = None  # None: detect the batch system
    config_path: str | None = None
    workers: int = 1
    timeout: float = 300.0  # seconds each round waits for the workers
    fix: bool = False
    max_rounds: int = 4
    probe: bool = True  # run the network probe when workers do not connect and nothing says why
    probe_timeout: float | None = None  # default: `timeout`
    cancel_wait: float = 30.0  # seconds to wait for cancelled jobs to leave the queue
    # TLS with dask-jobqueue's temporary certificates, kept in a 0700 directory under the
    # log directory (shared with the compute nodes, as the logs are).
    tls: bool = False
    # The stack sampler: "auto" (a round runs under it after one that failed unexplained),
    # "always" (--sample: from the first round), "never" (--no-sample).
    sample: str = ds.SAMPLE_AUTO

    def __post_init__(self):
        if self.sample not in ds.SAMPLE_MODES:
            raise DoctorInputError(f"sample: expected one of {', '.join(ds.SAMPLE_MODES)}, "
                                   f"got {self.sample!r}")
        if not isinstance(self.workers, int) or self.workers < 1:
            raise DoctorInputError(f"--workers: expected a whole number >= 1, got {self.workers!r}")
        if not self.timeout > 0:
            raise DoctorInputError(f"--timeout: expected seconds > 0, got {self.timeout!r}")
        if not isinstance(self.max_rounds, int) or self.max_rounds < 1:
            raise DoctorInputError(f"max_rounds: expected a whole number >= 1, got {self.max_rounds!r}")


@dataclass(frozen=True)
class InterfaceLine:
    """One login-node interface, as the report shows it."""

    name: str
    ipv4: tuple[str, ...]
    up: bool
    default_route: bool


@dataclass(frozen=True)
class Environment:
    """Where doctor ran: versions, batch system, interfaces."""

    python: str
    python_executable: str
    dask: str | None
    distributed: str | None
    dask_jobqueue: str | None
    hpctui: str
    host: str
    batch_system: str
    batch_system_reason: str
    interfaces: tuple[InterfaceLine, ...]


@dataclass(frozen=True)
class TimelineEntry:
    """Something that happened, `at` seconds after doctor started."""

    round: int
    at: float
    what: str  # "scheduler started", "submitted", "PENDING", "RUNNING", "worker joined", ...
    job_id: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class Change:
    """A fix applied between rounds."""

    round: int  # the round whose findings it came from
    rule_id: str
    title: str
    summary: str  # the change in words
    written: bool  # True: in the config file; False: in memory only (no --fix)
    message: str  # the write's outcome ("wrote F (queue); previous version in F.bak")


@dataclass(frozen=True)
class Round:
    """One attempt: the profile it submitted and what came of it."""

    number: int
    job_script: str
    workers_wanted: int
    workers_connected: int
    connected: bool
    ended: str  # why the round stopped waiting, in words
    scheduler_address: str | None
    job_ids: tuple[str, ...]
    left_in_queue: tuple[str, ...]  # job ids still queued after cancelling: should be empty
    findings: tuple[Finding, ...]
    probe_verdict: str | None = None  # the probe's message, when it ran
    duration: float = 0.0
    jobs_ran: int = 0  # jobs the queue showed running (a worker process existed to look at)
    sampler: ds.SamplerRun | None = None  # set when the workers ran under the stack sampler

    @property
    def sampled(self) -> bool:
        return self.sampler is not None


@dataclass(frozen=True)
class DoctorReport:
    """Everything `hpctui doctor` found; rendered by `hpctui.core.doctor.report`."""

    kind: str
    config_path: str | None
    fix_mode: bool
    workers_wanted: int
    environment: Environment
    problems: tuple[str, ...]  # validation warnings of the starting profile
    rounds: tuple[Round, ...]
    timeline: tuple[TimelineEntry, ...]
    changes: tuple[Change, ...]
    notes: tuple[str, ...]
    exit_code: int

    @property
    def connected(self) -> bool:
        return self.exit_code == EXIT_CONNECTED

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every distinct finding of the rounds that failed, first seen first."""
        seen: dict[str, Finding] = {}
        for rnd in self.rounds:
            if not rnd.connected:
                for f in rnd.findings:
                    seen.setdefault(f.rule_id, f)
        return tuple(seen.values())

    @property
    def left_in_queue(self) -> tuple[str, ...]:
        return tuple(j for r in self.rounds for j in r.left_in_queue)


Progress = Callable[[str], None]


def _versions() -> tuple[str | None, str | None, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in ("dask", "distributed", "dask-jobqueue"):
        try:
            out.append(version(name))
        except PackageNotFoundError:
            out.append(None)
    return tuple(out)  # type: ignore[return-value]


def environment(kind: str, reason: str, interfaces) -> Environment:
    """The environment section of the report, from this process."""
    import hpctui

    dask_v, dist_v, djq_v = _versions()
    return Environment(
        python=platform.python_version(), python_executable=sys.executable,
        dask=dask_v, distributed=dist_v, dask_jobqueue=djq_v, hpctui=hpctui.__version__,
        host=platform.node(), batch_system=kind, batch_system_reason=reason,
        interfaces=tuple(InterfaceLine(i.name, i.ipv4_addresses, i.is_up, i.is_default_route)
                         for i in interfaces))


def partitions(kind: str) -> tuple[str, ...]:
    """The partitions SLURM lists (default marked `*`), for the unknown-partition rule."""
    if kind != "slurm":
        return ()
    from hpctui.core.batch.commands import run_command

    result = run_command(["sinfo", "--noheader", "--format=%P"], timeout=15)
    return tuple(result.stdout.split()) if result.ok else ()


def still_queued(kind: str, job_ids: tuple[str, ...], wait: float) -> tuple[str, ...]:
    """Job ids the batch system still holds (not finished) after up to `wait` seconds.

    Cancelled jobs pass through COMPLETING, so this asks again until they are final or gone.
    An unanswerable query counts every job as still there: "nothing left" must be proven.
    """
    if not job_ids:
        return ()
    from hpctui import schedulers
    from hpctui.core.batch.commands import run_command

    sched = schedulers.get(kind)
    deadline = time.monotonic() + wait
    while True:
        result = run_command(sched.status_command(list(job_ids)), timeout=15)
        if result.ok or (result.exit_code is not None and not result.timed_out
                         and sched.means_no_jobs(result.exit_code, result.stdout, result.stderr)):
            try:
                rows = sched.parse_status(result.stdout)
            except Exception:
                left = job_ids
            else:
                left = tuple(r.job_id for r in rows if r.job_id in job_ids and not r.state.is_final)
        else:
            left = job_ids
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(1.0)


class _Timeline:
    """Turns session events into timeline entries and progress lines (delivery thread)."""

    def __init__(self, t0: float, progress: Progress | None) -> None:
        self.t0 = t0
        self.round = 0
        self.entries: list[TimelineEntry] = []
        self.job_ids: list[str] = []
        self.failed = 0
        self.start_failed: str | None = None
        self.ran: set[str] = set()  # job ids seen running
        self._progress = progress
        self._lock = threading.Lock()

    def add(self, what: str, job_id: str | None = None, detail: str = "") -> None:
        entry = TimelineEntry(self.round, round(time.monotonic() - self.t0, 2), what, job_id, detail)
        with self._lock:
            self.entries.append(entry)
        if self._progress is not None:
            job = f" job {job_id}" if job_id else ""
            self._progress(f"[{entry.at:7.1f}s] round {entry.round}:{job} {what}"
                           + (f" ({detail})" if detail else ""))

    def on_event(self, event: ev.SessionEvent) -> None:
        if isinstance(event, ev.ClusterStarted):
            self.add("scheduler started", detail=event.scheduler_address)
        elif isinstance(event, ev.ClusterStartFailed):
            self.start_failed = event.message
            self.add("cluster could not start", detail=event.message)
        elif isinstance(event, ev.JobSubmitted):
            self.job_ids.append(event.job_id)
            self.add("submitted", event.job_id)
        elif isinstance(event, ev.SubmitFailed):
            self.failed += 1
            self.add("submission refused", detail=event.error.summary())
        elif isinstance(event, ev.JobStateChanged):
            detail = event.queue_state + (f": {event.reason}" if event.reason else "")
            if event.queue_state == "RUNNING" or event.new in _RAN_PHASES:
                self.ran.add(event.job_id)
            self.add(event.new, event.job_id, detail)
        elif isinstance(event, ev.WorkerJoined):
            self.add("worker joined", event.job_id, f"{event.name} from {event.host}")
        elif isinstance(event, ev.WorkerLeft):
            self.add("worker left", event.job_id, f"{event.name}: {event.reason}")
        elif isinstance(event, ev.JobsCancelled):
            self.add("cancelled" if event.ok else "cancel failed", None,
                     ", ".join(event.job_ids) + (f": {event.detail}" if event.detail else ""))
        elif isinstance(event, ev.SessionFailed):
            self.add("session failed", detail=event.message)


# Job phases (tracker.JobPhase values) that mean the job's worker process existed.
_RAN_PHASES = ("starting", "started, not connected", "connected")


def _best_fix(findings, profile: Profile) -> Finding | None:
    """The most confident finding whose configuration change actually changes the profile."""
    for f in findings:  # diagnose() orders them most confident first
        if not f.fix.ops:
            continue
        try:
            if apply_fix(profile, f.fix) != profile:
                return f
        except ValueError:
            continue
    return None


class Doctor:
    """One `hpctui doctor` run; `run()` returns the report. See the module docstring."""

    def __init__(self, options: DoctorOptions, progress: Progress | None = None, *,
                 interfaces=None, session_options: dict | None = None) -> None:
        self.options = options
        self.progress = progress
        self._interfaces = interfaces  # login-node InterfaceFacts (None: read this host's)
        self._session_options = dict(session_options or {})
        self.t0 = time.monotonic()
        self.notes: list[str] = []
        self._stack_seen: set[tuple[str, str]] = set()  # (process, site) already on the timeline
        self._probed: tuple[Profile, object] | None = None  # the probe's profile and result
        self._no_sampler: str | None = None  # why the sampler could not be installed, if so

    def _say(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)

    def _load(self):
        from hpctui.core.batch.detect import detect
        from hpctui.core.session.workspace import Workspace

        o = self.options
        try:
            detection = detect(o.kind)
        except ValueError as exc:
            raise DoctorInputError(str(exc)) from None
        if o.config_path is not None and not os.path.isfile(o.config_path):
            raise DoctorInputError(f"--config: cannot read {o.config_path}: no such file")
        try:
            ws = Workspace.from_config(detection.kind, o.config_path)
        except (OSError, ValueError) as exc:
            raise DoctorInputError(f"--config: {exc}") from None
        errors = [e.message for e in ws.loaded.errors]
        errors += list(ws.loaded.unknown_keys)
        if errors:
            raise DoctorInputError("; ".join(errors))
        return detection, ws

    def run(self) -> DoctorReport:
        from hpctui.core.network.facts import login_interfaces
        from hpctui.core.config.validate import validate

        o = self.options
        detection, ws = self._load()
        kind = detection.kind
        profile = ws.pending
        problems = validate(profile)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise DoctorInputError("; ".join(p.message for p in errors))
        no_place = ds.can_sample(profile)
        if o.sample == ds.SAMPLE_ALWAYS and no_place:
            raise DoctorInputError(f"--sample: {no_place}")
        interfaces = self._interfaces if self._interfaces is not None else login_interfaces()
        env = environment(kind, getattr(detection, "reason", ""), interfaces)
        self._say(f"hpctui doctor: {kind}, config {ws.target.path}, {o.workers} worker(s), "
                  f"{o.timeout:g} s per round" + (", --fix" if o.fix else ""))
        timeline = _Timeline(self.t0, self.progress)
        parts = partitions(kind)
        rounds: list[Round] = []
        changes: list[Change] = []
        sampled = ds.first_round_sampled(o.sample)
        for number in range(1, o.max_rounds + 1):
            timeline.round = number
            rnd = self._round(number, profile, timeline, interfaces, parts, sampled)
            rounds.append(rnd)
            best = _best_fix(rnd.findings, profile) if not rnd.connected else None
            step = ds.next_step(rnd, best, o.sample, ds.can_sample(profile) or self._no_sampler)
            if step.note:
                self.notes.append(step.note)
            if step.action == "done":
                break
            if step.action == "stop":
                self._say(f"round {number}: {step.reason}")
                break
            sampled = step.sampled
            if step.action == "sample":
                self._say(f"round {number}: {step.reason}")
                if number == o.max_rounds:
                    self.notes.append(f"stopped after {o.max_rounds} rounds (the next would have "
                                      "run the workers under the stack sampler)")
                continue
            fixed = apply_fix(profile, best.fix)
            bad = [p.message for p in validate(fixed) if p.severity == "error"]
            if bad:
                self.notes.append(f"the fix of {best.rule_id} ({best.fix.describe()}) makes the "
                                  f"profile invalid: {'; '.join(bad)}")
                break
            if o.fix:
                outcome = ws.write(fixed)
                changes.append(Change(number, best.rule_id, best.title, best.fix.describe(),
                                      outcome.ok, outcome.message))
                self._say(f"round {number}: {best.fix.describe()}: {outcome.message}")
                if not outcome.ok:
                    break
            else:
                changes.append(Change(number, best.rule_id, best.title, best.fix.describe(), False,
                                      "applied in memory only, to look for the next problem; "
                                      "the config file was not changed (use --fix to write it)"))
                self._say(f"round {number}: trying again with {best.fix.describe()} "
                          "in memory only (no --fix: the config file is not changed)")
            profile = fixed
            if number == o.max_rounds:
                self.notes.append(f"stopped after {o.max_rounds} rounds")
        first_ok = rounds[0].connected
        last_ok = rounds[-1].connected
        if not o.fix and not first_ok and last_ok:
            self.notes.append("the workers connected only with the changes listed, made in memory; "
                              "run again with --fix to write them to the config file")
        ok = last_ok if o.fix else first_ok
        left = [j for r in rounds for j in r.left_in_queue]
        if left:
            self.notes.append(f"jobs still in the queue after cancelling: {', '.join(left)}")
        return DoctorReport(
            kind=kind, config_path=str(ws.target.path), fix_mode=o.fix, workers_wanted=o.workers,
            environment=env, problems=tuple(p.message for p in problems),
            rounds=tuple(rounds), timeline=tuple(timeline.entries), changes=tuple(changes),
            notes=tuple(self.notes), exit_code=EXIT_CONNECTED if ok else EXIT_NOT_CONNECTED)

    # -- one round ---------------------------------------------------------------------

    def _round(self, number: int, profile: Profile, timeline: _Timeline, interfaces,
               parts: tuple[str, ...], sampled: bool = False) -> Round:
        import dask

        from hpctui.core.jobscript.render import render
        from hpctui.core.stacks.sampler_toggle import sampler_on
        from hpctui.core.session.cluster import ClusterSession

        o = self.options
        started = time.monotonic()
        # A profile that already runs the sampler (the user switched it on) is read too.
        if sampled or (o.sample != ds.SAMPLE_NEVER and sampler_on(profile)):
            sampler = self._sampler(number, profile)
        else:
            sampler = None
        # The profile the jobs run: with the sampler wired into `python` when it is on. Every
        # decision (fixes, diagnosis) uses `profile`, the one without it.
        submitted = sampler.profile if sampler is not None else profile
        script = render(submitted).text
        self._say(f"round {number}: job script\n{script.rstrip()}")
        timeline.job_ids = []
        timeline.failed = 0
        timeline.start_failed = None
        timeline.ran = set()
        if sampler is not None:
            timeline.add("sampler on", detail=f"samples in {sampler.place.out_dir}")
        collector = SignalCollector()
        extra = {"login_interfaces": tuple(interfaces), "partitions": parts,
                 "login_python": sys.executable, "login_versions": _login_versions()}
        if profile.kind == "lsf":  # mode 10 compares the site's unit with the profile's
            from hpctui.schedulers.lsf import site_unit_for_limits

            extra["lsf_unit_for_limits"] = site_unit_for_limits(dict(os.environ))
        session_options = {"handle_exits": threading.current_thread() is threading.main_thread()}
        session_options.update(self._session_options)
        # distributed.* keys of the profile (comm timeouts, file locking) must be in effect
        # where the scheduler runs: this process.
        with dask.config.set(profile.dask_config()):
            session = ClusterSession(profile.kind, self._cluster_kwargs(submitted),
                                     **session_options)
            session.subscribe(collector.on_event)
            session.subscribe(timeline.on_event)
            try:
                session.start()
                session.scale(o.workers)
                ended, findings = self._watch(collector, timeline, profile, extra, started,
                                              sampler)
                # Before closing: the workers leave when their jobs are cancelled.
                signals = collector.signals(profile, **extra)
            finally:
                # Also on Ctrl-C: the jobs are cancelled before doctor goes.
                session.close()
                closed = session.wait_closed(o.cancel_wait + 60)
        if sampler is not None:
            # The last second of samples is flushed as the workers stop.
            extra["stacks"] = self._poll_stacks(sampler, timeline)
            signals = dataclasses.replace(signals, stacks=extra["stacks"])
        if not closed:
            self.notes.append(f"round {number}: the session did not close within "
                              f"{o.cancel_wait + 60:g} s")
        connected = signals.workers_connected or 0
        ok = connected >= o.workers
        probe_message = None
        if not ok:
            findings = tuple(diagnose(signals))
            if o.probe and not signals.submit_failures and _best_fix(findings, profile) is None:
                probe = self._probe(number, profile)
                if probe is not None:
                    probe_message = probe.message
                    timeline.add("probe", detail=probe.message)
                    signals = collector.signals(profile, **{**extra, "probe": probe})
                    findings = tuple(diagnose(signals))
            if sampler is not None:
                findings = ds.with_hot_frames(findings, sampler.summaries)
        else:
            findings = ()
        from hpctui.core.network.security import tls_warning

        warning = tls_warning(profile, signals.scheduler_address, tls=o.tls)
        if warning and not any(warning[:40] in n for n in self.notes):
            # Once per run: every round's port differs, the advice does not.
            self.notes.append(f"round {number}: {warning} (`hpctui doctor --tls` tries the "
                              "workers over TLS)")
        job_ids = tuple(dict.fromkeys(timeline.job_ids))
        ran = len(timeline.ran)
        left = still_queued(profile.kind, job_ids, o.cancel_wait)
        timeline.add("queue checked", detail=("nothing left" if not left
                                              else f"still queued: {', '.join(left)}"))
        return Round(number, script, o.workers, connected, ok, ended, signals.scheduler_address,
                     job_ids, left, findings, probe_message, round(time.monotonic() - started, 2),
                     ran, sampler.run() if sampler is not None else None)

    def _sampler(self, number: int, profile: Profile) -> ds.RoundSampler | None:
        """The round's sampler, installed next to the logs; None (with a note) if it cannot be."""
        tag = f"doctor-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-round{number}"
        try:
            sampler = ds.RoundSampler(profile, tag)
        except (OSError, ValueError) as exc:
            self._no_sampler = f"it could not be installed: {exc}"
            self.notes.append(f"round {number}: the stack sampler could not be installed: {exc}")
            return None
        self._say(f"round {number}: the workers run under the stack sampler "
                  f"(samples in {sampler.place.out_dir}; not written to the config file)")
        return sampler

    def _poll_stacks(self, sampler: ds.RoundSampler, timeline: _Timeline):
        """Read new samples; each newly found hang site goes on the timeline."""
        try:
            reports = sampler.poll()
        except OSError as exc:  # a file vanishing mid-read: the next poll tries again
            self._say(f"stack samples unreadable: {exc}")
            return ()
        for note in ds.stack_notes(sampler.summaries):
            key = (note.process, note.site)
            if key not in self._stack_seen:
                self._stack_seen.add(key)
                timeline.add("sampler found", detail=note.describe())
        return reports

    def _watch(self, collector: SignalCollector, timeline: _Timeline, profile: Profile,
               extra: dict, started: float,
               sampler: ds.RoundSampler | None = None) -> tuple[str, tuple[Finding, ...]]:
        o = self.options
        deadline = started + o.timeout
        diagnosed_version = -1
        diagnosed_stacks: tuple = ()
        next_diagnosis = next_poll = 0.0
        refused_at = None
        findings: tuple[Finding, ...] = ()
        while True:
            now = time.monotonic()
            signals = None
            if (collector.signals().workers_connected or 0) >= o.workers:
                return f"{o.workers} worker(s) connected", ()
            if timeline.start_failed:
                return f"the cluster could not start: {timeline.start_failed}", findings
            if timeline.failed and not timeline.job_ids:
                refused_at = refused_at or now
                if now - refused_at >= REFUSED_GRACE:
                    return "every submission was refused", findings
            if sampler is not None and now >= next_poll:
                next_poll = now + DIAGNOSE_EVERY
                extra["stacks"] = self._poll_stacks(sampler, timeline)
            if now >= next_diagnosis and (collector.version != diagnosed_version
                                          or extra.get("stacks", ()) != diagnosed_stacks):
                diagnosed_version = collector.version
                diagnosed_stacks = extra.get("stacks", ())
                next_diagnosis = now + DIAGNOSE_EVERY
                signals = collector.signals(profile, **extra)
                findings = tuple(diagnose(signals))
                sure = [f for f in findings if f.confidence >= CONFIDENT and f.fix.ops
                        and f.evidence and not signals.workers_connected]
                if sure and _best_fix(sure, profile) is not None:
                    return f"diagnosed: {sure[0].title}", findings
            if now >= deadline:
                return f"timed out after {o.timeout:g} s", findings
            time.sleep(0.25)

    def _cluster_kwargs(self, profile: Profile) -> dict:
        kwargs = profile.cluster_kwargs()
        if not self.options.tls:
            return kwargs
        from hpctui.core.network.security import tls_cluster_kwargs

        base = kwargs.get("log_directory") or os.getcwd()
        try:
            return tls_cluster_kwargs(kwargs, os.path.join(base, ".hpctui-tls"))
        except (OSError, ValueError) as exc:
            raise DoctorInputError(f"--tls: {exc}") from None

    def _probe(self, number: int, profile: Profile):
        from hpctui.core.network.probe_run import run_probe

        if self._probed is not None and self._probed[0] == profile:
            # Same profile, same network: a second probe job would only repeat the verdict
            # (the round after an unexplained one runs the same profile under the sampler).
            self._say(f"round {number}: probe (as before): {self._probed[1].message}")
            return self._probed[1]
        timeout = self.options.probe_timeout or self.options.timeout
        self._say(f"round {number}: no worker connected and nothing says why: running the "
                  "network probe")
        try:
            result = run_probe(profile.kind, profile.cluster_kwargs(), report_timeout=timeout,
                               python_timeout=min(60.0, timeout))
        except Exception as exc:  # the probe is extra evidence; its failure must not hide the rest
            self.notes.append(f"round {number}: the network probe failed: {type(exc).__name__}: {exc}")
            return None
        self._say(f"round {number}: probe: {result.message}")
        self._probed = (profile, result)
        return result


def _login_versions() -> Versions:
    dask_v, dist_v, djq_v = _versions()
    return Versions("login node", platform.python_version(), dask_v, dist_v, djq_v)


def run_doctor(options: DoctorOptions, progress: Progress | None = None, **kwargs) -> DoctorReport:
    """Run `hpctui doctor`; raises `DoctorInputError` for bad input (exit 2)."""
    return Doctor(options, progress, **kwargs).run()
