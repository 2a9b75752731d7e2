"""TLS on the testbed: dask-jobqueue's temporary certificates in a 0700 directory hpctui
creates; the workers on the compute node connect over tls:// and a task runs."""

from __future__ import annotations

import stat
import subprocess
import sys
import time
import uuid

import dask
import pytest

from hpctui.core.config.profile import Profile
from hpctui.core.network.security import tls_cluster_kwargs
from testbed_profiles import write_profile

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(240)]


def test_workers_connect_over_tls(testbed, tmp_path):
    from dask.distributed import Client
    from dask_jobqueue import SLURMCluster

    name = f"tls-{uuid.uuid4().hex[:8]}"
    profile = Profile("slurm", {
        "name": name, "cores": 1, "memory": "1GB", "queue": testbed.partition,
        "walltime": "00:05:00", "interface": "ib0", "python": sys.executable,
        "log-directory": str(tmp_path / "logs"),
        "scheduler-options": {"dashboard_address": "127.0.0.1:0"},
        "worker-extra-args": ["--dashboard-address", "127.0.0.1:0"],
    })
    kwargs = tls_cluster_kwargs(profile.cluster_kwargs(), tmp_path / "tls")
    assert stat.S_IMODE((tmp_path / "tls").stat().st_mode) == 0o700
    dask.config.refresh()
    try:
        cluster = SLURMCluster(**kwargs)
        try:
            assert cluster.scheduler_address.startswith(f"tls://{testbed.host_ib0}:")
            assert "--tls-key" in cluster.job_script()
            with Client(cluster) as client:
                cluster.scale(1)
                client.wait_for_workers(1, timeout=120)
                workers = client.scheduler_info()["workers"]
                assert workers and all(a.startswith("tls://") for a in workers)
                assert client.submit(lambda x: x + 1, 41).result(timeout=30) == 42
        finally:
            cluster.close()
    finally:
        subprocess.run(["scancel", f"--name={name}"], capture_output=True, timeout=30)
    # A cancelled job passes through COMPLETING: give it a few seconds to leave.
    for _ in range(30):
        out = subprocess.run(["squeue", "--noheader", f"--name={name}"], capture_output=True,
                             text=True, timeout=30)
        if out.returncode == 0 and not out.stdout.strip():
            break
        time.sleep(1)
    assert out.returncode == 0 and out.stdout.strip() == "", out.stdout + out.stderr


def test_doctor_tls_connects_over_tls(testbed, tmp_path):
    import json

    name = f"tls-{uuid.uuid4().hex[:8]}"
    config = write_profile(tmp_path / "dask.yaml", name, queue=testbed.partition,
                           walltime="00:05:00", interface="ib0", python=sys.executable)
    try:
        out = subprocess.run([sys.executable, "-m", "hpctui", "doctor", "--scheduler", "slurm",
                              "--config", str(config), "--timeout", "120", "--tls", "--json",
                              "--no-probe"], capture_output=True, text=True, timeout=200,
                             cwd=tmp_path)
        assert out.returncode == 0, out.stderr[-3000:] + out.stdout[-3000:]
        doc = json.loads(out.stdout)
        assert doc["rounds"][0]["scheduler_address"].startswith(f"tls://{testbed.host_ib0}:")
        assert stat.S_IMODE((tmp_path / "logs" / ".hpctui-tls").stat().st_mode) == 0o700
        assert doc["rounds"][0]["left_in_queue"] == []
        assert not any("without TLS" in n for n in doc["notes"])
    finally:
        subprocess.run(["scancel", f"--name={name}"], capture_output=True, timeout=30)


def test_security_true_in_the_profile_runs_the_session_over_tls(testbed, tmp_path):
    # What the UI and doctor do: `security: true` in the config, the session starts the cluster.
    import os

    from hpctui.core.session import events as ev
    from hpctui.core.session.cluster import ClusterSession

    name = f"tls-{uuid.uuid4().hex[:8]}"
    logs = tmp_path / "logs"
    profile = Profile("slurm", {
        "name": name, "cores": 1, "memory": "1GB", "queue": testbed.partition,
        "walltime": "00:05:00", "interface": "ib0", "python": sys.executable,
        "log-directory": str(logs), "security": True,
        "scheduler-options": {"dashboard_address": "127.0.0.1:0"},
        "worker-extra-args": ["--dashboard-address", "127.0.0.1:0"],
    })
    seen: list = []
    session = ClusterSession("slurm", profile.cluster_kwargs(), state_dir=tmp_path / "state")
    session.subscribe(seen.append)
    try:
        session.start()
        session.scale(1)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and session.snapshot().connected_workers < 1:
            time.sleep(0.5)
        started = [e for e in seen if isinstance(e, ev.ClusterStarted)]
        assert started and started[0].scheduler_address.startswith("tls://")
        workers = session.snapshot().workers
        assert workers and all(w.address.startswith("tls://") for w in workers)
        assert stat.S_IMODE(os.stat(logs / ".hpctui-tls").st_mode) == 0o700
    finally:
        session.close()
        session.wait_closed(60)
        subprocess.run(["scancel", f"--name={name}"], capture_output=True, timeout=30)
