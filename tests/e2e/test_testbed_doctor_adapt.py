"""`hpctui doctor --adapt MIN:MAX` on both real batch systems (SLURM and Grid Engine), as a user
runs it: a subprocess on a profile, its JSON report checked against what the queue says.

Adaptive 0..3 with the demo workload: adapt scales up (jobs submitted with the system's own
ids), the tasks finish, adapt scales down and the jobs fall back to 0; nothing is left in the
queue. Then the profile of tests/fixtures/adapt/submit-cancel-loop.yaml (processes 2, bounds in
workers with an odd maximum, wait-count 1: see its comment for why that loops): the run exits 1
with the mode-18 finding, its evidence counting jobs cancelled before a worker connected, and
the fix `unit: jobs`; again nothing is left in the queue.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(600)]

FIXTURE = Path(__file__).parents[1] / "fixtures" / "adapt" / "submit-cancel-loop.yaml"


@pytest.fixture
def name(batch):
    n = batch.name("dadapt")
    yield n
    batch.cancel_name(n)  # whatever a failed assertion left must not hold the node


def _config(tmp_path: Path, batch, name: str, adapt: dict, **settings) -> Path:
    section = {"name": name, "cores": 1, "memory": "1GB", "processes": 1,
               "queue": batch.queue, "walltime": "00:10:00", "interface": "ib0",
               "log-directory": str(tmp_path / "logs"), "python": sys.executable,
               "scheduler-options": {"dashboard_address": "127.0.0.1:0"},
               "worker-extra-args": ["--dashboard-address", "127.0.0.1:0"], "adapt": adapt}
    section.update(settings)
    path = tmp_path / "dask.yaml"
    path.write_text(yaml.safe_dump({"jobqueue": {batch.kind: section}}))
    return path


def _doctor_adapt(tmp_path: Path, batch, path: Path, bounds: str) -> tuple[int, dict, str]:
    out = subprocess.run([sys.executable, "-m", "hpctui", "doctor", "--scheduler", batch.kind,
                          "--config", str(path), "--adapt", bounds, "--timeout", "240",
                          "--json"], capture_output=True, text=True, timeout=560, cwd=tmp_path)
    assert "Traceback" not in out.stderr, out.stderr[-4000:]
    return out.returncode, json.loads(out.stdout), out.stderr


def _job_ids(doc: dict) -> set[str]:
    return {t["job_id"] for t in doc["timeline"] if t.get("job_id")}


def test_doctor_adapt_0_3_scales_up_and_back_down(batch, tmp_path, name):
    adapt = {"unit": "jobs", "interval": "250ms", "wait-count": 2, "target-duration": "0.5s"}
    code, doc, err = _doctor_adapt(tmp_path, batch, _config(tmp_path, batch, name, adapt), "0:3")
    assert code == 0, err[-4000:] + json.dumps(doc, indent=1)[-4000:]
    assert doc["batch_system"] == batch.kind and doc["ok"]
    assert doc["finished"] and doc["tasks_done"] == doc["tasks"]
    assert doc["back_to_minimum"] and doc["left_in_queue"] == []
    assert 1 <= doc["most_jobs"] <= 3
    assert any("scale up" in d for d in doc["decisions"]), doc["decisions"]
    assert any("scale down" in d for d in doc["decisions"]), doc["decisions"]
    ids = _job_ids(doc)
    assert ids and all(j.isdigit() for j in ids), ids  # the system's own job numbers
    assert batch.wait_queue_empty(name, 30) == [], f"jobs left in {batch.label}'s queue"


def test_doctor_adapt_finds_the_submit_cancel_loop(batch, tmp_path, name):
    loop = yaml.safe_load(FIXTURE.read_text())["jobqueue"]["local"]
    path = _config(tmp_path, batch, name, loop["adapt"], cores=2, processes=2, memory="2GB")
    code, doc, err = _doctor_adapt(tmp_path, batch, path, "0:3")
    assert code == 1, err[-4000:] + json.dumps(doc, indent=1)[-4000:]
    [finding] = [f for f in doc["findings"] if f["mode"] == 18]
    assert "cancelled before a worker connected in" in finding["evidence"][0]["text"]
    assert finding["fix"]["ops"][0]["value"]["unit"] == "jobs"
    assert doc["left_in_queue"] == []
    assert batch.wait_queue_empty(name, 30) == [], f"jobs left in {batch.label}'s queue"
