"""screenshots/make.py's scenarios still run: the real app on the local backend, into a temp
folder, and the pictures hold the text they are meant to show (so the README's screenshots
cannot silently rot). The testbed scenario runs only with the SLURM testbed."""

from __future__ import annotations

import html
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"

pytestmark = pytest.mark.timeout(120)


def _make():
    # Loaded by path: `make` is too generic a module name to put on sys.path's front.
    spec = importlib.util.spec_from_file_location("hpctui_screenshots_make", SCREENSHOTS / "make.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _svg_text(path: Path) -> str:
    """The SVG's text as read on screen: entities decoded, Textual's non-breaking spaces as spaces."""
    return html.unescape(path.read_text()).replace("\xa0", " ")


def test_no_module_distributed_scenario(tmp_path):
    written = _make().run_scenario("no-module-distributed", tmp_path, png=False)
    assert written == [tmp_path / "no-module-distributed.svg"]
    text = _svg_text(written[0])
    # The worker's own error and its mark in the logs pane (the line wraps at the pane's edge,
    # wherever its width puts it: a whole word of it is checked).
    assert "ModuleNotFoundError" in text and "← module-missing" in text
    assert "The workers run a Python without Dask" in text  # the finding, highlighted
    assert "f: set python:" in text


def test_no_cores_memory_scenario_with_png(tmp_path):
    written = _make().run_scenario("no-cores-memory", tmp_path, png=True)
    assert [p.name for p in written] == ["no-cores-memory.svg", "no-cores-memory.png"]
    assert "You must specify how much cores and memory" in _svg_text(written[0])
    assert written[1].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_scenario_is_refused(tmp_path):
    result = subprocess.run([sys.executable, str(SCREENSHOTS / "make.py"), "--only", "nonesuch"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "nonesuch" in result.stderr


@pytest.mark.testbed
def test_pending_held_scenario_on_the_testbed(tmp_path):
    written = _make().run_scenario("pending-held", tmp_path, png=False)
    text = _svg_text(written[0])
    assert "JobHeldUser" in text
    assert "No workers yet: 1 job(s) still pending" in text


@pytest.mark.testbed
@pytest.mark.timeout(300)
def test_placement_job_scenario_on_the_testbed(tmp_path):
    written = _make().run_scenario("placement-job", tmp_path, png=False)
    assert [p.name for p in written] == ["placement-queue.svg", "placement-job-scripts.svg",
                                         "placement-quit.svg"]
    queue, scripts, question = (_svg_text(p) for p in written)
    assert "⚙ scheduler" in queue and "2/2 connected" in queue
    assert "distributed.cli.dask_worker" in scripts
    assert "Scheduler job (scheduler-placement: job)" in scripts
    assert "distributed.cli.dask_scheduler" in scripts
    assert "leave it running" in question and "cancel everything" in question


def test_unknown_interface_scenario(tmp_path):
    written = _make().run_scenario("unknown-interface", tmp_path, png=False)
    text = _svg_text(written[0])
    assert "interface: 'ib9' is not a network interface on" in text  # the Settings error
    assert "The login node has no usable interface 'ib9'" in text


def test_submit_command_missing_scenario(tmp_path):
    path_before = os.environ["PATH"]
    written = _make().run_scenario("submit-command-missing", tmp_path, png=False)
    assert os.environ["PATH"] == path_before  # the scenario's PATH is undone
    text = _svg_text(written[0])
    assert "The batch system's submit command is not here" in text  # the finding, highlighted
    assert "such file or directory: 'sbatch'" in text  # its evidence: the real error (wrapped)
    assert "on the login node, or load the batch" in text  # the action (wrapped)
