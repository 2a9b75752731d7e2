"""Issue 8's acceptance test on both real batch systems: `hpctui doctor` from a broken profile.

The profile names a partition/queue the batch system rejects for real (sbatch's "invalid
partition specified", qsub's "job requests unknown queue") and has no `interface`, so once
submitted the workers dial the default-route address, which the compute node cannot reach.
`doctor --fix` must write both fixes (the queue and `interface: ib0`) with the file's comments
kept and end with the workers connected (exit 0); without `--fix` (SLURM only: the same code)
it exits 1 naming both problems and leaves the file alone. The queue holds none of the jobs after.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(600)]


def _config(tmp_path: Path, name: str, kind: str = "slurm") -> Path:
    path = tmp_path / "dask.yaml"
    path.write_text(f"""\
# Site config for the testbed (comments must survive doctor --fix)
jobqueue:
  {kind}:
    name: {name}  # unique per test
    cores: 1
    memory: 1GB
    queue: nosuchpartition  # a partition this site does not have
    walltime: "00:05:00"
    log-directory: {tmp_path / 'logs'}
    python: {sys.executable}
    # a short connect timeout: the unreachable round fails in seconds, not 30 s
    job-script-prologue: ["export DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s"]
    scheduler-options: {{dashboard_address: "127.0.0.1:0"}}
    worker-extra-args: ["--dashboard-address", "127.0.0.1:0"]
""")
    return path


def _doctor(tmp_path: Path, *args, kind: str = "slurm") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hpctui", "doctor", "--scheduler", kind,
                           "--no-probe", "--json", *map(str, args)], capture_output=True,
                          text=True, timeout=540, cwd=tmp_path)


def _none_queued(name: str) -> None:
    out = subprocess.run(["squeue", "--noheader", f"--name={name}", "--format=%i %T"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"jobs left in the queue: {out.stdout}"


def test_doctor_fix_writes_both_fixes_and_connects(batch, tmp_path):
    testbed = batch.tb
    name = f"doc-{uuid.uuid4().hex[:8]}"
    path = _config(tmp_path, name, batch.kind)
    try:
        out = _doctor(tmp_path, "--config", path, "--workers", 2, "--timeout", 120, "--fix",
                      kind=batch.kind)
        assert out.returncode == 0, out.stderr[-4000:] + out.stdout[-4000:]
        doc = json.loads(out.stdout)
        assert [c["rule_id"] for c in doc["changes"]][:1] == ["unknown-queue"]
        # Round 1 was the pre-flight's refusal (sbatch --test-only, qsub -w v): no job cost.
        first = doc["rounds"][0]
        assert first["preflight"] and first["job_ids"] == [], first
        assert doc["rounds"][1]["preflight"] is None
        assert any("interface" in c["summary"] and "ib0" in c["summary"] for c in doc["changes"])
        assert all(c["written"] for c in doc["changes"])
        assert doc["rounds"][-1]["connected"] and doc["rounds"][-1]["workers_connected"] >= 2
        assert doc["rounds"][-1]["scheduler_address"].startswith(f"tcp://{testbed.host_ib0}:")
        assert all(r["left_in_queue"] == [] for r in doc["rounds"])
        text = path.read_text()
        assert f"queue: {testbed.partition}" in text
        assert "interface: ib0" in text
        for comment in ("# Site config for the testbed", "# unique per test",
                        "# a short connect timeout"):
            assert comment in text
        assert (tmp_path / "dask.yaml.bak").exists()
        # Rounds without `interface` listened on every interface without TLS: said once.
        assert sum("without TLS" in n for n in doc["notes"]) == 1, doc["notes"]
    finally:
        batch.cancel_name(name)
    assert batch.wait_queue_empty(name) == []


def test_doctor_without_fix_names_both_problems_and_exits_1(testbed, tmp_path):
    name = f"doc-{uuid.uuid4().hex[:8]}"
    path = _config(tmp_path, name)
    before = path.read_text()
    try:
        out = _doctor(tmp_path, "--config", path, "--workers", 2, "--timeout", 120)
        assert out.returncode == 1, out.stderr[-4000:] + out.stdout[-4000:]
        doc = json.loads(out.stdout)
        rules = [f["rule_id"] for f in doc["findings"]]
        assert "unknown-queue" in rules, rules
        network = [f for f in doc["findings"] if f["mode"] == 1]
        assert network, rules
        assert {"op": "set", "key": "interface", "value": "ib0", "line": None} in network[0]["fix"]["ops"]
        assert not any(c["written"] for c in doc["changes"])
        assert all(r["left_in_queue"] == [] for r in doc["rounds"])
        assert path.read_text() == before
        assert not (tmp_path / "dask.yaml.bak").exists()
    finally:
        subprocess.run(["scancel", f"--name={name}"], capture_output=True, timeout=30)
    _none_queued(name)
