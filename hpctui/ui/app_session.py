"""The app's cluster half: the session (started once the config is loaded), the coalesced
redraw of the queue, workers and logs panes, the session's events (scheduler address,
dashboard, a refused submission), scaling, and quitting with every job cancelled.

A mixin of HpcTuiApp: Textual dispatches `on_*` handlers found anywhere in the app's MRO.
"""

from __future__ import annotations

from textual import work

from hpctui.ui.bridge import REDRAW_S, SessionBridge, SessionEventArrived
from hpctui.ui.panes.base import Pane
from hpctui.ui.panes.queue import QueuePane
from hpctui.ui.screens.quit import QuitScreen
from hpctui.ui.screens.scale import ScaleScreen
from hpctui.ui.snapshot_view import NOT_CONNECTED, draw_snapshot

DIAGNOSE_S = 1.0  # how often diagnosis may run when new signals arrived


class SessionMixin:
    """The cluster session and its panes; see the module docstring."""

    # The early check is made with the session; until then (or in an app that never starts
    # one) there is none, and closing must not depend on the host app having set it.
    early = None

    # -- the cluster session ------------------------------------------------------------

    def _start_session(self) -> None:
        """Start the cluster for the applied profile (the scheduler runs in this process)."""
        if self.session is not None or self.workspace is None:
            return
        profile = self.workspace.applied
        try:
            self.session = self._session_factory(profile.kind, profile.session_kwargs())
        except ValueError as exc:
            self.notice(f"✗ cannot start the cluster: {exc}")
            return
        self.bridge = SessionBridge(self, self.session, self.logs)
        from hpctui.core.diagnosis.collector import SignalCollector

        self.collector = SignalCollector()
        self.session.subscribe(self.collector.on_event)
        self._start_adapt_view()  # app_adapt.py
        self._start_early_check()
        self.session.start()
        self.set_interval(REDRAW_S, self._redraw_session)
        self.set_interval(DIAGNOSE_S, self._maybe_diagnose)
        self._watch_stacks()

    def _start_early_check(self) -> None:
        """A job running a couple of seconds with no worker sends the network probe at once
        (core `EarlyCheck`, its own threads); what it finds comes back as a message."""
        if self.early_grace is None:
            return
        from hpctui.core.diagnosis.early import DEFAULT_GRACE, EarlyCheck
        from hpctui.ui.app_messages import EarlyProbeUpdated

        grace = DEFAULT_GRACE if self.early_grace is ... else self.early_grace
        workspace = self.workspace
        self.early = EarlyCheck(lambda: workspace.applied,
                                lambda probe: self.post_message(EarlyProbeUpdated(probe)),
                                grace=grace)
        self.session.subscribe(self.early.on_event)

    @staticmethod
    def _pane_ready(pane) -> bool:
        # Mounted and composed (every child mounted): timers and session events may come
        # in between, and a pane's methods query its children.
        return pane is not None and pane.is_mounted and pane.children_ready

    def _with_pane(self, pane_id: str, use) -> None:
        """`use(pane)` now if the pane is ready, else as soon as it is: lazy panes mount
        after the first frame or the config, and a session event can come first. (Retrying
        on a timer gave up after a while, which a busy machine outlasted.)"""
        pane = self.pane(pane_id)
        if self._pane_ready(pane):
            use(pane)
        else:
            self._pane_waiting.setdefault(pane_id, []).append(use)

    def on_pane_ready(self, message: Pane.Ready) -> None:
        pane = self.pane(message.pane_id)
        if not self._pane_ready(pane):
            return  # a slot, before its real pane (which says so too), or one going away
        for use in self._pane_waiting.pop(message.pane_id, []):
            use(pane)

    def _redraw_session(self) -> None:
        import time

        if self.bridge is None:
            return
        if not (self._pane_ready(self.pane("queue")) and self._pane_ready(self.pane("workers"))):
            return  # the flags stay set: drawn at the next tick
        dirty, log_keys = self.bridge.take_dirty()
        if dirty:
            snap = self.session.snapshot()
            walltime = self.workspace.applied.get("walltime") if self.workspace else None
            draw_snapshot(self.pane("queue"), self.pane("workers"), snap, time.monotonic(),
                          str(walltime or ""))
            if self.selected_job is None and snap.jobs:
                self._select_job(snap.jobs[0].job_id)
            self._logs_follow_state(snap)
        logs = self.pane("logs")
        if self._pane_ready(logs) and logs.job_key in log_keys:
            logs.lines_added()
        self._redraw_adapt()


    def _select_job(self, job_id: str) -> None:
        """A job picked (in the queue, or the first one): its logs and its workers."""
        self.selected_job = job_id
        logs = self.pane("logs")
        if self._pane_ready(logs):
            logs.show_job(job_id, f"job {job_id}")
            if self.session is not None:
                self._logs_follow_state(self.session.snapshot())
        workers = self.pane("workers")
        if self._pane_ready(workers):
            workers.select_job(job_id)

    def _logs_follow_state(self, snap) -> None:
        """Tell the logs pane whether its job's worker connected (marks such as `Waiting to
        connect to` are a sign of trouble only until then): one is connected now, or one was
        and the job has not been left running without one since (it ended, or is ending)."""
        ever = getattr(self, "_jobs_ever_connected", None)
        if ever is None:
            ever = self._jobs_ever_connected = set()
        ever.update(j.job_id for j in snap.jobs if j.connected)
        logs = self.pane("logs")
        if self._pane_ready(logs) and logs.job_key is not None:
            job = snap.job(str(logs.job_key))
            logs.set_connected(job is not None and (bool(job.connected) or (
                job.job_id in ever and job.phase.value != NOT_CONNECTED)))

    def on_queue_pane_job_selected(self, message: QueuePane.JobSelected) -> None:
        if message.job_id != self.selected_job:
            self._select_job(message.job_id)

    def on_session_event_arrived(self, message: SessionEventArrived) -> None:
        from hpctui.core.session import events as ev

        event = message.event
        if isinstance(event, ev.ClusterStarted):
            self._generation = event.generation
            status = self._status
            status.scheduler_address = event.scheduler_address
            self._show_dashboard(event.dashboard_link, remote=event.placement == "job")
            if event.placement == "job":
                self._show_handoff(event)
            else:
                self.notice(f"scheduler listening at {event.scheduler_address}")
            self._explain_scheduler_address(event)
            # Everything imported by now lives as long as hpctui: out of the collector's way
            # (once, after this frame: the collection before the freeze takes a moment).
            from hpctui.core.session.gcfreeze import freeze_startup_objects

            self.call_after_refresh(freeze_startup_objects)
        elif isinstance(event, ev.ClusterStartFailed):
            self.notice(f"✗ the cluster did not start: {event.message}")
        elif isinstance(event, ev.SubmitFailed):
            if event.error.id_not_parsed:
                # Accepted, but the output held no job id: not a refusal to show as one.
                self.notice(f"! {event.error.summary()}: the job may be running untracked "
                            "(pane 7: Findings)")
            else:
                self._show_rejection(event)
        elif isinstance(event, ev.QueueError):
            self.notice(f"! {event.message} (retrying in {event.retry_in:.0f} s)")
        elif isinstance(event, ev.JobsCancelled):
            what = "cancelled" if event.ok else "could not cancel"
            self.notice(f"{what} job(s) {', '.join(event.job_ids)} ({event.why}) {event.detail}")
        elif isinstance(event, ev.SessionFailed):
            self.notice(f"✗ {event.message}")
        elif isinstance(event, ev.JobReplacing) and event.by != "adapt":
            # adapt's replacements are in the Workers pane's scaling block already.
            self.notice(f"⟳ job {event.job_id}: {event.why}")

    def _explain_scheduler_address(self, event) -> None:
        """Which address the scheduler listens on and advertises, from which setting, and the
        warning when it listens everywhere without TLS: shown in the network pane."""
        if not event.listen_address or self.workspace is None:
            return
        from hpctui.core.network.address import describe_scheduler_address

        settings = dict(self.workspace.applied.settings)

        def show(network) -> None:
            facts = describe_scheduler_address(event.listen_address, event.scheduler_address,
                                               settings, list(network.facts) or None,
                                               workers_local=self.context.kind == "local")
            network.show_scheduler(facts)
            for warning in facts.warnings:
                self.notice("! " + warning)  # the status line and the notice log, no toast

        self._with_pane("network", show)

    def _show_handoff(self, event) -> None:
        """The scheduler in a job: where it is, and the Python that uses it (Network pane)."""
        from hpctui.core.session.attach import handoff_code

        how = "reattached to" if event.attached else "started"
        self.notice(f"{how} the scheduler in job {event.scheduler_job_id} at "
                    f"{event.scheduler_address}")
        code = handoff_code(event.scheduler_file, event.tls_directory or None)
        self._with_pane("network", lambda network: network.show_scheduler_job(
            event.scheduler_job_id, event.scheduler_address, code))

    def _show_dashboard(self, link: str, remote: bool = False) -> None:
        if not link:
            return
        from hpctui.core.network.tunnel import bound_dashboard_link, dashboard_access

        options = (self.workspace.applied.get("scheduler-options") or {}) if self.workspace else {}
        link = bound_dashboard_link(link, options.get("dashboard_address"))
        try:
            access = dashboard_access(link, remote=remote)
        except ValueError:
            return
        status = self._status
        status.dashboard = access.url_on_login_node
        status.tunnel_command = f"{access.ssh_command}  then open {access.laptop_url}"
        self._with_pane("network", lambda network: network.show_access(
            f"Dashboard: {access.url_on_login_node}\n"
            f"From your laptop: {access.ssh_command}  then open {access.laptop_url}\n"
            f"On a JupyterHub with jupyter-server-proxy: {access.proxy_path}",
            access.ssh_command,
        ))

    def _show_rejection(self, event) -> None:
        # One rejection view per cluster generation: the same script fails the same way.
        if self._generation in self.rejections_shown or self.workspace is None:
            self.notice(f"✗ submission refused: {event.error.summary()}")
            return
        self.rejections_shown.add(self._generation)
        from hpctui.core.jobscript.rejection import SubmitRejection
        from hpctui.ui.screens.rejection import RejectionScreen

        err = event.error
        rejection = SubmitRejection(command=err.command, exit_code=err.exit_code,
                                    stdout=err.stdout, stderr=err.stderr or err.message)
        header = self.workspace.header_texts(self.workspace.applied)

        self.push_screen(RejectionScreen(rejection, header), self._go_to_refused_line)

    def _go_to_refused_line(self, line: str | None) -> None:
        """The rejection view's `e`: the job script pane, on the line it named."""
        if line:
            self.show_pane("script")
            script = self.pane("script")
            if script is not None:
                script.flag_lines([line])
                script.select_header_line(line)

    def action_scale_by(self, delta: int) -> None:
        if self.session is None:
            self.notice("the cluster is still starting")
            return
        self.session.scale(max(0, self.session.workers_wanted + delta))
        self.notice(f"scaling to {self.session.workers_wanted} worker(s)")

    def action_scale_to(self) -> None:
        if self.session is None:
            self.notice("the cluster is still starting")
            return

        # A fixed N, or MIN..MAX: adaptive (app_adapt.py)
        self.push_screen(ScaleScreen(self.session.workers_wanted,
                                     getattr(self.session, "adapt_settings", None),
                                     self._profile_adapt()), self._scale_answered)


    def jobs_to_cancel(self) -> int:
        """How many jobs quitting would cancel."""
        if self.session is None:
            return 0
        return sum(1 for j in self.session.snapshot().jobs if j.phase.value != "ended")

    @property
    def leaves_by_default(self) -> bool:
        """True when leaving hpctui leaves the cluster running (scheduler-placement: job)."""
        return getattr(self.session, "placement", "login") == "job"

    def action_request_quit(self) -> None:
        n_jobs = self.jobs_to_cancel()
        if n_jobs == 0:
            self._quit()
            return
        if self.leaves_by_default:
            self._ask_leave_or_cancel(n_jobs)
            return

        def answered(quit_now: bool | None) -> None:
            if quit_now:
                self._quit()

        self.push_screen(QuitScreen(n_jobs), answered)

    @work(thread=True, exclusive=True, group="quit", exit_on_error=False)
    def _ask_leave_or_cancel(self, n_jobs: int) -> None:
        from hpctui.ui.screens.quit import LeaveOrCancelScreen

        others = self.session.others_attached()  # reads the state file: not on the pump

        def answered(choice: str | None) -> None:
            if choice in ("leave", "cancel", "force"):
                self._quit(leave=choice == "leave", force=choice == "force")

        self.call_from_thread(self.push_screen, LeaveOrCancelScreen(n_jobs, others), answered)

    def _stop_self_sampler(self) -> None:
        sampler = getattr(self, "_self_sampler", None)
        if sampler is not None:
            sampler.stop()
            self._self_sampler = None

    def _quit(self, leave: bool = False, force: bool = False) -> None:
        self._stop_self_sampler()
        load = getattr(self.session, "demo_load", None)
        if load is not None:
            load.stop()  # its client goes with it; the session then cancels every job
        # The session cancels the jobs on its own thread; `shutdown()` (called once the app
        # has exited) waits for it, so quitting never leaves a job in the queue (unless the
        # user chose to leave a scheduler-in-a-job cluster running).
        if self.session is not None:
            self._close_session(leave=leave, force=force)
        self.exit()

    def _close_session(self, leave: bool | None = None, force: bool = False) -> None:
        if leave is None:
            leave = self.leaves_by_default
        if self.leaves_by_default:
            self.session.close(leave=leave, force=force)
        else:
            self.session.close()

    def on_unmount(self) -> None:
        # Every way out of the app (q, an exception, a test's run_test ending, the browser
        # tab closing under `hpctui serve`) ends here: the session closes and cancels its
        # jobs on its own thread (with the scheduler in a job: leaves them, see state.py).
        # A session left running keeps its scheduler's event loop, queue poller and log
        # follower busy in this process for as long as it lives.
        self._stop_self_sampler()
        if self.early is not None:
            self.early.close(wait=None)  # never wait on the message pump: shutdown() does
        self._stop_preflight()
        if self.session is not None:
            self._close_session()

    def shutdown(self, timeout: float = 60.0) -> bool:
        """Close the session (cancelling its jobs, or leaving a job cluster running) and
        wait; call after the app has exited."""
        if self.early is not None:
            self.early.close(wait=None)
        if self.session is None:
            return True
        self._close_session()
        closed = self.session.wait_closed(timeout)
        # A probe stopped on the way out cancels its own batch job: let it.
        return (self.early is None or self.early.wait(30)) and closed
