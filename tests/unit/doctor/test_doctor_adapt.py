"""`hpctui doctor --adapt MIN:MAX` on the local backend, for real: the demo workload under
dask-jobqueue's adapt; the decisions reported; the submit/cancel loop of
tests/fixtures/adapt/submit-cancel-loop.yaml found with its evidence and fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hpctui.core.doctor.adapt_check import run_adapt_check
from hpctui.core.doctor.adapt_report import adapt_report_to_json, render_adapt_report_text
from hpctui.core.doctor.types import DoctorOptions
from hpctui.core.session.adapt_settings import parse_range

pytestmark = pytest.mark.timeout(240)

FIXTURE = Path(__file__).parents[2] / "fixtures" / "adapt" / "submit-cancel-loop.yaml"
REPO = Path(__file__).parents[3]


def _config(tmp_path: Path, **section) -> Path:
    local = {"cores": 1, "memory": "1GiB", "name": "adapt-doctor",
             "log-directory": str(tmp_path / "logs"), "python": sys.executable,
             "scheduler-options": {"dashboard_address": "127.0.0.1:0", "host": "127.0.0.1"},
             "adapt": {"interval": "250ms", "wait-count": 2, "target-duration": "0.5s"}}
    local.update(section)
    path = tmp_path / "dask.yaml"
    path.write_text(yaml.safe_dump({"jobqueue": {"local": local}}))
    return path


def _check(path: Path, bounds: str, tasks: int = 150):
    lines: list[str] = []
    options = DoctorOptions(kind="local", config_path=str(path), timeout=120, cancel_wait=20)
    return run_adapt_check(options, parse_range(bounds), lines.append, tasks=tasks,
                           seconds=0.05), lines


def test_adapt_0_3_reports_decisions_and_falls_back(tmp_path):
    report, lines = _check(_config(tmp_path), "0:3")
    assert report.exit_code == 0, render_adapt_report_text(report)
    assert report.finished and report.back_to_minimum and not report.left_in_queue
    assert 1 <= report.most_jobs <= 3
    assert any("scale up" in d for d in report.decisions)
    assert any("scale down" in d for d in report.decisions)
    text = render_adapt_report_text(report)
    assert text.startswith("hpctui doctor --adapt: OK")
    assert "Adaptive 0..3 jobs, interval 250ms, wait-count 2" in text
    doc = adapt_report_to_json(report)
    assert doc["schema"] == "hpctui.doctor-adapt/1" and doc["ok"] and doc["tasks_done"] == 150
    assert any("demo load finished" in line for line in lines)


def test_adapt_finds_the_submit_cancel_loop(tmp_path):
    loop = yaml.safe_load(FIXTURE.read_text())["jobqueue"]["local"]
    path = _config(tmp_path, cores=2, memory="2GiB", processes=2, adapt=loop["adapt"])
    report, _ = _check(path, "0:3")
    assert report.exit_code == 1
    [finding] = [f for f in report.findings if f.mode == 18]
    assert "cancelled before a worker connected in" in finding.evidence[0].text
    assert finding.fix.ops[0].value["unit"] == "jobs"
    assert render_adapt_report_text(report).startswith(
        "hpctui doctor --adapt: NOT OK: adapt submitted and cancelled jobs in a loop")


@pytest.mark.parametrize("bounds, says", [("4:1", "adapt.minimum: 4 is more than"),
                                          ("x", "--adapt: 'x' is not MIN:MAX")])
def test_bad_bounds_exit_2_naming_the_value(tmp_path, bounds, says):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-m", "hpctui", "doctor", "--scheduler", "local",
                          "--config", str(_config(tmp_path)), "--adapt", bounds, "--json"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 2 and says in out.stderr and out.stdout == ""
    assert "Traceback" not in out.stderr
