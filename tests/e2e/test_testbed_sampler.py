"""The seed's slow start-up for real on the SLURM testbed: a worker whose workspace
``global.lock`` is held by another process, started through dask-jobqueue with the sampler
wired into ``python``; the analysis names the file lock and proposes
``distributed.worker.use-file-locking: false``; the profile with that fix applied starts a
worker that connects."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import dask
import pytest

from hpctui.core.stacks.hangsites import FILE_LOCKING_OFF, apply_fix, diagnose
from hpctui.core.config.profile import Profile
from hpctui.core.stacks.sampler_wiring import install_sampler, placement_for, wire_sampler
from hpctui.core.stacks.samples import SampleFileReader, sample_files, summarize

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(240)]


def _profile(testbed, tmp_path: Path, job_name: str) -> Profile:
    return Profile("slurm", {
        "cores": 1, "memory": "1GB", "queue": testbed.partition, "walltime": "00:10:00",
        "name": job_name, "interface": "ib0", "log-directory": str(tmp_path / "logs"),
        "local-directory": str(tmp_path / "local"), "python": sys.executable,
        "scheduler-options": {"dashboard_address": "127.0.0.1:0"},
        "worker-extra-args": ["--dashboard-address", "127.0.0.1:0"],
    })


def _cluster(profile: Profile):
    from dask_jobqueue import SLURMCluster

    dask.config.refresh()
    return SLURMCluster(**profile.cluster_kwargs())


def _cancel(job_name: str) -> None:
    # A worker stuck on the lock never leaves by itself: free the shared node's CPU.
    subprocess.run(["scancel", f"--name={job_name}"], capture_output=True, timeout=20)


def test_worker_stuck_on_workspace_lock_is_diagnosed_and_the_fix_connects(testbed, tmp_path):
    from dask.distributed import Client

    job_name = f"tb-lock-{uuid.uuid4().hex[:8]}"
    profile = _profile(testbed, tmp_path, job_name)
    place = placement_for(profile.settings)
    install_sampler(place)
    sampled = Profile("slurm", wire_sampler(profile.settings, place, rate=10))

    # distributed/core.py puts the workspace in <local-directory>/dask-scratch-space and
    # diskutils.WorkSpace takes global.lock there: hold it like a hung NFS lock would.
    lock = tmp_path / "local" / "dask-scratch-space" / "global.lock"
    lock.parent.mkdir(parents=True)
    holder = subprocess.Popen(["flock", str(lock), "-c", "echo held; exec sleep 600"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        cluster = _cluster(sampled)
        try:
            assert "hpctui-sampler.py" in cluster.job_script()
            cluster.scale(1)
            readers: dict[Path, SampleFileReader] = {}
            first_sample_at = None
            finding = None
            deadline = time.monotonic() + 120
            while finding is None and time.monotonic() < deadline:
                for path in sample_files(place.out_dir):
                    reader = readers.setdefault(path, SampleFileReader(path))
                    if reader.update() and first_sample_at is None:
                        first_sample_at = time.monotonic()
                    found = diagnose(summarize(reader.file, window=30, stuck_after=3, now=time.time()))
                    if found:
                        finding, where = found[0], reader.file
                        break
                time.sleep(0.5)
            assert finding is not None, "no finding from the sampled worker job"
            took = time.monotonic() - first_sample_at
            print(f"file-lock finding {took:.1f} s after the first sample arrived")
            assert took < 10
            assert finding.site == "file-lock"
            assert FILE_LOCKING_OFF in finding.fixes
            assert where.is_spawned_child
        finally:
            cluster.close()
            _cancel(job_name)

        # Apply the proposed fix to the profile (sampler off again) and start a worker.
        fixed = apply_fix(profile, finding.fixes[0])
        assert fixed.distributed == {"worker.use-file-locking": False}
        cluster = _cluster(fixed)
        try:
            assert "export DASK_DISTRIBUTED__WORKER__USE_FILE_LOCKING=False" in cluster.job_script()
            with Client(cluster) as client:
                cluster.scale(1)
                client.wait_for_workers(1, timeout=120)
                assert client.submit(lambda x: x + 1, 10).result(timeout=30) == 11
        finally:
            cluster.close()
            _cancel(job_name)
    finally:
        holder.kill()
        holder.wait()
