"""Config write-back: only the changed keys' lines change; atomic, .bak, mode kept; refuses
a file changed on disk; malformed YAML leaves the file untouched; old key names migrate."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
import yaml

from hpctui.core.config.load import load_profile
from hpctui.core.config.write import (
    ConfigChangedOnDisk, ConfigDocument, ConfigSyntaxError, labextension_block, write_profile,
)

FIX = Path(__file__).parents[2] / "fixtures" / "configs"


@pytest.fixture
def summit(tmp_path):
    d = tmp_path / "conf"
    d.mkdir()
    shutil.copy(FIX / "summit.yaml", d / "summit.yaml")
    return d / "summit.yaml"


def test_seed_file_changes_only_the_changed_keys(summit):
    original = summit.read_text()
    loaded = load_profile("lsf", paths=[str(summit.parent)], environ={})
    after = (loaded.profile.with_setting("memory", "600 GB").with_setting("walltime", "01:00")
             .with_setting("distributed.comm.timeouts.connect", "60s"))
    result = write_profile(summit, loaded.profile, after, loaded, labextension=True)
    assert summit.read_text() == """\
# Summit, from the case study: old key names, mixed list indentation, quotes, comments.
distributed:
  worker:
    multiprocessing-method: spawn
    use-file-locking: False
  comm:
    timeouts:
      connect: 60s

jobqueue:
  lsf:
    cores: 128
    processes: 8
    memory: 600 GB   # per node
    interface: ib0
    walltime: 01:00
    job-extra-directives:
    - -nnodes 1
    job-directives-skip:
    - -R
    - '-n '
    - -M

labextension:
  factory:
     module: 'dask_jobqueue'
     class: 'LSFCluster'
     args: []
     kwargs:
       project: your-project-id
