"""Plain dask-jobqueue (no hpctui code) on the real SLURM testbed.

Proves the testbed reproduces the seed's story: with `interface="ib0"` workers on the compute node
reach the scheduler and compute; without it the scheduler advertises the host's default-route address,
which the node can route to but never hears back from, so the workers time out and the nanny dies.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dask
import pytest

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(170)]

# Dashboards on loopback and port 0: no listener on every address, no clash between parallel tests.
DASHBOARDS = dict(
    scheduler_options={"dashboard_address": "127.0.0.1:0"},
    worker_extra_args=["--dashboard-address", "127.0.0.1:0"],
)


def _unique_job_name(kind: str) -> str:
    # Several engineers share the testbed: a name of our own keeps our squeue checks to our jobs.
    return f"tb-{kind}-{uuid.uuid4().hex[:8]}"


def _queued_job_ids(job_name: str) -> list[str]:
    """Ids of this test's jobs that squeue still lists (pending, running, completing...)."""
    out = subprocess.run(
        ["squeue", "--noheader", f"--name={job_name}", "--format=%i"],
        capture_output=True, text=True, timeout=20, check=True,
    )
    return out.stdout.split()


def _wait_queue_empty(job_name: str, seconds: float = 30) -> list[str]:
    deadline = time.monotonic() + seconds
    ids = _queued_job_ids(job_name)
    while ids and time.monotonic() < deadline:
        time.sleep(1)
        ids = _queued_job_ids(job_name)
    return ids


def _cancel_leftovers(job_name: str) -> None:
    # Whatever a failed assertion left behind must not hold the shared node's CPUs.
    subprocess.run(["scancel", f"--name={job_name}"], capture_output=True, timeout=20)


def _make_cluster(testbed, log_dir: Path, job_name: str, **extra):
    from dask_jobqueue import SLURMCluster

    dask.config.refresh()
    return SLURMCluster(
        cores=1,
        memory="1GB",
        queue=testbed.partition,
        walltime="00:10:00",
        job_name=job_name,
        log_directory=str(log_dir),
        python=sys.executable,
        **DASHBOARDS,
        **extra,
    )


def test_workers_on_ib0_connect_and_compute(testbed, tmp_path):
    from dask.distributed import Client

    job_name = _unique_job_name("ok")
    try:
        cluster = _make_cluster(testbed, tmp_path, job_name, interface="ib0")
        try:
            # The scheduler sits on the host's ib0 address: the one the compute node can reach.
            assert cluster.scheduler_address.startswith(f"tcp://{testbed.host_ib0}:")
            with Client(cluster) as client:
                cluster.scale(2)
                client.wait_for_workers(2, timeout=90)
                workers = client.scheduler_info()["workers"]
                assert len(workers) == 2
                # The workers really run on the compute node (its ib0 address), not on the host.
                assert all(addr.startswith(f"tcp://{testbed.compute_ib0}:") for addr in workers)
                assert client.submit(lambda x: x + 1, 10).result(timeout=30) == 11
        finally:
            cluster.close()
        assert _wait_queue_empty(job_name) == [], "jobs still in squeue after close()"
    finally:
        _cancel_leftovers(job_name)


def _wait_for_err_lines(log_dir: Path, job_name: str, patterns: list[str], seconds: float):
    """Contents of the first .err log that shows every pattern, or None after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for err in sorted(log_dir.glob(f"{job_name}-*.err")):
            text = err.read_text(errors="replace")
            if all(re.search(p, text) for p in patterns):
                return text
        time.sleep(1)
    return None


def test_without_interface_workers_time_out_on_default_address(testbed, tmp_path):
    from dask.distributed import Client

    job_name = _unique_job_name("noif")
    try:
        cluster = _make_cluster(testbed, tmp_path, job_name)
        try:
            # The seed's trap: with no interface the scheduler advertises the default-route address.
            match = re.fullmatch(r"tcp://([\d.]+):(\d+)", cluster.scheduler_address)
            assert match, cluster.scheduler_address
            assert match.group(1) == testbed.default_addr
            port = match.group(2)
            with Client(cluster) as client:
                cluster.scale(2)
                # Why, in the workers' own words: the connect timeout, then the nanny giving up.
                # Waiting for these lines (not for a fixed minute) is waiting for the failure.
                expected = [
                    re.escape(f"Timed out trying to connect to tcp://{testbed.default_addr}:{port} after 30 s"),
                    r"Nanny failed to start",
                ]
                text = _wait_for_err_lines(tmp_path, job_name, expected, seconds=120)
                logs = {p.name: p.read_text(errors="replace")[-2000:] for p in tmp_path.glob("*.err")}
                assert text is not None, f"expected lines not in the .err logs: {logs}"
                # The worker gave up after its whole connect time-out: none ever registered.
                assert client.scheduler_info()["workers"] == {}
        finally:
            cluster.close()
        assert _wait_queue_empty(job_name) == [], "jobs still in squeue after close()"
    finally:
        _cancel_leftovers(job_name)
