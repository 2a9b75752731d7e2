"""`hpctui doctor`'s run, without a terminal: validate, submit, watch, diagnose, (fix,) clean up.

`run_doctor(DoctorOptions(...), progress=print_line)` returns a `DoctorReport`; it prints
nothing (progress lines go to the callback) and imports no Textual.

One run is a series of rounds. A round submits the profile through `ClusterSession`, watches
the queue, the job logs and the workers until N workers connected, the timeout, every
submission was refused, or diagnosis found a confident cause with a configuration fix
(waiting longer would not change the verdict). Then it cancels every job, checks the batch
system's queue that none is left, and diagnoses what it saw (`diagnose(Signals(...))`).
The network probe (`doctor/probing.py`, once per profile) goes as soon as a job has run a
couple of seconds with no worker connected, so an unreachable scheduler address is named while
the job runs; after a round that failed with nothing explaining it, that probe's result is used
(or one is sent then). If that still explains nothing, the next round runs the same profile
under the start-up watcher and the stack sampler (`doctor/observe.py`, in memory only), and a
hang site with a fix (a file lock) ends that round like any confident finding. Silent logs
once the probe answered end a round at once for that (`doctor/silence.py`). A round that ends
with a job running and nothing explaining why says plainly what was seen (`diagnosis/known.py`).

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
from hpctui.core.doctor.preflight import refused_round
from hpctui.core.doctor import motive, observe, stacks as ds
from hpctui.core.doctor.fixes import best_fix as _best_fix, probe_proven as _probe_proven
from hpctui.core.doctor.libnotes import RoundMessages
from hpctui.core.doctor.probing import DoctorProbe
from hpctui.core.doctor.silence import silent_job
from hpctui.core.doctor.site import (environment, load_workspace, login_versions, partitions,
                                     still_queued)
from hpctui.core.doctor.timeline import Timeline
from hpctui.core.jobscript.skip_check import check_skips
from hpctui.core.network.security import tls_warning
from hpctui.core.doctor.types import (EXIT_CONNECTED, EXIT_NOT_CONNECTED, Change,
                                      DoctorInputError, DoctorOptions, DoctorReport, Progress,
                                      Round)

# A finding this sure, with a configuration fix, ends a round early: more waiting only
# repeats the same log lines.
CONFIDENT = 0.8
DIAGNOSE_EVERY = 1.0  # seconds between diagnoses while a round runs (when something changed)
REFUSED_GRACE = 3.0  # after a refusal with no job queued, how long to wait for another job
SILENT_ENDING = "silent, observing the start-up next"  # a round cut short by silence.py


class Doctor:
    """One `hpctui doctor` run; `run()` returns the report. See the module docstring."""

    def __init__(self, options: DoctorOptions, progress: Progress | None = None, *,
                 interfaces=None, session_options: dict | None = None, library=None) -> None:
        self.options = options
        self.library = RoundMessages(library)  # what distributed & co. said, for the notes
        self.progress = progress
        self._interfaces = interfaces  # login-node InterfaceFacts (None: read this host's)
        self._session_options = dict(session_options or {})
        self.t0 = time.monotonic()
        self.notes: list[str] = []
        self._stack_seen: set[tuple[str, str]] = set()  # (process, site) already on the timeline
        self._probing = DoctorProbe(options, self._say, self.notes)
        self._no_sampler: str | None = None  # why the sampler could not be installed, if so

    def _say(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)

    def run(self) -> DoctorReport:
        from hpctui.core.network.facts import login_interfaces
        from hpctui.core.config.validate import validate

        o = self.options
        detection, ws = load_workspace(self.options)
        kind = detection.kind
        profile = ws.pending
        problems = validate(profile)
        if errors := [p for p in problems if p.severity == "error"]:
            raise DoctorInputError("; ".join(p.message for p in errors))
        no_place = ds.can_sample(profile)
        if o.sample == ds.SAMPLE_ALWAYS and no_place:
            raise DoctorInputError(f"--sample: {no_place}")
        interfaces = self._interfaces if self._interfaces is not None else login_interfaces()
        env = environment(kind, getattr(detection, "reason", ""), interfaces)
        self._say(f"hpctui doctor: {kind}, config {ws.target.path}, {o.workers} worker(s), "
                  f"{o.timeout:g} s per round" + (", --fix" if o.fix else ""))
        # Skip entries that remove a line they were not chosen for, or nothing: said first.
        skip_warnings = tuple(i.summary() for i in check_skips(profile))
        for warning in skip_warnings:
            self._say(f"warning: {warning}")
        timeline = Timeline(self.t0, self.progress)
        parts = partitions(kind)
        sampled = ds.first_round_sampled(o.sample)
        try:
            rounds, changes = self._rounds(ws, profile, timeline, interfaces, parts, sampled)
        finally:
            self._probing.close()
        # Rounds up to the first change ran the user's own profile (observation adds only the
        # watcher and the sampler): any of them connecting means it works as it is.
        unchanged = [r for r in rounds if not changes or r.number <= changes[0].round]
        first_ok = any(r.connected for r in unchanged)
        last_ok = rounds[-1].connected
        if not o.fix and not first_ok and last_ok:
            self.notes.append("the workers connected only with the changes listed, made in memory; "
                              "run again with --fix to write them to the config file")
        ok = last_ok if o.fix else first_ok
        left = [j for r in rounds for j in r.left_in_queue]
        if left:
            self.notes.append(f"jobs still in the queue after cancelling: {', '.join(left)}")
        self.library.round_ended(rounds[-1].number)
        self.notes.extend(self.library.notes())
        return DoctorReport(
            kind=kind, config_path=str(ws.target.path), fix_mode=o.fix, workers_wanted=o.workers,
            environment=env, problems=tuple(p.message for p in problems) + skip_warnings,
            rounds=tuple(rounds), timeline=tuple(timeline.entries), changes=tuple(changes),
            notes=tuple(self.notes), exit_code=EXIT_CONNECTED if ok else EXIT_NOT_CONNECTED)

    def _rounds(self, ws, profile: Profile, timeline: Timeline, interfaces, parts,
                sampled: bool) -> tuple[list[Round], list[Change]]:
        """Round after round, each round's best fix applied (or written) before the next."""
        from hpctui.core.config.validate import validate

        o = self.options
        rounds: list[Round] = []
        changes: list[Change] = []
        for number in range(1, o.max_rounds + 1):
            timeline.round = number
            # A silent round may end early for observation only when one can follow it.
            observe_after = (o.observe_after if number < o.max_rounds and not sampled
                       and o.sample == ds.SAMPLE_AUTO and not ds.can_sample(profile)
                       and self._no_sampler is None else None)
            rnd = self._round(number, profile, timeline, interfaces, parts, sampled,
                              observe_after)
            rounds.append(rnd)
            self.library.round_ended(number)
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
        return rounds, changes

    # -- one round ---------------------------------------------------------------------

    def _round(self, number: int, profile: Profile, timeline: Timeline, interfaces,
               parts: tuple[str, ...], sampled: bool = False,
               observe_after: float | None = None) -> Round:
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
        # Ask first (sbatch --test-only, qsub -w v): a refusal then costs no job.
        refused = refused_round(number, profile, script, o.workers, timeline, extra, started)
        if refused is not None:
            return refused
        session_options = {"handle_exits": threading.current_thread() is threading.main_thread()}
        session_options.update(self._session_options)
        # distributed.* keys of the profile (comm timeouts, file locking) must be in effect
        # where the scheduler runs: this process.
        with dask.config.set(profile.dask_config()):
            # A cluster key of its own: a cluster the user left running on this profile
            # (scheduler-placement: job) is not doctor's to record over, nor to cancel.
            session = ClusterSession(profile.kind, self._cluster_kwargs(submitted),
                                     cluster_key=f"doctor-{os.getpid()}-{number}",
                                     **session_options)
            session.subscribe(collector.on_event)
            session.subscribe(timeline.on_event)
            self._probing.start_round(session, profile, timeline)
            try:
                # N first: a scheduler job's workers go with it (session/workers_ahead.py).
                session.scale(o.workers)
                session.start()
                ended, findings = self._watch(collector, timeline, profile, extra, started,
                                              sampler, observe_after)
                # Before closing (workers leave when cancelled): each job running with no worker.
                signals = collector.signals(profile, quiet_after=0.0, **extra)
            finally:
                # Also on Ctrl-C: the jobs (the scheduler's too) are cancelled before doctor goes.
                session.close(force=True)
                closed = session.wait_closed(o.cancel_wait + 60)
        if sampler is not None:
            # The last second of samples is flushed as the workers stop.
            extra["stacks"] = self._poll(sampler, timeline)
            extra["startup"] = sampler.startup
            signals = dataclasses.replace(signals, stacks=extra["stacks"], startup=sampler.startup)
        if not closed:
            self.notes.append(f"round {number}: the session did not close within "
                              f"{o.cancel_wait + 60:g} s")
        connected = signals.workers_connected or 0
        ok = connected >= o.workers
        try:
            if not ok:
                findings = tuple(diagnose(signals))
                if o.probe and not signals.submit_failures and _best_fix(findings, profile) is None:
                    probe = self._probing.after_round(number, profile)
                    if probe is not None and probe is not signals.probe:
                        signals = dataclasses.replace(signals, probe=probe)
                        findings = tuple(diagnose(signals))
                if sampler is not None:
                    findings = ds.with_hot_frames(findings, sampler.summaries)
            else:
                findings = ()
        finally:
            self._probing.end_round()
        sent = self._probing.sent_this_round
        probe_message = sent.message if sent is not None else None
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

    def _poll(self, sampler, timeline: Timeline):
        return observe.poll_to_timeline(sampler, timeline, self._stack_seen, self._say)

    def _watch(self, collector: SignalCollector, timeline: Timeline, profile: Profile,
               extra: dict, started: float,
               sampler: ds.RoundSampler | None = None,
               observe_after: float | None = None) -> tuple[str, tuple[Finding, ...]]:
        o = self.options
        deadline = started + o.timeout
        diagnosed_version = -1
        diagnosed_stacks: tuple = ()
        next_diagnosis = next_poll = next_silence = 0.0
        refused_at = None
        findings: tuple[Finding, ...] = ()
        while True:
            now = time.monotonic()
            signals = None
            verdict = self._probing.verdict(profile)
            if verdict is not None and extra.get("probe") is not verdict:
                # The probe's verdict is in (from this round or before): diagnose with it now.
                extra["probe"] = verdict
                next_diagnosis, diagnosed_version = 0.0, -1
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
                extra["stacks"] = self._poll(sampler, timeline)
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
                sure = [f for f in findings if f.confidence >= CONFIDENT and f.evidence
                        and (f.fix.ops or _probe_proven(f)) and not signals.workers_connected]
                # A configuration fix that changes the profile, or the probe's proof of a
                # cause no setting fixes (a locked-down login node): more waiting adds nothing.
                if sure and (_best_fix(sure, profile) is not None
                             or any(not f.fix.ops for f in sure)):
                    return f"diagnosed: {sure[0].title}", findings
            if observe_after is not None and sampler is None and now >= next_silence:
                # Silent logs, the probe answered, no fix: the time-out adds only silence.
                next_silence = now + DIAGNOSE_EVERY
                seen = collector.signals(quiet_after=0.0)
                silent = silent_job(seen.quiet_jobs, observe_after,
                                    probe_pending=self._probing.pending(profile),
                                    connected=seen.workers_connected)
                if silent is not None:
                    return f"{SILENT_ENDING}: {silent.describe()}", findings
            if now >= deadline:
                return f"timed out after {o.timeout:g} s", findings
            time.sleep(0.25)

    def _cluster_kwargs(self, profile: Profile) -> dict:
        kwargs = profile.session_kwargs()  # with the scheduler's placement
        if not self.options.tls:
            return kwargs
        from hpctui.core.network.security import tls_cluster_kwargs

        base = kwargs.get("log_directory") or os.getcwd()
        try:
            return tls_cluster_kwargs(kwargs, os.path.join(base, ".hpctui-tls"))
        except (OSError, ValueError) as exc:
            raise DoctorInputError(f"--tls: {exc}") from None


def run_doctor(options: DoctorOptions, progress: Progress | None = None, **kwargs) -> DoctorReport:
    """Run `hpctui doctor`; raises `DoctorInputError` for bad input (exit 2).

    distributed, tornado and asyncio log and warn in this process while it runs; none of it
    reaches stdout or stderr: it is captured for the run only and summarised in the notes."""
    from hpctui.core.batch.djq import ensure_imported
    from hpctui.core.session.library_output import LibraryCapture

    ensure_imported()  # distributed's own stderr handlers exist before they are set aside
    with LibraryCapture() as capture:
        return Doctor(options, progress, library=capture, **kwargs).run()
