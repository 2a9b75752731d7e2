"""Profile: the key lists match dask-jobqueue's schema, settings change immutably, and
cluster_kwargs are the names dask-jobqueue's classes take."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import yaml

from hpctui.core.batch.kinds import KIND_NAMES
from hpctui.core.config.profile import (
    DISTRIBUTED_KEYS, HPCTUI_KEYS, HPCTUI_ONLY_KEYS, KEYS_BY_KIND, RENAMED_KEYS, Profile, kwarg_name,
    renamed_keys_for,
)


def _jobqueue_yaml() -> dict:
    import importlib.util

    spec = importlib.util.find_spec("dask_jobqueue")
    return yaml.safe_load((Path(spec.origin).parent / "jobqueue.yaml").read_text())["jobqueue"]


@pytest.mark.parametrize("kind", [k for k in KIND_NAMES])
def test_keys_are_dask_jobqueues_current_names(kind):
    schema = set(_jobqueue_yaml()[kind])
    old = {o for o, n in RENAMED_KEYS.items() if n in schema and o != n}
    expected = schema - old
    if kind == "local":
        expected |= {"shebang"}  # hpctui's BashLocalJob reads it; dask-jobqueue's yaml lacks it
    # hpctui's own keys (dask-jobqueue ignores them in config; see profile.HPCTUI_KEYS).
    expected |= set(HPCTUI_KEYS)
    assert set(KEYS_BY_KIND[kind]) == expected


def test_project_is_renamed_only_where_account_is_the_key():
    assert renamed_keys_for("slurm")["project"] == "account"
    assert "project" not in renamed_keys_for("lsf")  # LSF's -P is still `project`
    assert renamed_keys_for("lsf")["header-skip"] == "job-directives-skip"


def test_with_setting_returns_a_new_profile_and_stores_new_names():
    p = Profile("slurm", {"cores": 4})
    q = p.with_setting("job_extra", ["--exclusive"]).with_setting("jobqueue.slurm.memory", "8GB")
    assert p.settings == {"cores": 4}
    assert q.settings == {"cores": 4, "job-extra-directives": ["--exclusive"], "memory": "8GB"}


def test_unknown_key_says_did_you_mean():
    with pytest.raises(ValueError, match=r"jobqueue.slurm.walltme: unknown key .*did you mean 'walltime'"):
        Profile("slurm").with_setting("walltme", "01:00:00")


def test_distributed_keys_are_limited_to_the_ones_hpctui_changes():
    p = Profile("pbs").with_setting("distributed.worker.use-file-locking", False)
    assert p.distributed == {"worker.use-file-locking": False}
    assert p.dask_config() == {"distributed.worker.use-file-locking": False}
    with pytest.raises(ValueError, match="distributed.scheduler.foo"):
        p.with_setting("distributed.scheduler.foo", 1)
    assert set(DISTRIBUTED_KEYS) == {"worker.use-file-locking", "worker.multiprocessing-method",
                                     "comm.timeouts.connect", "dashboard.link"}


def test_cluster_kwargs_use_the_class_argument_names():
    p = Profile("slurm", {"name": "w", "cores": 2, "memory": "4GB", "job-mem": "5G",
                          "walltime": None, "scheduler-options": {"interface": "ib0"},
                          "shared-temp-directory": "~/tmp"})
    kwargs = p.cluster_kwargs()
    assert kwargs == {"job_name": "w", "cores": 2, "memory": "4GB", "job_mem": "5G",
                      "scheduler_options": {"interface": "ib0"}, "shared_temp_directory": "~/tmp"}
    assert kwarg_name("death-timeout") == "death_timeout"


@pytest.mark.parametrize("kind", ["slurm", "pbs", "sge", "lsf", "oar", "htcondor", "moab"])
def test_every_job_kwarg_is_accepted_by_the_kinds_classes(kind):
    from hpctui.core.batch.kinds import cluster_class

    job_cls = cluster_class(kind).job_cls
    accepted = set()
    for cls in job_cls.__mro__:
        if "__init__" in cls.__dict__:
            accepted |= set(inspect.signature(cls.__init__).parameters)
    cluster_level = {"scheduler-options", "shared-temp-directory"}
    cluster_level |= set(HPCTUI_ONLY_KEYS)  # hpctui reads them; no dask-jobqueue class does
    for key in KEYS_BY_KIND[kind]:
        if key not in cluster_level:
            assert kwarg_name(key) in accepted, (kind, key)


def test_with_kind_drops_keys_the_other_kind_lacks():
    p = Profile("slurm", {"cores": 2, "job-mem": "4G"})
    assert p.with_kind("pbs").settings == {"cores": 2}
    with pytest.raises(ValueError, match="unknown batch system"):
        Profile("nosuch")


def test_placement_keys_never_reach_dask_jobqueue():
    p = Profile("slurm", {"cores": 1, "memory": "1GB", "scheduler-placement": "job",
                          "scheduler-idle-timeout": "10 minutes"})
    assert p.placement == "job"
    for kwargs in (p.job_kwargs(), p.cluster_kwargs()):
        assert not {"scheduler_placement", "scheduler_idle_timeout"} & set(kwargs)
    # The session gets them under names of its own, only when the scheduler goes in a job.
    assert p.session_kwargs()["hpctui_placement"] == "job"
    assert p.session_kwargs()["hpctui_idle_timeout"] == 600
    login = Profile("slurm", {"cores": 1, "memory": "1GB"})
    assert login.placement == "login" and login.session_kwargs() == login.cluster_kwargs()
