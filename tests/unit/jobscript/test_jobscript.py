"""The preview is dask-jobqueue's own script, creates nothing, and compares line by line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hpctui.core.config.load import load_profile
from hpctui.core.jobscript.render import (
    PLACEHOLDER_ADDRESS, PLACEHOLDER_NAME, ScriptError, compare_scripts, diff_lines,
    job_class, render, render_job_script,
)
from hpctui.core.batch.kinds import KIND_NAMES

FIXTURES = Path(__file__).parents[2] / "fixtures" / "jobscripts" / "generated"
MISSING_DIR = "/nonexistent-hpctui-test/logs"


def fixture_profile(kind: str, log_directory: str = MISSING_DIR):
    """The profile each kind's fixture script was rendered from."""
    p = load_profile(kind, paths=[], environ={}).profile
    settings = {"cores": 8, "memory": "16GB", "processes": 2, "python": "/opt/conda/bin/python",
                "log-directory": log_directory, "interface": "ib0",
                "job-script-prologue": ["module load anaconda", "conda activate dask"]}
    extra = {"slurm": {"queue": "normal", "account": "proj1", "walltime": "01:00:00",
                       "job-extra-directives": ["--exclusive"], "job-directives-skip": ["-n 1"]},
             "pbs": {"queue": "regular", "account": "P1", "resource-spec": "select=1:ncpus=8"},
             "moab": {"queue": "regular"},
             "sge": {"queue": "all.q", "resource-spec": "h_vmem=16G"},
             "lsf": {"project": "GEN119", "walltime": "00:30", "lsf-units": "mb",
                     "job-extra-directives": ["-nnodes 1"]},
             "htcondor": {"disk": "1GB", "job-extra-directives": {"+Project": '"p1"'}},
             "oar": {"project": "p1", "memory-per-core-property-name": "memcore"},
             "local": {}}[kind]
    for key, value in {**settings, **extra}.items():
        p = p.with_setting(key, value)
    return p


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_preview_matches_the_fixture_and_creates_no_folder(kind):
    text = render_job_script(fixture_profile(kind))
    assert not os.path.exists(MISSING_DIR)
    expected = (FIXTURES / f"{kind}.sh").read_text()
    assert text == expected


@pytest.mark.parametrize("kind", [k for k in KIND_NAMES if k != "local"])
def test_preview_is_byte_identical_to_dask_jobqueues_own_job(kind, tmp_path):
    # The plain class (which does create the log folder) gives the same text.
    logs = tmp_path / "logs"
    profile = fixture_profile(kind, str(logs))
    preview = render_job_script(profile)
    assert not logs.exists()
    kwargs = profile.job_kwargs()
    job = job_class(kind)(PLACEHOLDER_ADDRESS, name=PLACEHOLDER_NAME, config_name=kind,
                          protocol=None, security=None, **kwargs)
    assert logs.exists()
    assert job.job_script() == preview


def test_header_lines_and_warnings():
    r = render(fixture_profile("slurm"))
    assert r.header_lines[0] == "#SBATCH -J dask-worker"
    assert r.header_lines[-1] == "#SBATCH --exclusive"
    assert "#SBATCH -n 1" not in r.header_lines
    oar = fixture_profile("oar").with_setting("memory-per-core-property-name", None)
    assert any("memory_per_core_property_name" in w for w in render(oar).warnings)


def test_missing_cores_is_a_script_error_with_dask_jobqueues_message():
    p = load_profile("pbs", paths=[], environ={}).profile.with_setting("memory", "1GB")
    with pytest.raises(ScriptError, match="You must specify how much cores and memory"):
        render_job_script(p)


def test_diff_lines_marks_every_line():
    d = diff_lines("a\nb\nc\n", "a\nB\nc\nd\n")
    assert [(x.op, x.text) for x in d] == [(" ", "a"), ("-", "b"), ("+", "B"), (" ", "c"), ("+", "d")]


def test_compare_reports_the_identity_lines():
    preview = render_job_script(fixture_profile("lsf"))
    actual = (preview.replace(PLACEHOLDER_ADDRESS, "tcp://10.0.0.1:4242")
              .replace(PLACEHOLDER_NAME, "LSFCluster-3"))
    c = compare_scripts(preview, actual + "\n")
    assert c.matches and c.scheduler_address == "tcp://10.0.0.1:4242"
    assert c.worker_name == "LSFCluster-3"
    lines = preview.splitlines()
    # LSF names its log files after the worker, so those lines differ too: the report says so.
    assert [(i.number, i.what) for i in c.identity_lines] == [
        (lines.index(l) + 1, "worker name") for l in lines if "dummy-name-%J" in l
    ] + [(len(lines), "scheduler address and worker name")]
    assert "only line" in c.summary()


def test_compare_reports_real_differences():
    preview = render_job_script(fixture_profile("slurm"))
    actual = preview.replace("#SBATCH -p normal", "#SBATCH -p debug").replace(
        PLACEHOLDER_ADDRESS, "tcp://1.2.3.4:1").replace(PLACEHOLDER_NAME, "x-0")
    c = compare_scripts(preview, actual)
    assert not c.matches
    assert [(d.op, d.text) for d in c.differences] == [("-", "#SBATCH -p normal"),
                                                      ("+", "#SBATCH -p debug")]