"""
    # labextension already pointed at LSFCluster: its lines (quotes, odd indent) are untouched.
    assert result.removed_keys == ["jobqueue.lsf.job-extra", "jobqueue.lsf.header-skip"]
    assert result.backup.read_text() == original
    again = load_profile("lsf", paths=[str(summit.parent)], environ={})
    assert again.renamed == [] and again.profile == after
    assert "[]" not in summit.read_text().split("labextension")[0]


def test_migration_never_writes_an_empty_list(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("jobqueue:\n  slurm:\n    job-extra: ['--old']\n"
                 "    job-extra-directives: ['--new']\n    cores: 2\n")
    loaded = load_profile("slurm", paths=[str(tmp_path)], environ={})
    assert loaded.profile.settings["job-extra-directives"] == ["--new"]
    after = loaded.profile.with_setting("cores", 4)
    write_profile(f, loaded.profile, after, loaded)
    assert f.read_text() == "jobqueue:\n  slurm:\n    job-extra-directives: ['--new']\n    cores: 4\n"


def test_atomic_write_keeps_mode_and_backup(summit):
    os.chmod(summit, 0o640)
    before = summit.read_bytes()
    doc = ConfigDocument.load(summit)
    doc.set("jobqueue.lsf.cores", 64)
    result = doc.save()
    assert stat.S_IMODE(os.stat(summit).st_mode) == 0o640
    assert result.backup == summit.with_name("summit.yaml.bak")
    assert result.backup.read_bytes() == before
    assert not [p for p in summit.parent.iterdir() if p.name.endswith(".tmp")]


def test_refuses_a_file_changed_on_disk(summit):
    loaded = load_profile("lsf", paths=[str(summit.parent)], environ={})
    summit.write_text(summit.read_text() + "# edited in vim meanwhile\n")
    edited = summit.read_text()
    with pytest.raises(ConfigChangedOnDisk, match="changed on disk since hpctui read it"):
        write_profile(summit, loaded.profile, loaded.profile.with_setting("cores", 2), loaded)
    doc = ConfigDocument.load(summit)
    doc.set("jobqueue.lsf.cores", 3)
    summit.write_text(edited + "# again\n")
    with pytest.raises(ConfigChangedOnDisk):
        doc.save()
    assert summit.read_text() == edited + "# again\n"
    assert not summit.with_name("summit.yaml.bak").exists()


def test_malformed_yaml_is_reported_and_the_file_untouched(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("jobqueue:\n  slurm:\n    cores: [4\n    memory: 1GB\n")
    before = f.read_bytes()
    loaded = load_profile("slurm", paths=[str(tmp_path)], environ={})
    with pytest.raises(ConfigSyntaxError) as info:
        write_profile(f, loaded.profile, loaded.profile.with_setting("cores", 2), loaded)
    assert info.value.error.line == 4 and info.value.error.column == 11
    assert str(info.value).startswith(f"{f}:4:11: malformed YAML")
    assert f.read_bytes() == before and not f.with_name("bad.yaml.bak").exists()


def test_new_file_is_created(tmp_path):
    f = tmp_path / "dask" / "hpctui.yaml"
    loaded = load_profile("slurm", paths=[str(f.parent)], environ={})
    after = loaded.profile.with_setting("cores", 4).with_setting("memory", "8GB")
    result = write_profile(f, loaded.profile, after, loaded, labextension=True)
    assert result.backup is None
    assert yaml.safe_load(f.read_text()) == {
        "jobqueue": {"slurm": {"cores": 4, "memory": "8GB"}},
        "labextension": {"factory": labextension_block("slurm")},
    }
    assert labextension_block("slurm") == {"module": "dask_jobqueue", "class": "SLURMCluster",
                                           "args": [], "kwargs": {}}


def test_underscore_spelling_and_flow_style(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("jobqueue:\n  slurm:\n    job_mem: 4G  # site rule\n    cores: 1\n")
    doc = ConfigDocument.load(f)
    doc.set("jobqueue.slurm.job-mem", "8G")
    doc.save()
    assert f.read_text() == "jobqueue:\n  slurm:\n    job_mem: 8G   # site rule\n    cores: 1\n"
    f.write_text("jobqueue: {slurm: {cores: 1}}\n")
    doc = ConfigDocument.load(f)
    doc.set("jobqueue.slurm.cores", 2)
    assert doc.save().reformatted
    assert yaml.safe_load(f.read_text()) == {"jobqueue": {"slurm": {"cores": 2}}}


def test_walltime_is_written_so_that_dask_reads_a_string(tmp_path):
    f = tmp_path / "c.yaml"
    doc = ConfigDocument.load(f)
    doc.set("jobqueue.slurm.walltime", "1:00")  # YAML 1.1 would read plain 1:00 as 60
    doc.save()
    assert yaml.safe_load(f.read_text())["jobqueue"]["slurm"]["walltime"] == "1:00"


def test_shadowed_keys_are_reported(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("jobqueue:\n  slurm:\n    cores: 1\n")
    b.write_text("jobqueue:\n  slurm:\n    cores: 2\n")
    env = {"DASK_JOBQUEUE__SLURM__QUEUE": "debug"}
    loaded = load_profile("slurm", paths=[str(tmp_path)], environ=env)
    after = loaded.profile.with_setting("cores", 8).with_setting("queue", "long").with_setting(
        "walltime", "02:00:00")
    result = write_profile(a, loaded.profile, after, loaded)
    assert result.shadowed == [
        f"jobqueue.slurm.cores: overridden by {b}, read after {a}",
        "jobqueue.slurm.queue: overridden by environment variable DASK_JOBQUEUE__SLURM__QUEUE",
    ]


def test_parse_value_reads_like_dask():
    from hpctui.core.config.profile import parse_value

    assert parse_value("8") == 8 and parse_value("[a, b]") == ["a", "b"]
    assert parse_value("false") is False and parse_value("01:00:00") == "01:00:00"
    assert parse_value("a: [") == "a: ["
