"""The state file of a cluster whose scheduler runs in a job: keyed by kind and config file,
written atomically under a lock, attachers recorded, unreadable files reported."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hpctui.core.session import state as st


def make(tmp_path, key="slurm-x", **kw) -> st.ClusterState:
    base = dict(key=key, kind="slurm", config_path=str(tmp_path / "c.yaml"),
                scheduler_job_id="17", scheduler_file=str(tmp_path / "s.json"),
                preload=str(tmp_path / "p.py"), scheduler_job_name="w-scheduler",
                log_directory=str(tmp_path), idle_timeout=60.0, settings={"cores": 1})
    base.update(kw)
    return st.ClusterState(**base)


def test_key_is_kind_and_config_file(tmp_path):
    a = st.cluster_key("slurm", tmp_path / "a.yaml")
    assert a == st.cluster_key("slurm", str(tmp_path / "." / "a.yaml"))
    assert a != st.cluster_key("pbs", tmp_path / "a.yaml")
    assert a != st.cluster_key("slurm", tmp_path / "b.yaml")
    assert a.startswith("slurm-")


def test_save_load_and_workers(tmp_path):
    s = make(tmp_path, workers=(st.WorkerJob("18", "SLURMCluster-0", "w"),))
    st.save(s, tmp_path)
    assert st.load("slurm-x", tmp_path) == s
    assert s.job_ids == ("17", "18")
    assert oct(st.path_for("slurm-x", tmp_path).stat().st_mode & 0o777) == "0o600"
    st.remove("slurm-x", tmp_path)
    assert st.load("slurm-x", tmp_path) is None


def test_attach_and_detach_me(tmp_path):
    st.save(make(tmp_path), tmp_path)
    s = st.attach_me("slurm-x", "me", tmp_path)
    assert [a.pid for a in s.attached] == [os.getpid()] and s.others_attached("me") == ()
    # Another session of this same process is another attacher.
    s = st.attach_me("slurm-x", "other", tmp_path)
    assert [a.token for a in s.others_attached("me")] == ["other"]
    assert [a.token for a in st.detach_me("slurm-x", "other", tmp_path).attached] == ["me"]
    assert st.detach_me("slurm-x", "me", tmp_path).attached == ()


def test_other_attachers_alive_or_dead(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        s = make(tmp_path, attached=(st.Attacher(int(dead), os.uname().nodename, 0.0),
                                     st.Attacher(other.pid, os.uname().nodename, 0.0)))
        assert [a.pid for a in s.others_attached()] == [other.pid]
        st.save(s, tmp_path)
        # Attaching drops the dead one.
        assert {a.pid for a in st.attach_me("slurm-x", "me", tmp_path).attached} == {
            other.pid, os.getpid()}
    finally:
        other.kill()
        other.wait()


def test_unreadable_state_is_reported_not_acted_on(tmp_path):
    st.clusters_dir(tmp_path).mkdir(parents=True)
    st.path_for("bad", tmp_path).write_text("{not json")
    st.save(make(tmp_path), tmp_path)
    found = st.all_states(tmp_path)
    assert [(p.stem, s is not None, bool(why)) for p, s, why in found] == [
        ("bad", False, True), ("slurm-x", True, False)]
    with pytest.raises(ValueError, match="not a cluster state hpctui can read"):
        st.load("bad", tmp_path)
