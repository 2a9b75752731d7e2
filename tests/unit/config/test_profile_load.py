"""Loading follows dask's precedence and says, per key, which file or variable set it."""

from __future__ import annotations

import dask.config
import pytest

from hpctui.core.config.load import Source, choose_target, load_profile, search_paths


@pytest.fixture
def dirs(tmp_path):
    system, user, extra = tmp_path / "etc", tmp_path / "home" / ".config" / "dask", tmp_path / "dc"
    for d in (system, user, extra):
        d.mkdir(parents=True)
    (system / "site.yaml").write_text("jobqueue:\n  slurm:\n    cores: 4\n    queue: batch\n"
                                      "    account: sys\n")
    (user / "a.yaml").write_text("jobqueue:\n  slurm:\n    cores: 8\n    memory: 16GB\n")
    (user / "b.yaml").write_text("jobqueue:\n  slurm:\n    memory: 32GB\n")  # later file wins
    (extra / "x.yaml").write_text("jobqueue:\n  slurm:\n    job_mem: 30G\n"
                                  "distributed:\n  worker:\n    use-file-locking: false\n")
    return system, user, extra


def test_precedence_and_provenance(dirs):
    system, user, extra = dirs
    env = {"DASK_JOBQUEUE__SLURM__QUEUE": "debug"}
    lp = load_profile("slurm", paths=[str(system), str(user), str(extra)], environ=env)
    s = lp.profile.settings
    assert (s["cores"], s["memory"], s["queue"], s["account"], s["job-mem"]) == \
        (8, "32GB", "debug", "sys", "30G")
    assert s["walltime"] == "00:30:00"  # dask-jobqueue's default
    assert lp.provenance["cores"] == Source("file", str(user / "a.yaml"))
    assert lp.provenance["memory"] == Source("file", str(user / "b.yaml"))
    assert lp.provenance["queue"] == Source("env", "DASK_JOBQUEUE__SLURM__QUEUE")
    assert lp.provenance["job-mem"] == Source("file", str(extra / "x.yaml"))
    assert lp.provenance["walltime"] == Source("default")
    assert lp.profile.distributed["worker.use-file-locking"] is False
    assert str(lp.provenance["distributed.worker.use-file-locking"]) == str(extra / "x.yaml")
    assert str(lp.provenance["queue"]) == "environment variable DASK_JOBQUEUE__SLURM__QUEUE"


def test_agrees_with_dask_config_collect(dirs):
    paths = [str(d) for d in dirs]
    env = {"DASK_JOBQUEUE__SLURM__WALLTIME": "'01:00:00'"}
    ours = load_profile("slurm", paths=paths, environ=env).profile.settings
    theirs = dask.config.collect(paths=paths, env=env)["jobqueue"]["slurm"]
    for key, value in theirs.items():
        assert ours[key.replace("_", "-")] == value


def test_config_path_is_the_highest_precedence_file(dirs, tmp_path):
    cfg = tmp_path / "mine.yaml"
    cfg.write_text("jobqueue:\n  slurm:\n    cores: 64\n")
    lp = load_profile("slurm", cfg, paths=[str(d) for d in dirs], environ={})
    assert lp.profile.settings["cores"] == 64
    assert lp.provenance["cores"] == Source("file", str(cfg))
    assert search_paths({"HOME": "/h", "DASK_CONFIG": "/d"}, cfg)[-3:] == \
        ["/h/.config/dask", "/d", str(cfg)]


def test_renamed_keys_are_used_when_the_new_one_is_empty(tmp_path):
    (tmp_path / "old.yaml").write_text(
        "jobqueue:\n  slurm:\n    job-extra: ['--exclusive']\n    env-extra: ['module load x']\n"
        "    project: p1\n    header-skip: ['--mem']\n    extra: ['--lifetime', '1h']\n"
        "    worker-extra-args: ['--no-dashboard']\n")
    lp = load_profile("slurm", paths=[str(tmp_path)], environ={})
    s = lp.profile.settings
    assert s["job-extra-directives"] == ["--exclusive"]
    assert s["job-script-prologue"] == ["module load x"]
    assert s["account"] == "p1"
    assert s["job-directives-skip"] == ["--mem"]
    assert s["worker-extra-args"] == ["--no-dashboard"]  # the new key is set: old one ignored
    by_old = {r.old: r for r in lp.renamed}
    assert set(by_old) == {"job-extra", "env-extra", "project", "header-skip", "extra"}
    assert by_old["extra"].used is False
    assert "renamed to job-extra-directives, will be migrated" in by_old["job-extra"].message
    assert "project" not in {r.old for r in load_profile(
        "lsf", paths=[str(tmp_path)], environ={}).renamed}


def test_unknown_keys_are_reported_with_a_did_you_mean(tmp_path):
    (tmp_path / "t.yaml").write_text("jobqueue:\n  slurm:\n    walltme: '01:00:00'\n    cores: 2\n")
    lp = load_profile("slurm", paths=[str(tmp_path)], environ={})
    assert len(lp.unknown_keys) == 1
    assert "jobqueue.slurm.walltme" in lp.unknown_keys[0]
    assert "did you mean 'walltime'" in lp.unknown_keys[0]
    assert str(tmp_path / "t.yaml") in lp.unknown_keys[0]


def test_malformed_file_is_reported_with_line_and_column_and_skipped(tmp_path):
    (tmp_path / "a.yaml").write_text("jobqueue:\n  slurm:\n    cores: 4\n")
    (tmp_path / "b.yaml").write_text("jobqueue:\n  slurm:\n    cores: [8\n    memory: 1GB\n")
    lp = load_profile("slurm", paths=[str(tmp_path)], environ={})
    assert lp.profile.settings["cores"] == 4
    [error] = lp.errors
    assert error.path == str(tmp_path / "b.yaml")
    assert (error.line, error.column) == (4, 11)
    assert error.message.startswith(f"{tmp_path / 'b.yaml'}:4:11: malformed YAML")


def test_target_file_rule(tmp_path):
    home = tmp_path / "home"
    user = home / ".config" / "dask"
    user.mkdir(parents=True)
    env = {"HOME": str(home)}
    t = choose_target("slurm", environ=env)
    assert t.path == user / "hpctui.yaml"
    assert choose_target("slurm", environ={**env, "DASK_CONFIG": str(tmp_path / "dc")}).path == \
        tmp_path / "dc" / "hpctui.yaml"
    (user / "jobqueue.yaml").write_text("# jobqueue:\n#   slurm:\n#     cores: 1\n")
    (user / "site.yaml").write_text("jobqueue:\n  slurm:\n    cores: 1\n")
    (user / "zz.yaml").write_text("jobqueue:\n  pbs:\n    cores: 1\n")
    t = choose_target("slurm", environ=env)
    assert t.path == user / "site.yaml" and "already sets jobqueue.slurm" in t.reason
    assert choose_target("slurm", tmp_path / "x.yaml", environ=env).path == tmp_path / "x.yaml"
