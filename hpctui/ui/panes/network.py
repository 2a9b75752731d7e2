"""The network pane: this login node's interfaces, which one carries the default route.

Interface facts are read in a worker thread (netifaces and psutil can be slow on nodes with
many interfaces) and arrive as a message.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable, Static

from hpctui.core.netfacts import InterfaceFacts, login_interfaces
from hpctui.ui.panes.base import Pane


class NetworkPane(Pane):
    """Interfaces with their facts; probe results join them in the same table."""

    PANE_ID = "network"
    PANE_TITLE = "Network"
    DEFAULT_CSS = """
    NetworkPane > DataTable { height: 1fr; }
    NetworkPane > #net-note { height: auto; color: $text-muted; }
    """

    class InterfacesRead(Message):
        """The login node's interfaces were read."""

        def __init__(self, facts: list[InterfaceFacts]) -> None:
            super().__init__()
            self.facts = facts

    def compose(self) -> ComposeResult:
        table = DataTable(id="net-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("interface", "IPv4", "state", "speed", "MTU", "note")
        yield table
        yield Static("", id="net-note")

    def on_mount(self) -> None:
        self._read_interfaces()

    @work(thread=True, exclusive=True, group="netfacts", exit_on_error=False)
    def _read_interfaces(self) -> None:
        self.post_message(self.InterfacesRead(login_interfaces()))

    def on_network_pane_interfaces_read(self, message: InterfacesRead) -> None:
        table = self.query_one("#net-table", DataTable)
        table.clear()
        for f in message.facts:
            notes = []
            if f.is_default_route:
                notes.append("default route")
            if f.is_loopback:
                notes.append("loopback")
            if not f.ipv4:
                notes.append("no IPv4")
            table.add_row(
                f.name,
                ", ".join(str(a) for a in f.ipv4) or "-",
                "up" if f.is_up else "down",
                f"{f.speed_mbps} Mb/s" if f.speed_mbps else "-",
                str(f.mtu or "-"),
                ", ".join(notes),
                key=f.name,
            )
        self.query_one("#net-note", Static).update(
            "The scheduler must advertise an address the compute nodes can reach."
        )
