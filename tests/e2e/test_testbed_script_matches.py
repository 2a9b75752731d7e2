"""The preview is what SLURM receives: submit through dask-jobqueue on the testbed, read the
script back with `scontrol write batch_script <id> -`, and compare it with hpctui's preview.

Only the scheduler address and the worker name may differ, and the comparison must say on
which lines they are.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest

from hpctui.core.config.load import load_profile
from hpctui.core.jobscript.render import compare_scripts, render_job_script

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(150)]


def _batch_script(job_id: str) -> str:
    out = subprocess.run(["scontrol", "write", "batch_script", job_id, "-"],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_slurm_receives_the_previewed_script(testbed, tmp_path):
    from dask_jobqueue import SLURMCluster

    name = f"tb-script-{uuid.uuid4().hex[:8]}"
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "site.yaml").write_text(
        "# the site's settings\n"
        "jobqueue:\n"
        "  slurm:\n"
        f"    name: {name}\n"
        "    cores: 1\n"
        "    memory: 1GB\n"
        f"    queue: {testbed.partition}\n"
        "    walltime: '00:05:00'\n"
        f"    log-directory: {tmp_path / 'logs'}\n"
        f"    python: {sys.executable}\n"
        "    interface: ib0\n"
        "    job-extra-directives: ['--comment=hpctui-preview-test']\n"
        "    job-directives-skip: ['-t 00:05']\n"
        "    job-script-prologue: ['export HPCTUI_TEST=1']\n"
        "    worker-extra-args: ['--dashboard-address', '127.0.0.1:0']\n"
        "    scheduler-options: {dashboard_address: '127.0.0.1:0'}\n"
    )
    profile = load_profile("slurm", paths=[str(conf)]).profile
    preview = render_job_script(profile)
    assert "#SBATCH --comment=hpctui-preview-test" in preview
    assert "-t 00:05:00" not in preview

    try:
        cluster = SLURMCluster(**profile.cluster_kwargs())
        try:
            cluster.scale(1)
            deadline = time.monotonic() + 60
            job_id = None
            while job_id is None and time.monotonic() < deadline:
                ids = [w.job_id for w in list(cluster.workers.values())
                       if getattr(w, "job_id", None)]
                job_id = ids[0] if ids else None
                time.sleep(0.2)
            assert job_id, "no job was submitted within 60 s"
            received = _batch_script(job_id)
            worker_names = list(cluster.workers)
        finally:
            cluster.close()
    finally:
        subprocess.run(["scancel", f"--name={name}"], capture_output=True, timeout=20)

    result = compare_scripts(preview, received)
    assert result.matches, result.summary()
    assert result.scheduler_address.startswith(f"tcp://{testbed.host_ib0}:")
    assert result.worker_name in worker_names
    # The worker command line is the only one that differs, and it says why.
    assert [(d.number, d.what) for d in result.identity_lines] == [
        (len(preview.splitlines()), "scheduler address and worker name")]
    print(result.summary())
