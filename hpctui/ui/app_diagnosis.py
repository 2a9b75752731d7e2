"""The app's diagnosis half: findings from the session's signals (in a worker), and the
stacks pane's sources (the workers' sampler files, hpctui's own scheduler loop, and live
samples of the connected workers: every LIVE_EVERY_S seconds while the stacks pane is shown
and its live sampling is on, a thread asks the session for a round, keeps it in a
`LiveWindow` and hands the pane the result).

A mixin of HpcTuiApp: Textual dispatches `on_*` handlers found anywhere in the app's MRO.
"""

from __future__ import annotations

import time

from textual import work

from hpctui.ui.app_messages import FindingsUpdated

# While a job runs with no worker, diagnosis looks again this often even with no new event.
QUIET_RECHECK_S = 1.0
LIVE_EVERY_S = 3.0  # a live round every 3 s: 1 s of samples at 20 Hz, then up to 2 s to answer
LIVE_SECONDS = 1.0
LIVE_RATE = 20.0


class DiagnosisMixin:
    """Findings and stacks; see the module docstring."""

    # -- diagnosis and stacks -----------------------------------------------------------

    def _quiet_after(self) -> float | None:
        """Seconds a job may run with no worker before diagnosis states what is known, once
        the early probe has answered (doctor's figure: the same facts, the same patience);
        None before, when only the tracker's "started, not connected" counts."""
        from hpctui.core.doctor.silence import SILENT_AFTER

        return SILENT_AFTER if getattr(self, "_early_result", None) is not None else None

    def _maybe_diagnose(self) -> None:
        if self.collector is None or self.workspace is None:
            return
        # The pending profile counts as a signal: the skip-entry rule checks it, so an edit
        # shows its finding (or clears it) without waiting for the session to say anything.
        pending = self.workspace.pending
        quiet_after = self._quiet_after()
        if (self.collector.version == self._diagnosed_version
                and pending is getattr(self, "_diagnosed_pending", None)):
            # A silent worker sends no event: while a job runs with none connected, time
            # passing is news (its silence grows past `quiet_after`).
            if (quiet_after is None or not self.collector.has_job_without_worker()
                    or time.monotonic() - getattr(self, "_diagnosed_at", 0.0) < QUIET_RECHECK_S):
                return
        self._diagnosed_version = self.collector.version
        self._diagnosed_pending = pending
        self._diagnosed_at = time.monotonic()
        stacks = self.pane("stacks")
        network = self.pane("network")
        extra = {
            "stacks": tuple(stacks.stack_reports() if self._pane_ready(stacks) else ()),
            "startup": stacks.startup_processes() if self._pane_ready(stacks) else (),
            # The interfaces let the network rules name the one that reaches the nodes.
            "login_interfaces": tuple(network.facts) if network is not None else (),
            "probe": (network.probe if network is not None and network.probe is not None
                      else getattr(self, "_early_result", None)),
            "pending_profile": pending,
            "quiet_after": quiet_after,
        }
        self._diagnose(self.workspace.applied, extra)

    @work(thread=True, exclusive=True, group="diagnose", exit_on_error=False)
    def _diagnose(self, profile, extra: dict) -> None:
        import sys

        from hpctui.core.diagnosis import diagnose

        if profile.kind == "lsf":  # mode 10 compares the site's unit with the profile's
            import os

            from hpctui.schedulers.lsf import site_unit_for_limits

            extra = {**extra, "lsf_unit_for_limits": site_unit_for_limits(dict(os.environ))}
        signals = self.collector.signals(profile, login_python=sys.executable, **extra)
        self.post_message(FindingsUpdated(diagnose(signals)))

    def on_early_probe_updated(self, message) -> None:
        """The early check's probe: shown in the network pane, its verdict diagnosed at once."""
        probe = message.probe
        if probe.result is not None:
            self._early_result = probe.result
        network = self.pane("network")
        if network is not None and network.is_mounted:
            network.show_early_probe(probe)
        if probe.result is None and not probe.done:
            self.notice(f"! job {probe.job_id} has run {probe.running_for:.0f} s with no worker "
                        "connected: probing the network from a compute node (pane 6: Network)")
        elif probe.result is not None:
            self._diagnosed_version = -1  # the probe is not a session event: look now
            self._maybe_diagnose()

    def on_findings_updated(self, message: FindingsUpdated) -> None:
        findings = self.pane("findings")
        if not self._pane_ready(findings):
            self._diagnosed_version = None  # not composed yet: diagnose again next tick
            return
        findings.update_findings(message.findings)
        slot = self.pane_area.pane("findings")
        slot.border_title = f"Findings ({len(message.findings)})" if message.findings else "Findings"
        top = message.findings[0].rule_id if message.findings else None
        # Only a new top finding is news: diagnosis runs again on every signal, and repeating
        # the same notice would keep the status line from ever showing the ssh command.
        if top is not None and top != getattr(self, "_noticed_finding", None):
            self.notice(f"! {message.findings[0].title} (pane 7: Findings)")
        self._noticed_finding = top

    def action_sample_scheduler(self) -> None:
        """Sample the scheduler's event loop in this process, for "the scheduler is slow"."""
        if self.session is None or self.session.loop_thread_id is None:
            self.notice("the cluster is still starting")
            return
        if getattr(self, "_self_sampler", None) is not None:
            self.show_pane("stacks")
            return
        if getattr(self.session, "placement", "login") == "job":
            # The scheduler is not in this process: only hpctui's own loop is here to sample.
            self.notice("! the scheduler runs in a batch job: K samples hpctui's own event "
                        "loop, not the scheduler's")
        from hpctui.core.batch.cleanup import state_dir
        from hpctui.on_node.sampler import start_sampler

        out = state_dir() / "self-stacks"
        self._self_sampler = start_sampler(str(out), rate=10.0,
                                           thread_id=self.session.loop_thread_id)
        stacks = self.pane("stacks")
        if stacks is not None:
            stacks.watch_directory(out)
        self.show_pane("stacks")
        self.notice(f"sampling the scheduler's event loop into {out}")

    def on_findings_pane_sample_workers(self, message) -> None:
        """`f` on "running with no worker, nothing says why": the sampler switched on as the
        Stacks pane's `s` does (one undoable edit), its files copied next to the logs off this
        thread, then apply: the new workers start under the start-up watcher and the sampler,
        and the Stacks pane shows where they stop."""
        from hpctui.core.diagnosis.fix import workspace_edit
        from hpctui.core.stacks.sampler_toggle import sampler_on, toggle_sampler
        from hpctui.core.stacks.sampler_wiring import placement_for
        from hpctui.ui.messages import ProfileEdited

        if self.workspace is None:
            self.notice("! the config is still loading: try again in a moment")
            return
        if not sampler_on(self.workspace.pending):
            result = workspace_edit(self.workspace, toggle_sampler)
            if not result.ok:
                self.notice("! " + result.message)
                return
            self.post_message(ProfileEdited(result.message))
        self._install_sampler_then_apply(placement_for(dict(self.workspace.pending.settings)))

    @work(thread=True, group="sample-workers", exit_on_error=False)
    def _install_sampler_then_apply(self, place) -> None:
        from hpctui.core.stacks import sampler_wiring, startwatch_wiring
        from hpctui.ui.messages import ApplyProfile

        try:
            sampler_wiring.install_sampler(place)
            startwatch_wiring.install_watcher(place)
        except OSError as exc:
            self.call_from_thread(self.notice, f"✗ could not copy the sampler to "
                                  f"{place.sampler_path}: {exc}")
            return
        self.call_from_thread(self.post_message, ApplyProfile())

    def on_stacks_pane_reports_changed(self, message) -> None:
        # Stack findings are not session events: without this, diagnosis would wait for the
        # next event to look at them.
        self._diagnosed_version = -1

    # -- live samples of the connected workers ------------------------------------------

    def _start_live_stacks(self) -> None:
        if getattr(self, "_live_timer", None) is not None:
            return
        from hpctui.core.stacks.live_window import LiveWindow

        self._live_window = LiveWindow()
        self._live_busy = False
        self._live_timer = self.set_interval(LIVE_EVERY_S, self._live_tick)

    def _live_tick(self) -> None:
        stacks = self.pane("stacks")
        if self.session is None or self._live_busy or not self._pane_ready(stacks):
            return
        if not stacks.live_on:
            from hpctui.core.stacks.live_window import LiveWindow

            self._live_window = LiveWindow()  # switched on again: silences counted afresh
            return
        if not self.pane_area.pane("stacks").has_class("-shown"):
            return
        self._live_busy = True  # one round at a time, and the window has one user
        self._sample_live(self.session, stacks)

    @work(thread=True, group="live-stacks", exit_on_error=False)
    def _sample_live(self, session, stacks) -> None:
        from concurrent.futures import CancelledError
        from concurrent.futures import TimeoutError as FutureTimeout

        try:
            try:
                live = session.sample_live(seconds=LIVE_SECONDS, rate=LIVE_RATE).result(
                    timeout=LIVE_SECONDS + 30)
            except CancelledError:  # the cluster is being replaced or closed
                return
            except FutureTimeout:  # the session's loop itself is that busy
                self.call_from_thread(self.notice, "! live stack samples: no round in 30 s "
                                      "(the scheduler's loop is busy: K samples it)")
                return
            except Exception as exc:  # a bug: say it, and the next tick tries again
                self.call_from_thread(self.notice, f"✗ live stack samples failed: "
                                      f"{type(exc).__name__}: {exc}")
                return
            window = self._live_window
            window.add(live)
            views = window.view()
            if live.workers or stacks.live:
                self.call_from_thread(stacks.update_live, views)
        finally:
            self._live_busy = False

    def _watch_stacks(self) -> None:
        """Read the sampler's files when the applied profile runs the workers under it; live
        samples of the connected workers in any case."""
        from hpctui.core.stacks.sampler_toggle import sampler_on
        from hpctui.core.stacks.sampler_wiring import placement_for

        self._start_live_stacks()
        stacks = self.pane("stacks")
        profile = self.workspace.applied if self.workspace else None
        if stacks is None or profile is None or not sampler_on(profile):
            return
        try:
            stacks.watch_directory(placement_for(dict(profile.settings)).out_dir)
        except ValueError as exc:
            self.notice(f"✗ {exc}")
