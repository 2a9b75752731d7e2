"""`hpctui doctor --fix` on the SLURM testbed with no `interface`: the verdict while the job runs.

The worker dials the default-route address the compute node cannot reach, and its nanny says
nothing until distributed's connect timeout (30 s, left at its default here: the point is to
be faster than it). Doctor must send the network probe once the job has run a couple of
seconds with no worker, name the interface problem quoting the probe's rows, end the round on
it (the worker has not given up yet: no time-out line in its log), write `interface: ib0`,
and connect in the next round. Asserted on the order of the timeline's events and on the
log's content, not on seconds (CI machines are busy).
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest
from testbed_profiles import write_profile

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(400)]


def _none_queued(name: str) -> None:
    out = subprocess.run(["squeue", "--noheader", f"--name={name}", "--format=%i %T"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"jobs left in the queue: {out.stdout}"


def test_doctor_fix_names_the_interface_from_the_probe_before_the_worker_gives_up(
        testbed, tmp_path):
    name = f"doc-early-{uuid.uuid4().hex[:8]}"
    logs = tmp_path / "logs"
    path = write_profile(
        tmp_path / "dask.yaml", name,
        comment="no interface: the scheduler advertises the default-route address",
        queue=testbed.partition, walltime="00:05:00", python=sys.executable)
    try:
        out = subprocess.run([sys.executable, "-m", "hpctui", "doctor", "--scheduler", "slurm",
                              "--config", str(path), "--json", "--fix", "--timeout", "120"],
                             capture_output=True, text=True, timeout=380, cwd=tmp_path)
    finally:
        subprocess.run(["scancel", f"--name={name}"], capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr[-4000:] + out.stdout[-4000:]
    doc = json.loads(out.stdout)
    first, last = doc["rounds"][0], doc["rounds"][-1]
    # Round 1 ended on the diagnosis, with the probe's verdict, not on a time-out.
    assert first["ended"].startswith("diagnosed"), first["ended"]
    assert first["probe"] and "ib0" in first["probe"]
    network = next(f for f in first["findings"] if f["mode"] == 1)
    assert {"op": "set", "key": "interface", "value": "ib0", "line": None} in network["fix"]["ops"]
    probe_rows = [e["text"] for e in network["evidence"] if e["source"] == "probe"]
    assert any(testbed.default_addr in t and "the address the scheduler advertises" in t
               and "timed out" in t for t in probe_rows), network["evidence"]
    # Nothing from the worker's own give-up was needed, or there to be had.
    assert not any("Timed out" in e["text"] for e in network["evidence"])
    # The timeline, in order: RUNNING, the probe sent (why), its verdict, the jobs cancelled.
    round1 = [t for t in doc["timeline"] if t["round"] == 1]
    whats = [t["what"] for t in round1]
    running = next(i for i, t in enumerate(round1) if "RUNNING" in t["detail"])
    assert running < whats.index("probe sent") < whats.index("probe") < whats.index("cancelled")
    sent = round1[whats.index("probe sent")]
    assert "with no worker connected" in sent["detail"] and sent["job_id"] in first["job_ids"]
    # The worker of round 1 was cancelled before distributed gave up on the scheduler: its
    # log ends with the cancel (SIGTERM; the nanny then fails for that reason), and has no
    # connect time-out.
    for job in first["job_ids"]:
        text = "".join(log.read_text() for log in logs.glob(f"{name}-{job}.*"))
        assert "Timed out trying to connect" not in text, text[-2000:]
        assert "CANCELLED" in text or "SIGTERM" in text or text == "", text[-2000:]
    # The fix is written and the next round connects on ib0.
    assert doc["changes"][0]["rule_id"] == "workers-cannot-reach-scheduler"
    assert doc["changes"][0]["written"] and "interface: ib0" in path.read_text()
    assert "# no interface" in path.read_text()
    assert last["connected"] and last["scheduler_address"].startswith(f"tcp://{testbed.host_ib0}:")
    assert all(r["left_in_queue"] == [] for r in doc["rounds"])
    _none_queued(name)
