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
under the main-thread stack sampler (`doctor/stacks.py`: in memory only, never written), polls
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
import sys
import threading
import time

from hpctui.core.config.profile import Profile
from hpctui.core.diagnosis import Finding, apply_fix, diagnose
from hpctui.core.diagnosis.collector import SignalCollector
from hpctui.core.doctor import motive, observe, stacks as ds
from hpctui.core.doctor.site import environment, login_versions, partitions, still_queued
from hpctui.core.doctor.timeline import Timeline
from hpctui.core.doctor.types import (EXIT_CONNECTED, EXIT_NOT_CONNECTED, Change,
                                      DoctorInputError, DoctorOptions, DoctorReport, Progress,
                                      Round)

# A finding this sure, with a configuration fix, ends a round early: more waiting only
# repeats the same log lines.
CONFIDENT = 0.8
DIAGNOSE_EVERY = 2.0  # seconds between diagnoses while a round runs
REFUSED_GRACE = 3.0  # after a refusal with no job queued, how long to wait for another job



def _best_fix(findings, profile: Profile) -> Finding | None:
    """The most confident cause whose configuration change changes the profile (no guesses:
    `doctor/motive.py`)."""
    return motive.motivating_fix(findings, profile)


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
        timeline = Timeline(self.t0, self.progress)
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
            why = motive.because(best)
            if o.fix:
                outcome = ws.write(fixed)
                changes.append(Change(number, best.rule_id, best.title, best.fix.describe(),
                                      outcome.ok, outcome.message, why))
                self._say(f"round {number}: {best.fix.describe()}: {outcome.message} "
                          f"(because: {why})")
                if not outcome.ok:
                    break
            else:
                changes.append(Change(number, best.rule_id, best.title, best.fix.describe(), False,
                                      "applied in memory only, to look for the next problem; "
                                      "the config file was not changed (use --fix to write it)",
                                      why))
                self._say(f"round {number}: trying again with {best.fix.describe()} "
                          f"in memory only (no --fix: the config file is not changed; "
                          f"because: {why})")
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

    def _round(self, number: int, profile: Profile, timeline: Timeline, interfaces,
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
                 "login_python": sys.executable, "login_versions": login_versions()}
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
            extra["startup"] = sampler.startup
            signals = dataclasses.replace(signals, stacks=extra["stacks"], startup=sampler.startup)
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

    def _sampler(self, number: int, profile: Profile) -> observe.RoundObserver | None:
        """The round's observer (start-up watcher + sampler), installed next to the logs; None
        (with a note) if it cannot be."""
        tag = f"doctor-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-round{number}"
        try:
            sampler = observe.RoundObserver(profile, tag)
        except (OSError, ValueError) as exc:
            self._no_sampler = f"it could not be installed: {exc}"
            self.notes.append(f"round {number}: the stack sampler could not be installed: {exc}")
            return None
        self._say(f"round {number}: the workers run under the start-up watcher and the stack "
                  f"sampler (records in {sampler.place.out_dir}; not written to the config file)")
        return sampler

    def _poll_stacks(self, sampler: ds.RoundSampler, timeline: Timeline):
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
        for line in sampler.new_notes():
            timeline.add("start-up", detail=line)
        return reports

    def _watch(self, collector: SignalCollector, timeline: Timeline, profile: Profile,
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
                extra["startup"] = sampler.startup
                stuck = sampler.conclusive()
                if stuck:  # the observation already names the cause: no need to wait
                    return f"diagnosed: {stuck}", findings
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



def run_doctor(options: DoctorOptions, progress: Progress | None = None, **kwargs) -> DoctorReport:
    """Run `hpctui doctor`; raises `DoctorInputError` for bad input (exit 2)."""
    return Doctor(options, progress, **kwargs).run()
