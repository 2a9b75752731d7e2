"""The sampler wired into a profile's python: visible in dask-jobqueue's own job script, and
the worker line it gives really runs under the sampler."""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest

from hpctui.core.jobscript.render import render_job_script
from hpctui.core.config.profile import Profile
from hpctui.core.stacks.sampler_wiring import (
    SAMPLER_SOURCE, install_sampler, is_wired, placement_for, unwire_sampler, wire_sampler,
)


def test_wired_python_gives_sampler_then_dash_m_worker_in_job_script(tmp_path):
    settings = {"cores": 1, "memory": "1GB", "log-directory": str(tmp_path / "logs"),
                "python": "/opt/env/bin/python"}
    place = placement_for(settings)
    wired = wire_sampler(settings, place, rate=10)
    script = render_job_script(Profile("slurm", wired))
    (line,) = [ln for ln in script.splitlines() if "distributed.cli.dask_worker" in ln]
    expected = (f"/opt/env/bin/python {tmp_path}/logs/hpctui-sampler.py --out {tmp_path}/logs/hpctui-stacks "
                "--rate 10 -m distributed.cli.dask_worker ")
    assert line.startswith(expected), line


def test_unwire_restores_python_exactly_or_removes_the_default():
    place = placement_for({"log-directory": "/shared/logs"})
    for python in ("$CONDA_PREFIX/bin/python", "jsrun -n 1 python", "/p q/python"):
        wired = wire_sampler({"python": python}, place)
        assert is_wired(wired)
        assert unwire_sampler(wired) == {"python": python}
    wired = wire_sampler({}, place, default_python="/usr/bin/python3")
    assert wired["python"].startswith("/usr/bin/python3 /shared/logs/hpctui-sampler.py ")
    assert unwire_sampler(wired, default_python="/usr/bin/python3") == {}
    # Wiring twice keeps one sampler, with the new rate.
    again = wire_sampler(wire_sampler({"python": "py"}, place), place, rate=5)
    assert again["python"].count("hpctui-sampler.py") == 1 and again["python"].endswith("--rate 5")
    assert not is_wired({"python": "python"}) and not is_wired({})


def test_placement_needs_log_directory_and_rate_must_be_positive():
    with pytest.raises(ValueError, match="log-directory"):
        placement_for({"cores": 1})
    with pytest.raises(ValueError, match="rate"):
        wire_sampler({}, placement_for({"log-directory": "/l"}), rate=0)


def test_install_copies_the_sampler_and_the_wired_command_runs(tmp_path):
    settings = {"log-directory": str(tmp_path / "logs")}
    place = placement_for(settings)
    path = install_sampler(place)
    assert path.read_bytes() == SAMPLER_SOURCE.read_bytes()
    assert install_sampler(place) == path and place.out_dir.is_dir()
    wired = wire_sampler(settings, place, rate=20, default_python=sys.executable)
    # What dask-jobqueue's template makes of it: "<python> -m <worker-command> ...".
    cmd = shlex.split(wired["python"]) + ["-m", "platform"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert list(place.out_dir.glob("*.stacks"))
