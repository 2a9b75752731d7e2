"""The connectivity probe on the real testbeds: a compute node in its own network namespace.

1. (On SLURM and on Grid Engine.) The probe job runs on the compute node, finds the host's ib0 reachable and the default-route
   address silent (the testbed's firewall drops it), and recommends `interface: ib0`; with that
   setting, the scheduler advertises the host's ib0 address and a real dask-jobqueue worker
   connects.
2. Locked down: a firewall rule of this test's own drops what the compute node sends to the probe's
   listeners, so no login address answers; the verdict is "locked down", and it can only have
   come back through the shared-file channel.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import dask
import pytest

from hpctui.core.batch.kinds import KINDS
from hpctui.core.network.facts import login_interfaces
from hpctui.core.network.probe_run import run_probe
from hpctui.core.network.probe_verdict import LOCKED_DOWN, REACHABLE
from hpctui.core.network.address import describe_running_scheduler

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(240)]


def _profile(testbed, log_dir, job_name):
    return dict(cores=1, memory="1GB", queue=testbed.partition, walltime="00:05:00",
                python=sys.executable, log_directory=str(log_dir), job_name=job_name)


def _ge_still_active(job_id: str, seconds: float = 20) -> str | None:
    """The same for Grid Engine, which drops a job from qstat the moment it ends."""
    deadline = time.monotonic() + seconds
    while True:
        out = subprocess.run(["qstat", "-j", job_id], capture_output=True, text=True, timeout=20)
        if out.returncode != 0:
            return None
        if time.monotonic() > deadline:
            return "queued"
        time.sleep(1)


def _still_active(job_id: str, seconds: float = 20) -> str | None:
    """The job's state if it is still pending or running after `seconds`, else None."""
    deadline = time.monotonic() + seconds
    while True:
        out = subprocess.run(["squeue", "--noheader", f"--jobs={job_id}", "--format=%T"],
                             capture_output=True, text=True, timeout=20)
        state = out.stdout.strip()
        if state not in ("PENDING", "RUNNING", "CONFIGURING", "COMPLETING"):
            return None
        if time.monotonic() > deadline:
            return state
        time.sleep(1)


def test_probe_finds_ib0_and_not_the_default_address_then_workers_connect(batch, tmp_path):
    from dask.distributed import Client
    from dask_jobqueue import SGECluster, SLURMCluster

    testbed = batch.tb
    result = run_probe(batch.kind, _profile(testbed, tmp_path, "hpctui-probe"), report_timeout=120)
    assert result.verdict == REACHABLE, result.message
    rows = {t.address: t for t in result.targets}
    assert rows[testbed.host_ib0].status == "ok"
    assert rows[testbed.host_ib0].login_interface == "ib0"
    assert rows[testbed.host_ib0].compute_interface == "ib0"
    # The testbed's table drops silently: a timeout, not a refusal.
    assert rows[testbed.default_addr].status == "timeout", rows[testbed.default_addr]
    assert result.recommendation.settings_patch() == {"interface": "ib0"}
    # Seen from both ends: the login side saw the compute node's ib0 address arrive.
    assert result.seen_from.get("ib0") == testbed.compute_ib0
    node_addrs = [a for i in result.compute_interfaces for a in i.ipv4]
    assert f"{testbed.compute_ib0}/24" in node_addrs
    assert result.python.ok and result.python.versions_match
    still = _still_active if batch.kind == "slurm" else _ge_still_active
    assert still(result.job_id) is None, "probe job left in the queue"

    # Picking the recommendation: a worker on the compute node reaches the scheduler.
    job_name = f"tb-probe-{uuid.uuid4().hex[:6]}"
    dask.config.refresh()
    settings = result.recommendation.settings_patch()
    cluster_class = SLURMCluster if batch.kind == "slurm" else SGECluster
    try:
        with cluster_class(
            cores=1, memory="1GB", queue=testbed.partition, walltime="00:05:00",
            job_name=job_name, log_directory=str(tmp_path), python=sys.executable,
            interface=settings["interface"],
            scheduler_options={"dashboard_address": "127.0.0.1:0"},
            worker_extra_args=["--dashboard-address", "127.0.0.1:0"],
        ) as cluster, Client(cluster) as client:
            facts = describe_running_scheduler(cluster, settings, login_interfaces())
            assert facts.advertised_host == testbed.host_ib0 and facts.advertised_interface == "ib0"
            assert (facts.source.key, facts.source.value) == ("interface", "ib0")
            assert not facts.listens_on_all_interfaces and facts.warnings == ()
            cluster.scale(1)
            client.wait_for_workers(1, timeout=90)
            assert client.submit(lambda x: x * 2, 21).result(timeout=30) == 42
    finally:
        batch.cancel_name(job_name)


class _Lockdown:
    """An nftables table of this test's own that silently drops what ib0 sends to given ports.

    Scoped to the probe's own listener ports rather than to every port: the testbed is shared by
    tests running in parallel (their workers must still reach their schedulers, and slurmd its
    slurmctld). For the probe the effect is the same as a login node closed to compute nodes:
    every address it is asked to reach stays silent.
    """

    def __init__(self):
        self.table = f"hpctui_probe_lockdown_{uuid.uuid4().hex[:8]}"
        self.added = False

    def drop(self, ports: list[int]) -> None:
        port_set = ", ".join(str(p) for p in ports)
        rules = (
            f"table inet {self.table} {{\n"
            "  chain input {\n"
            "    type filter hook input priority -20; policy accept;\n"
            f"    iifname \"ib0\" tcp dport {{ {port_set} }} drop\n"
            "  }\n"
            "}\n"
        )
        subprocess.run(["nft", "-f", "-"], input=rules, text=True, check=True, timeout=20)
        self.added = True

    def remove(self) -> None:
        if self.added:
            subprocess.run(["nft", "delete", "table", "inet", self.table], check=True, timeout=20)
            self.added = False


def test_locked_down_verdict_comes_through_the_shared_file(testbed, tmp_path):
    lockdown = _Lockdown()
    try:
        result = run_probe(
            "slurm", _profile(testbed, tmp_path, "hpctui-probe"), report_timeout=120,
            on_listening=lambda targets: lockdown.drop([t.port for t in targets]),
        )
    finally:
        lockdown.remove()
    assert result.verdict == LOCKED_DOWN, result.message
    assert result.channel == "file"
    assert {t.address: t.status for t in result.targets}[testbed.host_ib0] == "timeout"
    assert all(t.status == "timeout" for t in result.targets)
    assert result.seen_from == {}
    assert result.interactive_command == KINDS["slurm"].interactive_command
    assert f"`{KINDS['slurm'].interactive_command}`" in result.message
    # The rule is gone: nothing of this test is left in the firewall.
    listed = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True, timeout=20)
    assert lockdown.table not in listed.stdout
    assert _still_active(result.job_id) is None, "probe job left in the queue"
