"""The network probe in `hpctui doctor`: early, while a round runs, and after it; once per profile.

A round whose job has been RUNNING for a couple of seconds with no worker connected sends the
probe at once (`diagnosis/early.py`), so its verdict reaches the round's diagnosis while the
job still runs: a scheduler address the compute node cannot reach is named in seconds, not
after distributed's 30 s connect timeout, and the round ends on that finding as on any
confident one. After a round that failed with nothing explaining it, the same probe's result
is used (waited for, if it is still on its way) instead of sending a second job; only a
profile never probed gets one then. Every probe goes on the round's timeline.
"""

from __future__ import annotations

import threading

from hpctui.core.config.profile import Profile
from hpctui.core.diagnosis.early import (PYTHON_TIMEOUT, EarlyCheck, EarlyProbe, default_probe,
                                         useful_for)
from hpctui.core.doctor.timeline import Timeline
from hpctui.core.doctor.types import DoctorOptions, Progress
from hpctui.core.network.probe_verdict import ProbeResult


class DoctorProbe:
    """The doctor's probes across its rounds; see the module docstring."""

    def __init__(self, options: DoctorOptions, say: Progress, notes: list[str]) -> None:
        self.options = options
        self._say = say
        self._notes = notes
        self._timeline: Timeline | None = None
        self._profile: Profile | None = None
        self._lock = threading.Lock()
        self._told: set[tuple[str, float, str]] = set()  # (job, sent_at, stage) on the timeline
        self._probed: list[tuple[Profile, ProbeResult]] = []  # results, once per profile
        self.sent_this_round: ProbeResult | None = None
        self._early: EarlyCheck | None = None
        if options.probe and options.early_grace is not None:
            self._early = EarlyCheck(lambda: self._profile, self._on_update,
                                     grace=options.early_grace,
                                     probe=default_probe(self._report_timeout(),
                                                         min(PYTHON_TIMEOUT, options.timeout)))

    def _report_timeout(self) -> float:
        return self.options.probe_timeout or self.options.timeout

    # -- during a round -------------------------------------------------------------------

    def start_round(self, session, profile: Profile, timeline: Timeline) -> None:
        """Watch this round's session for a job running with no worker."""
        with self._lock:
            self._timeline, self._profile = timeline, profile
            self.sent_this_round = None
        if self._early is not None:
            session.subscribe(self._early.on_event)

    def _on_update(self, probe: EarlyProbe) -> None:
        with self._lock:
            timeline = self._timeline
            if probe.result is not None and probe.profile is not None:
                # The latest word wins: the import check's final report follows the verdict.
                self._keep(probe.profile, probe.result)
                self.sent_this_round = probe.result
        if timeline is None:
            return
        if probe.result is not None:
            stage, what, detail = "verdict", "probe", probe.result.message
        elif not probe.done:
            stage, what, detail = "sent", "probe sent", probe.describe()
        else:
            stage, what = "ended", "probe ended"
            detail = (f"stopped: {probe.stopped}" if probe.stopped
                      else f"failed: {probe.error}" if probe.error else "no verdict")
        key = (probe.job_id, probe.sent_at, stage)
        with self._lock:
            if key in self._told:
                return
            self._told.add(key)
        timeline.add(what, probe.job_id if stage == "sent" else None, detail)

    def _keep(self, profile: Profile, result: ProbeResult) -> None:
        self._probed = [(p, r) for p, r in self._probed if p != profile] + [(profile, result)]

    def verdict(self, profile: Profile) -> ProbeResult | None:
        """The probe's verdict for `profile`, as soon as one is known (early or earlier)."""
        with self._lock:
            return next((r for p, r in reversed(self._probed) if p == profile), None)

    def pending(self, profile: Profile) -> bool:
        """True while the early probe may still answer for `profile` in this round: it will be
        sent, or is on its way. False once it gave a verdict or ended, or when none goes."""
        if self._early is None or not useful_for(profile.kind) or self.verdict(profile):
            return False
        early = self._early.result_for(profile)
        return early is None or not early.done

    # -- after a round --------------------------------------------------------------------

    def end_round(self) -> None:
        """The round is over: a probe still on its way is stopped, unless `after_round` is
        about to wait for it."""
        with self._lock:
            self._profile = None  # a job of the closed session coming due sends nothing
        if self._early is not None:
            self._early.cancel("the round ended")
            self._early.wait(60)

    def after_round(self, number: int, profile: Profile) -> ProbeResult | None:
        """The probe's result for a round that failed unexplained: the early one (waited for
        while it runs), else a probe job sent now."""
        known = self.verdict(profile)
        if known is None and self._early is not None:
            early = self._early.result_for(profile)
            if early is not None and not early.done:
                self._say(f"round {number}: waiting for the network probe sent during the round")
                self._early.wait(self._report_timeout() + PYTHON_TIMEOUT + 30)
                known = self.verdict(profile)
        if known is not None:
            self._say(f"round {number}: probe: {known.message}")
            return known
        return self._probe_now(number, profile)

    def _probe_now(self, number: int, profile: Profile) -> ProbeResult | None:
        from hpctui.core.network.probe_run import run_probe

        timeout = self._report_timeout()
        self._say(f"round {number}: no worker connected and nothing says why: running the "
                  "network probe")
        try:
            result = run_probe(profile.kind, profile.cluster_kwargs(), report_timeout=timeout,
                               python_timeout=min(60.0, timeout))
        except Exception as exc:  # the probe is extra evidence; its failure must not hide the rest
            self._notes.append(f"round {number}: the network probe failed: "
                               f"{type(exc).__name__}: {exc}")
            return None
        self._say(f"round {number}: probe: {result.message}")
        with self._lock:
            self._keep(profile, result)
            self.sent_this_round = result
        if self._timeline is not None:
            self._timeline.add("probe", detail=result.message)
        return result

    def close(self) -> None:
        if self._early is not None:
            self._early.close()

    @staticmethod
    def early_possible(kind: str) -> bool:
        return useful_for(kind)
