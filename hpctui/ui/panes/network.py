"""The network pane: the login node's interfaces beside what a probe from a compute node saw.

`p` submits a probe job through the same batch system and profile (in a worker thread; the
result arrives as a message) and fills the "from a compute node" column; Enter on an
interface writes `interface` (and `scheduler-options.interface` when the compute node names
it differently) through the normal preview -> write -> apply path. Below the table: where
the dashboard is, and the `ssh -L` command and proxy URL that reach it from a laptop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Static

from hpctui.ui.messages import ApplyProfile, ProfileEdited
from hpctui.ui.panes.base import Pane

if TYPE_CHECKING:  # imported lazily: the first frame doesn't need them
    from hpctui.core.network.facts import InterfaceFacts
    from hpctui.core.network.probe_verdict import ProbeResult


class NetworkPane(Pane):
    """Interfaces with their facts and probe results side by side."""

    PANE_ID = "network"
    PANE_TITLE = "Network"
    BINDINGS = [
        Binding("p", "probe", "Probe from a compute node"),
        Binding("enter", "pick", "Use this interface"),
        Binding("r", "reread", "Re-read interfaces", show=False),
        Binding("c", "copy_tunnel", "Copy the ssh -L command"),
        Binding("h", "copy_handoff", "Copy the Python hand-off", show=False),
    ]
    DEFAULT_CSS = """
    /* The table as tall as its rows (up to half the pane), the text below it scrolls: in the
       grid's side slot the text alone can fill the pane and leave the table no row. */
    NetworkPane > DataTable { height: auto; max-height: 50%; min-height: 3; }
    NetworkPane > #net-text { height: 1fr; }
    NetworkPane #net-verdict { height: auto; }
    NetworkPane #net-access { height: auto; color: $text-muted; }
    NetworkPane #net-scheduler { height: auto; }
    """

    class InterfacesRead(Message):
        """The login node's interfaces were read."""

        def __init__(self, facts: list["InterfaceFacts"]) -> None:
            super().__init__()
            self.facts = facts

    class ProbeFinished(Message):
        """A probe job reported back (or could not)."""

        def __init__(self, result: "ProbeResult") -> None:
            super().__init__()
            self.result = result

    def __init__(self, workspace=None, interface_table=None) -> None:
        super().__init__()
        self.workspace = workspace
        # hpctui.core.network.facts.InterfaceTable; None reads this machine's (tests pass a fake one).
        self.interface_table = interface_table
        self.facts: list["InterfaceFacts"] = []
        self.probe: "ProbeResult | None" = None
        self.probing = False
        self.tunnel_command = ""
        self.handoff_code = ""  # Client(scheduler_file=...) when the scheduler runs in a job

    def compose(self) -> ComposeResult:
        table = DataTable(id="net-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("interface", "IPv4", "state", "speed", "MTU", "note", "from a compute node")
        yield table
        with VerticalScroll(id="net-text"):
            yield Static("p: probe which of these a compute node can reach", id="net-verdict")
            yield Static("", id="net-scheduler")
            yield Static("", id="net-access")

    def on_mount(self) -> None:
        self.call_after_refresh(self._read_interfaces)

    def action_reread(self) -> None:
        self._read_interfaces()

    @work(thread=True, exclusive=True, group="netfacts", exit_on_error=False)
    def _read_interfaces(self) -> None:
        from hpctui.core.network.facts import login_interfaces

        self.post_message(self.InterfacesRead(login_interfaces(self.interface_table)))

    def on_network_pane_interfaces_read(self, message: InterfacesRead) -> None:
        self.facts = message.facts
        if self.children_ready:  # the read may end as the pane goes away (the app exiting)
            self._redraw()

    def _probe_cell(self, name: str) -> str:
        if self.probe is None:
            return "probing…" if self.probing else "-"
        words = [t.words for t in self.probe.targets if t.login_interface == name]
        return "; ".join(words) or "-"

    def _redraw(self) -> None:
        table = self.query_one("#net-table", DataTable)
        table.clear()
        for f in self.facts:
            notes = []
            if f.is_default_route:
                notes.append("default route")
            if f.is_loopback:
                notes.append("loopback")
            if not f.ipv4:
                notes.append("no IPv4")
            if self.probe and self.probe.recommendation and self.probe.recommendation.interface == f.name:
                notes.append("★ recommended")
            table.add_row(
                f.name,
                ", ".join(str(a) for a in f.ipv4) or "-",
                "up" if f.is_up else "down",
                f"{f.speed_mbps} Mb/s" if f.speed_mbps else "-",
                str(f.mtu or "-"),
                ", ".join(notes),
                self._probe_cell(f.name),
                key=f.name,
            )

    # -- probe --------------------------------------------------------------------------

    def action_probe(self) -> None:
        if self.workspace is None or self.probing:
            return
        self.probing = True
        self.query_one("#net-verdict", Static).update(
            "probing: a job runs on a compute node and tries each address of this node…"
        )
        self._redraw()
        profile = self.workspace.pending
        self._run_probe(profile.kind, profile.cluster_kwargs())

    @work(thread=True, exclusive=True, group="probe", exit_on_error=False)
    def _run_probe(self, kind: str, job_kwargs: dict) -> None:
        from hpctui.core.network.probe_run import run_probe

        self.post_message(self.ProbeFinished(run_probe(kind, job_kwargs)))

    def on_network_pane_probe_finished(self, message: ProbeFinished) -> None:
        self._show_result(message.result)

    def show_early_probe(self, probe) -> None:
        """The probe the app sent by itself (a job running with no worker): its state here."""
        if probe.result is not None:
            self._show_result(probe.result, f"(sent by itself: job {probe.job_id} ran "
                                            f"{probe.running_for:.0f} s with no worker connected)\n")
            return
        if not probe.done:
            self.probing = True
            self.query_one("#net-verdict", Static).update(
                f"probing: job {probe.job_id} ran {probe.running_for:.0f} s with no worker "
                "connected, so a job on a compute node now tries each address of this node…")
        elif self.probe is None:
            self.probing = False
            why = probe.stopped or probe.error or "no verdict"
            self.query_one("#net-verdict", Static).update(
                f"the probe sent by itself ended without a verdict ({why}); p: probe again")
        self._redraw()

    def _show_result(self, result, prefix: str = "") -> None:
        from hpctui.core.network.probe_verdict import LOCKED_DOWN

        self.probing = False
        self.probe = result
        if not self.children_ready:  # the probe outlived the pane (the app exiting)
            return
        text = prefix + result.message
        if result.verdict == LOCKED_DOWN and result.interactive_command:
            text += ("\n★ Fix: run the scheduler in a batch job (scheduler-placement: job): "
                     "f in Findings (7)"
                     f"\n  or run hpctui from a compute node:  {result.interactive_command}")
        elif result.recommendation is not None:
            text += f"\n★ {result.recommendation.interface}: {result.recommendation.reason}  (Enter on it to use it)"
        self.query_one("#net-verdict", Static).update(text)
        self._redraw()

    # -- pick ---------------------------------------------------------------------------

    def action_pick(self) -> None:
        table = self.query_one("#net-table", DataTable)
        if self.workspace is None or not table.row_count:
            return
        name = str(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value)
        self.pick(name)

    def pick(self, name: str) -> None:
        """Write `interface: name` (and the scheduler's own when the probe says so), then apply."""
        patch: dict = {"interface": name}
        rec = self.probe.recommendation if self.probe else None
        if rec is not None and rec.interface == name:
            patch = rec.settings_patch()
        for key, value in patch.items():
            if key == "scheduler-options":
                value = {**(self.workspace.pending.get("scheduler-options") or {}), **value}
            result = self.workspace.set_key(key, value)
            if not result.ok:
                self.query_one("#net-verdict", Static).update(f"✗ {result.message}")
                return
        self.post_message(ProfileEdited(f"interface: {name}"))
        self.post_message(ApplyProfile())

    def show_scheduler(self, facts) -> None:
        """The scheduler's listen and advertised addresses, why, and any warning (set by the app)."""
        lines = [f"Scheduler: listens on {facts.listen_address}, tells workers "
                 f"{facts.advertised_address}"]
        explanation = getattr(facts, "explanation", "")
        if explanation:
            lines.append(explanation)
        lines += [f"! {w}" for w in facts.warnings]
        self.query_one("#net-scheduler", Static).update("\n".join(lines))

    def show_scheduler_job(self, job_id: str, address: str, code: str) -> None:
        """The scheduler in a job (scheduler-placement: job), and how Python uses it (h copies)."""
        self.handoff_code = code
        self.query_one("#net-scheduler", Static).update(Content("\n").join([
            Content(f"Scheduler: in batch job {job_id}, at {address} (scheduler-placement: job)"),
            Content("From a notebook or a script (h copies it):"),
            *(Content("  " + line) for line in code.splitlines())]))

    def action_copy_handoff(self) -> None:
        if self.handoff_code:
            self.app.copy_to_clipboard(self.handoff_code)
            self.app.notify("copied the Python that connects to the cluster")

    def show_access(self, text: str, tunnel_command: str = "") -> None:
        """The dashboard's address, the laptop's ssh -L command and the proxy URL (set by the app)."""
        self.tunnel_command = tunnel_command
        self.query_one("#net-access", Static).update(text + ("\nc: copy the ssh command" if tunnel_command else ""))

    def action_copy_tunnel(self) -> None:
        # OSC 52: the terminal (on the laptop, through SSH) puts it on its clipboard.
        if self.tunnel_command:
            self.app.copy_to_clipboard(self.tunnel_command)
            self.app.notify(f"copied: {self.tunnel_command}")
