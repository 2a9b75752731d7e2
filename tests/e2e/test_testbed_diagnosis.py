"""Diagnosis on the real SLURM testbed: the finding's fix, applied, makes the failure go away.

1. No `interface`: workers time out on the default-route address; diagnosing their real .err
   with this machine's real interfaces proposes `interface: ib0` (found from the subnet the
   workers' own address is in), and a cluster built from the fixed profile gets its workers.
2. A partition that does not exist: sbatch refuses the script dask-jobqueue renders; the
   finding sets `queue` to a partition `sinfo` lists, and sbatch accepts the fixed script.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import dask
import pytest

from hpctui.core.diagnosis import SET, PatchOp, Signals, WorkerLog, apply_fix, diagnose
from hpctui.core.jobscript.render import render_job_script
from hpctui.core.network.facts import login_interfaces
from hpctui.core.config.profile import Profile
from hpctui.core.jobscript.rejection import SubmitRejection

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(240)]


def _profile(testbed, log_dir: Path, **settings) -> Profile:
    base = {
        "cores": 1, "memory": "1GB", "queue": testbed.partition, "walltime": "00:10:00",
        "log-directory": str(log_dir), "python": sys.executable,
        "scheduler-options": {"dashboard_address": "127.0.0.1:0"},
        "worker-extra-args": ["--dashboard-address", "127.0.0.1:0"],
        # A short connect timeout so the unreachable case fails in seconds, not 30 s.
        "job-script-prologue": ["export DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s"],
    }
    base.update(settings)
    return Profile("slurm", base)


def _cluster(profile: Profile, job_name: str):
    from dask_jobqueue import SLURMCluster

    dask.config.refresh()
    return SLURMCluster(job_name=job_name, **profile.cluster_kwargs())


def _wait_for_err(log_dir: Path, job_name: str, needle: str, seconds: float) -> Path | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for err in sorted(log_dir.glob(f"{job_name}-*.err")):
            if needle in err.read_text(errors="replace"):
                return err
        time.sleep(1)
    return None


def test_no_interface_finding_fixes_the_workers(testbed, tmp_path):
    from dask.distributed import Client

    job_name = f"diag-{uuid.uuid4().hex[:8]}"
    profile = _profile(testbed, tmp_path)
    try:
        cluster = _cluster(profile, job_name)
        try:
            cluster.scale(1)
            err = _wait_for_err(tmp_path, job_name, "Nanny failed to start", 90)
            assert err is not None, [p.name for p in tmp_path.iterdir()]
            time.sleep(1)
            lines = tuple(err.read_text(errors="replace").splitlines())
        finally:
            cluster.close()
        signals = Signals(profile=profile, worker_logs=(WorkerLog(err.name, lines),),
                          login_interfaces=tuple(login_interfaces()),
                          scheduler_address=None, workers_connected=0)
        findings = diagnose(signals)
        assert findings and findings[0].mode == 1, [f.rule_id for f in findings]
        best = findings[0]
        assert any(f"tcp://{testbed.default_addr}:" in e.text for e in best.evidence)
        assert best.fix.ops == (PatchOp(SET, "interface", "ib0"),)

        fixed = apply_fix(profile, best.fix)
        cluster = _cluster(fixed, job_name)
        try:
            assert cluster.scheduler_address.startswith(f"tcp://{testbed.host_ib0}:")
            with Client(cluster) as client:
                cluster.scale(1)
                client.wait_for_workers(1, timeout=90)
                assert client.submit(lambda x: x * 2, 21).result(timeout=30) == 42
        finally:
            cluster.close()
    finally:
        subprocess.run(["scancel", f"--name={job_name}"], capture_output=True, timeout=20)


def _sbatch(script: str, directory: Path) -> SubmitRejection | str:
    path = directory / "job.sh"
    path.write_text(script)
    out = subprocess.run(["sbatch", "--parsable", str(path)], capture_output=True, text=True,
                         timeout=30)
    if out.returncode == 0:
        return out.stdout.strip().split(";")[0]
    return SubmitRejection(f"sbatch {path}", out.returncode, out.stdout, out.stderr)


def test_bad_partition_finding_makes_sbatch_accept_the_script(testbed, tmp_path):
    profile = _profile(testbed, tmp_path, queue="nosuchpartition", walltime="00:01:00")
    rejection = _sbatch(render_job_script(profile), tmp_path)
    assert isinstance(rejection, SubmitRejection), "sbatch accepted a partition that does not exist"
    sinfo = subprocess.run(["sinfo", "--noheader", "--format=%P"], capture_output=True, text=True,
                           timeout=30, check=True)
    signals = Signals(profile=profile, submit_failures=(rejection,),
                      partitions=tuple(sinfo.stdout.split()))
    best = diagnose(signals)[0]
    assert best.rule_id == "unknown-queue"
    assert "sbatch: error: invalid partition specified: nosuchpartition" in [e.text for e in best.evidence]
    assert best.fix.ops == (PatchOp(SET, "queue", testbed.partition),)

    job_id = _sbatch(render_job_script(apply_fix(profile, best.fix)), tmp_path)
    try:
        assert isinstance(job_id, str) and job_id.isdigit(), job_id
    finally:
        if isinstance(job_id, str):
            subprocess.run(["scancel", job_id], capture_output=True, timeout=20)
