"""SVG snapshots of the queue, workers, logs and network panes at 80x24 and 160x48.

The panes are drawn from the core's own dataclasses (tracker.JobInfo/WorkerInfo, a real
worker log captured on the testbed, a described interface table), so nothing depends on
this machine, the time or a port. Regenerate with `--snapshot-update` after an intended change.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from hpctui.core.logs.buffer import LogBuffer
from hpctui.core.network.facts import AF_INET, FakeInterfaceTable, LinkStats
from hpctui.core.batch.tracker import JobInfo, JobPhase, WorkerInfo
from hpctui.ui.panes.logs import LogsPane
from hpctui.ui.panes.network import NetworkPane
from hpctui.ui.panes.queue import QueuePane
from hpctui.ui.panes.workers import WorkersPane
from waits import pilot_until

SIZES = [(80, 24), (160, 48)]
IDS = lambda s: f"{s[0]}x{s[1]}"  # noqa: E731
NOW = 1000.0
FIXTURES = Path(__file__).parent.parent / "fixtures"


def job(job_id: str, phase: JobPhase, queue_state: str, connected=(), reason="", running=None):
    return JobInfo(job_id=job_id, spec_name=f"SLURMCluster-{job_id}",
                   worker_names=(f"SLURMCluster-{job_id}",), job_name="dask-worker", phase=phase,
                   queue_state=queue_state, reason=reason, nodes="cn01" if running else "",
                   submitted_at=NOW - 100, running_since=running, connected=tuple(connected))


JOBS = [
    job("101", JobPhase.CONNECTED, "RUNNING", ("SLURMCluster-101",), running=NOW - 75),
    job("102", JobPhase.NOT_CONNECTED, "RUNNING", reason="running 60 s with no worker",
        running=NOW - 64),
    job("103", JobPhase.PENDING, "PENDING", reason="Resources"),
]
WORKERS = [WorkerInfo(name="SLURMCluster-101", address="tcp://10.213.7.2:40125", host="10.213.7.2",
                      threads=1, memory=1_000_000_000, job_id="101", joined_at=NOW - 73,
                      start_to_join=1.6, submit_to_join=2.9)]

TABLE = FakeInterfaceTable(
    addresses={
        "lo": {AF_INET: [{"addr": "127.0.0.1", "netmask": "255.0.0.0"}]},
        "eth0": {AF_INET: [{"addr": "192.0.2.2", "netmask": "255.255.255.0"}]},
        "ib0": {AF_INET: [{"addr": "10.213.7.1", "netmask": "255.255.255.0"}]},
    },
    link_stats={
        "lo": LinkStats(True, 0, 65536, "up,loopback,running"),
        "eth0": LinkStats(True, 1000, 1500, "up,broadcast,running"),
        "ib0": LinkStats(True, 100000, 2044, "up,broadcast,running"),
    },
    gateway_table={"default": {AF_INET: ("192.0.2.1", "eth0")}},
)


class OnePane(App):
    """Mounts one pane and feeds it once it is composed."""

    def __init__(self, pane, feed) -> None:
        super().__init__()
        self._pane, self._feed = pane, feed

    def compose(self) -> ComposeResult:
        yield self._pane

    def on_mount(self) -> None:
        self.call_after_refresh(self._feed, self._pane)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_queue_pane(snap_compare, size):
    app = OnePane(QueuePane(), lambda p: p.update_jobs(JOBS, NOW, "00:30:00"))
    assert snap_compare(app, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_workers_pane(snap_compare, size):
    def feed(pane):
        for n in (0, 0, 1, 1):  # the sparkline's history: nothing, then one worker
            pane.update_workers(WORKERS[:n], 3, ["102"])

    assert snap_compare(OnePane(WorkersPane(), feed), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_logs_pane_with_the_seed_failure(snap_compare, size):
    buffer = LogBuffer()
    lines = (FIXTURES / "diagnosis" / "testbed_no_interface.err").read_text().splitlines()
    buffer.add("102", lines, stream="err")
    app = OnePane(LogsPane(buffer), lambda p: p.show_job("102", "job 102"))

    async def scrolled_to_the_end(pilot):
        # The view scrolls to its end after the lines are laid out (scroll_end is deferred):
        # on a busy machine the picture could come between the two.
        def at_end() -> bool:
            view = pilot.app.query_one("#logs-view")
            return view.max_scroll_y > 0 and view.scroll_offset.y == view.max_scroll_y

        await pilot_until(pilot, at_end, "the log view scrolled to its last line")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=scrolled_to_the_end)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_network_pane(snap_compare, size):
    async def wait_for_rows(pilot):
        await pilot_until(pilot, lambda: pilot.app.query_one("#net-table").row_count,
                          "the interfaces in the table")

    app = OnePane(NetworkPane(interface_table=TABLE), lambda p: None)
    assert snap_compare(app, terminal_size=size, run_before=wait_for_rows)
