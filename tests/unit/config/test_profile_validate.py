"""Validation: every message names the key and the value."""

from __future__ import annotations

import pytest

from hpctui.core.config.load import load_profile
from hpctui.core.config.validate import host_interfaces, validate


def _profile(kind="slurm", **settings):
    p = load_profile(kind, paths=[], environ={}).profile
    for key, value in settings.items():
        p = p.with_setting(key.replace("_", "-"), value)
    return p


def _messages(profile, interfaces=("lo", "eth0")):
    return [p.message for p in validate(profile, interfaces=list(interfaces))]


def test_a_good_profile_has_no_problems():
    assert validate(_profile(cores=8, memory="16GB", processes=2), interfaces=["lo"]) == []


def test_missing_cores_uses_dask_jobqueues_own_message():
    [problem] = validate(_profile(memory="16GB"), interfaces=["lo"])
    assert problem.key == "cores"
    assert problem.message.startswith(
        "You must specify how much cores and memory per job you want to use")
    assert "SLURMCluster(cores=8, memory='16GB')" in problem.message


def test_unparsable_memory():
    [m] = _messages(_profile(cores=8, memory="12 GiGs"))
    assert m.startswith("memory: '12 GiGs' is not a size")


@pytest.mark.parametrize("key,value,text", [
    ("cores", -1, "cores: -1 must be a positive number"),
    ("processes", 0, "processes: 0 must be a positive number"),
    ("death_timeout", -5, "death-timeout: -5 must not be negative"),
    ("cores", "eight", "cores: 'eight' must be a whole number"),
])
def test_bad_numbers(key, value, text):
    settings = {"cores": 8, "memory": "8GB", key: value}
    assert text in _messages(_profile(**settings))


def test_cores_not_divisible_by_processes():
    [m] = _messages(_profile(cores=10, memory="8GB", processes=3))
    assert m.startswith("processes: 3 does not divide cores: 10")


@pytest.mark.parametrize("kind,good,bad", [
    ("slurm", ["30", "30:00", "01:00:00", "2-00", "2-12:30", "1-00:00:00"], ["1h", "1:2:3:4", "x"]),
    ("pbs", ["01:00:00", "3600", "30:00"], ["1-00:00", "1h"]),
    ("lsf", ["00:30", "30"], ["00:30:00", "1h"]),
    ("sge", ["01:00:00", "3600"], ["01:00", "1h"]),
    ("oar", ["1", "1:30", "01:30:00"], ["1h"]),
])
def test_walltime_formats_per_kind(kind, good, bad):
    extra = {"disk": "1GB"} if kind == "htcondor" else {}
    for value in good:
        assert not [m for m in _messages(_profile(kind, cores=2, memory="4GB", walltime=value,
                                                  **extra)) if "walltime" in m], value
    for value in bad:
        msgs = _messages(_profile(kind, cores=2, memory="4GB", walltime=value))
        assert any(m.startswith(f"walltime: {value!r} is not a walltime {kind} understands")
                   for m in msgs), (value, msgs)


def test_interface_not_on_this_host_lists_the_ones_that_are():
    [m] = _messages(_profile(cores=2, memory="4GB", interface="ib0"), ["lo", "eth0"])
    assert m == "interface: 'ib0' is not a network interface on this host; this host has: lo, eth0"
    # With the scheduler's own interface set, a worker-only interface is just a warning.
    p = _profile(cores=2, memory="4GB", interface="ib0", scheduler_options={"interface": "eth0"})
    [problem] = validate(p, interfaces=["lo", "eth0"])
    assert problem.severity == "warning" and problem.key == "interface"


def test_real_interfaces_are_listed():
    names = host_interfaces()
    assert "lo" in names


def test_unknown_key_has_a_did_you_mean():
    from hpctui.core.config.profile import Profile

    p = Profile("slurm", {"cores": 2, "memory": "4GB", "walltme": "1"})
    [m] = [x.message for x in validate(p, interfaces=["lo"])]
    assert "walltme" in m and "did you mean 'walltime'" in m


def test_htcondor_skip_must_name_a_submit_key():
    p = _profile("htcondor", cores=2, memory="4GB", disk="1GB", job_directives_skip=["Foo"])
    [m] = _messages(p)
    assert m.startswith("job-directives-skip: 'Foo' is not a submit key")


def test_distributed_values():
    p = _profile(cores=2, memory="4GB").with_setting(
        "distributed.worker.multiprocessing-method", "threads").with_setting(
        "distributed.comm.timeouts.connect", "soon")
    msgs = _messages(p)
    assert "distributed.worker.multiprocessing-method: 'threads' must be spawn, fork or forkserver" in msgs
    assert any(m.startswith("distributed.comm.timeouts.connect: 'soon' is not a duration") for m in msgs)
