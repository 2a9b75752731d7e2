"""The main screen (tab bar, panes, status bar) fed deterministic inputs, for tests at any size.

The same panes and layout as HpcTuiApp, without a cluster: jobs and workers are the core's own
dataclasses (tracker.JobInfo/WorkerInfo), the logs a real worker log captured on the testbed,
findings diagnose() over recorded fixtures (tests/ui/findings_inputs.py), a refused submission
SLURM's own text. Nothing depends on this machine, the time or a port.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from textual.app import App, ComposeResult

from hpctui.core.batch.tracker import JobInfo, JobPhase, WorkerInfo
from hpctui.core.jobscript.rejection import SubmitRejection
from hpctui.core.logs.buffer import LogBuffer
from hpctui.core.session.workspace import Workspace
from hpctui.ui.layout import GRID_MIN_SIZE, PaneArea, tab_bar
from hpctui.ui.panes.findings import FindingsPane
from hpctui.ui.panes.jobscript import JobScriptPane
from hpctui.ui.panes.logs import LogsPane
from hpctui.ui.panes.queue import QueuePane
from hpctui.ui.panes.settings import SettingsPane
from hpctui.ui.panes.statusbar import StatusBar
from hpctui.ui.panes.workers import WorkersPane

FIXTURES = Path(__file__).parent.parent / "fixtures"
NOW = 1000.0
CONFIG = """\
jobqueue:
  slurm:
    cores: 4
    memory: 8GB
    queue: debug
    walltime: '00:30:00'
    python: /usr/bin/python3
    log-directory: /shared/logs
"""


def job(job_id: str, phase: JobPhase, queue_state: str, connected=(), reason="",
        running=None, node="") -> JobInfo:
    return JobInfo(job_id=job_id, spec_name=f"SLURMCluster-{job_id}",
                   worker_names=(f"SLURMCluster-{job_id}",), job_name="dask-worker",
                   phase=phase, queue_state=queue_state, reason=reason, nodes=node,
                   submitted_at=NOW - 100, running_since=running, connected=tuple(connected))


def worker(job_id: str, host: str, port: int, took: float) -> WorkerInfo:
    return WorkerInfo(name=f"SLURMCluster-{job_id}", address=f"tcp://{host}:{port}", host=host,
                      threads=4, memory=8_000_000_000, job_id=job_id, joined_at=NOW - 70,
                      start_to_join=took, submit_to_join=took + 1.3)


CONNECTED_JOBS = [
    job("4101", JobPhase.CONNECTED, "RUNNING", ("SLURMCluster-4101",), running=NOW - 75,
        node="cn-017"),
    job("4102", JobPhase.CONNECTED, "RUNNING", ("SLURMCluster-4102",), running=NOW - 74,
        node="cn-018"),
]
CONNECTED_WORKERS = [worker("4101", "10.213.7.17", 40125, 1.6),
                     worker("4102", "10.213.7.18", 38811, 1.9)]
FAILING_JOBS = [
    job("4103", JobPhase.NOT_CONNECTED, "RUNNING", reason="running 60 s with no worker",
        running=NOW - 64, node="cn-017"),
    job("4104", JobPhase.PENDING, "PENDING", reason="Resources"),
]
REJECTION = SubmitRejection(
    command="sbatch /tmp/tmpk3v9x2ab.sh", exit_code=1, stdout="",
    stderr="sbatch: error: invalid partition specified: debug\n"
           "sbatch: error: Batch job submission failed: Invalid partition name specified")


@dataclass
class Scene:
    """What the screen shows."""

    jobs: list = field(default_factory=list)
    workers: list = field(default_factory=list)
    expected: int = 0
    not_connected: list = field(default_factory=list)
    log_job: str | None = None
    log_file: str = "testbed_no_interface.err"
    findings: list = field(default_factory=list)
    side: str = "settings"


def make_workspace(tmp_path: Path) -> Workspace:
    path = tmp_path / "site.yaml"
    path.write_text(CONFIG)
    return Workspace.from_config("slurm", path, paths=[], environ={}, interfaces=["lo", "ib0"])


class MainScreen(App):
    """The main screen's widgets, fed `scene` once every pane is mounted (`ready` then)."""

    def __init__(self, workspace: Workspace, scene: Scene) -> None:
        super().__init__()
        self.workspace, self.scene = workspace, scene
        self.logs = LogBuffer()
        self.panes = [JobScriptPane(workspace), QueuePane(), WorkersPane(), LogsPane(self.logs),
                      SettingsPane(workspace), FindingsPane(workspace)]
        self.ready = False

    def compose(self) -> ComposeResult:
        self.area = PaneArea(self.panes)
        yield tab_bar(self.panes)
        yield self.area
        status = StatusBar()
        status.kind_label, status.config_path = "SLURM", "~/site.yaml"
        yield status

    def pane(self, pane_id: str):
        return self.area.pane(pane_id)

    def on_mount(self) -> None:
        w, h = self.size
        self.area.set_grid(w >= GRID_MIN_SIZE[0] and h >= GRID_MIN_SIZE[1])
        self.area.show(self.panes[0].PANE_ID)
        self.call_after_refresh(self.area.mount_the_rest)

    def on_pane_area_all_mounted(self) -> None:
        scene = self.scene
        self.pane("queue").update_jobs(scene.jobs, NOW, "00:30:00")
        for n in sorted({0, len(scene.workers)}):  # a sparkline that rose
            self.pane("workers").update_workers(scene.workers[:n], scene.expected,
                                                scene.not_connected)
        if scene.log_job:
            lines = (FIXTURES / "diagnosis" / scene.log_file).read_text().splitlines()
            self.logs.add(scene.log_job, lines, stream="err")
            self.pane("logs").show_job(scene.log_job, f"job {scene.log_job}")
        self.pane("findings").update_findings(scene.findings)
        self.area.show(scene.side)
        self.call_after_refresh(self._mark_ready)

    def _mark_ready(self) -> None:
        self.ready = True
