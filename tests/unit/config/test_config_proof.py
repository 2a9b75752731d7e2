"""Proof that hpctui and dask-jobqueue agree: after hpctui writes the config, a fresh Python
process with only dask-jobqueue (DASK_CONFIG pointed at the file, `SLURMCluster()` with no
arguments, and so on for each kind) produces the job script hpctui previewed.

The one line that differs is the worker command: a started cluster puts its real scheduler
address there (the preview has dask-jobqueue's placeholder); the worker name is
`dummy-name` in both, since `job_script()` always uses it. compare_scripts reports it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from hpctui.core.config.load import load_profile
from hpctui.core.config.write import write_profile
from hpctui.core.jobscript.render import compare_scripts, render_job_script
from hpctui.core.batch.kinds import KINDS

_CHILD = r"""
import importlib, json, sys, warnings
warnings.simplefilter("ignore")
out = {}
for kind, path in json.loads(sys.argv[1]).items():
    module, _, name = path.rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    cluster = cls()
    try:
        out[kind] = cluster.job_script()
    finally:
        cluster.close()
print(json.dumps(out))
"""

SETTINGS = {
    "cores": 4, "memory": "6GB", "processes": 2, "interface": "ib0",
    "job-script-prologue": ["export OMP_NUM_THREADS=1"],
    "worker-extra-args": ["--lifetime", "55m"],
    "scheduler-options": {"host": "127.0.0.1", "dashboard_address": "127.0.0.1:0"},
}
PER_KIND = {
    "slurm": {"walltime": "01:00:00", "job-extra-directives": ["--exclusive"],
              "job-directives-skip": ["--mem"], "account": "p1"},
    "pbs": {"walltime": "01:00:00", "resource-spec": "select=1:ncpus=4", "queue": "q"},
    "moab": {"walltime": "01:00:00"},
    "sge": {"walltime": "01:00:00", "project": "p"},
    "lsf": {"walltime": "01:00", "lsf-units": "mb", "job-extra-directives": ["-nnodes 1"],
            "job-directives-skip": ["-R"]},
    "htcondor": {"disk": "1GB", "job-extra-directives": {"+Project": '"p"'}},
    "oar": {"walltime": "01:00:00", "memory-per-core-property-name": "memcore"},
    "local": {},
}


@pytest.mark.timeout(240)
def test_fresh_dask_jobqueue_process_produces_the_preview(tmp_path):
    conf = tmp_path / "dask"
    conf.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "DASK_CONFIG": str(conf), "PATH": os.environ.get("PATH", "")}
    target = conf / "hpctui.yaml"
    target.write_text("# my site\ndistributed:\n  worker:\n    use-file-locking: false\n")
    previews = {}
    for kind in KINDS:
        loaded = load_profile(kind, environ=env)
        after = loaded.profile
        for key, value in {**SETTINGS, **PER_KIND[kind]}.items():
            after = after.with_setting(key, value)
        write_profile(target, loaded.profile, after, loaded)
        previews[kind] = render_job_script(load_profile(kind, environ=env).profile)

    classes = {k: KINDS[k].cluster_class for k in KINDS}
    out = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(classes)],
                         capture_output=True, text=True, timeout=200, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    scripts = json.loads(out.stdout.strip().splitlines()[-1])
    for kind, preview in previews.items():
        result = compare_scripts(preview, scripts[kind])
        assert result.matches, (kind, result.summary())
        assert result.scheduler_address.startswith("tcp://127.0.0.1:")
        worker_line = [i for i, l in enumerate(preview.splitlines(), 1) if "dask_worker" in l]
        assert [(d.number, d.what) for d in result.identity_lines] == \
            [(worker_line[0], "scheduler address")], kind
    assert "use-file-locking: false" in target.read_text()
