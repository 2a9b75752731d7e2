"""Probe job scripts from the profile, and whole probe runs on the local backend (real processes)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest
from needs import need

from hpctui.core.batch.kinds import cluster_class
from hpctui.core.network.probe_job import ProbeJobError, build_probe_job
from hpctui.core.network.probe_run import listen_addresses, run_probe
from hpctui.core.network.probe_verdict import LOCKED_DOWN, NO_REPORT, REACHABLE, SUBMIT_FAILED
from hpctui.core.network.facts import login_interfaces

PROFILE = dict(cores=2, memory="2GB", python="/sw/py/bin/python", queue="debug",
               job_script_prologue=["module load dask", "export OMP_NUM_THREADS=1"],
               scheduler_options={"interface": "ib0"}, walltime="00:10:00")


@pytest.mark.parametrize("kind", ["slurm", "pbs", "sge", "lsf", "oar", "moab"])
def test_probe_script_is_the_worker_script_with_the_command_swapped(kind, tmp_path):
    kwargs = dict(PROFILE, log_directory=str(tmp_path))
    probe = build_probe_job(kind, kwargs, ["/shared/netprobe.py", "ib0=10.0.0.1:4000"])
    # The worker script dask-jobqueue itself would submit for the same profile and job name.
    cluster_kwargs = {k: v for k, v in kwargs.items() if k != "scheduler_options"}
    worker = cluster_class(kind).job_cls("tcp://x:1", name="hpctui-probe", job_name="hpctui-probe",
                                         **cluster_kwargs).job_script()
    worker_lines, probe_lines = worker.splitlines(), probe.script.splitlines()
    assert probe_lines[:-1] == worker_lines[:-1]  # same shebang, header, prologue
    assert worker_lines[-1].startswith("/sw/py/bin/python -m distributed.cli.dask_worker")
    assert probe_lines[-1] == "/sw/py/bin/python /shared/netprobe.py ib0=10.0.0.1:4000"
    assert probe.probe_command == probe_lines[-1]


def test_htcondor_keeps_prologue_inside_its_arguments():
    # HTCondor has no queue or walltime keys.
    kwargs = {k: v for k, v in PROFILE.items() if k not in ("queue", "walltime")}
    probe = build_probe_job("htcondor", dict(kwargs, disk="1GB"), ["/s/netprobe.py", "a=1.2.3.4:5"])
    (args_line,) = [l for l in probe.script.splitlines() if l.startswith("Arguments")]
    assert args_line == ("Arguments = \"-c 'module load dask; export OMP_NUM_THREADS=1; "
                         "/sw/py/bin/python /s/netprobe.py a=1.2.3.4:5'\"")


def test_python_wrapper_is_kept():
    probe = build_probe_job("lsf", dict(PROFILE, python="jsrun -n 1 python"), ["/s/p.py"])
    assert probe.script.splitlines()[-1] == "jsrun -n 1 python /s/p.py"


def test_missing_memory_is_a_clear_error():
    with pytest.raises(ProbeJobError, match="cannot build the slurm probe job script.*memory"):
        build_probe_job("slurm", {"cores": 1}, ["/s/p.py"])
    with pytest.raises(ValueError, match="unknown batch system 'slurmm'"):
        build_probe_job("slurmm", PROFILE, ["/s/p.py"])


def test_listen_addresses_skip_loopback_down_and_no_ipv4():
    names = [n for n, _ in listen_addresses(login_interfaces())]
    assert "lo" not in names
    for name, addr in listen_addresses(login_interfaces()):
        assert not addr.startswith("127.")


def _local(tmp_path, **extra):
    return {"cores": 1, "memory": "1GB", "python": sys.executable,
            "log_directory": str(tmp_path / "logs"), **extra}


def test_local_probe_reaches_this_machine(tmp_path):
    seen = []
    result = run_probe("local", _local(tmp_path), shared_dir=str(tmp_path / "shared"),
                       addresses=[("lo", "127.0.0.1")], on_listening=seen.append,
                       report_timeout=60)
    assert result.verdict == REACHABLE, result.message
    assert result.channel == "tcp"
    (target,) = result.targets
    assert (target.login_interface, target.address, target.status) == ("lo", "127.0.0.1", "ok")
    assert target.port == seen[0][0].port
    assert result.seen_from == {"lo": "127.0.0.1"}
    assert result.recommendation.settings_patch() == {"interface": "lo"}
    assert result.python.ok and result.python.versions_match
    assert result.hostname == socket.gethostname()
    # The job's shell marks `started` (probe_phases.py), then runs the probe's python.
    mark, command = result.job_script.splitlines()[-1].split("; ", 1)
    assert result.job_id and mark.startswith("echo started >> ")
    assert command.startswith(sys.executable + " ")
    assert result.timings["submit_to_verdict_s"] < 30
    # The probe script and report file are removed afterwards.
    assert list((tmp_path / "shared").iterdir()) == []


def _netns_wrapper() -> str | None:
    """`unshare -rn`: runs the probe in a network namespace of its own, with no usable network."""
    try:
        ok = subprocess.run(["unshare", "-rn", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return "unshare -rn" if ok else None


def test_local_probe_locked_down_comes_through_the_file(tmp_path):
    # A "compute node" that cannot reach the login node at all: the probe's python runs in an empty
    # network namespace (a python wrapper, as sites use `jsrun ... python`). Only the shared
    # file system connects the two, so the verdict must come through the file.
    wrapper = _netns_wrapper()
    need(wrapper is not None, "unshare -rn is not permitted here")
    result = run_probe("local", _local(tmp_path, python=f"{wrapper} {sys.executable}"),
                       shared_dir=str(tmp_path / "shared"), addresses=[("lo", "127.0.0.1")],
                       report_timeout=60)
    assert result.verdict == LOCKED_DOWN, result.message
    assert result.channel == "file"
    (target,) = result.targets
    assert target.status == "unreachable" and "Network is unreachable" in target.error
    assert result.seen_from == {}
    assert "locked down" in result.message
    assert result.interactive_command == "(none needed: jobs already run on this machine)"
    assert result.python is not None and result.python.ok


def test_probe_whose_python_does_not_exist_ends_without_report_quickly(tmp_path):
    t0 = time.monotonic()
    result = run_probe("local", _local(tmp_path, python="/nonexistent/bin/python3"),
                       shared_dir=str(tmp_path / "shared"), addresses=[("lo", "127.0.0.1")],
                       report_timeout=120)
    # The job watcher sees the job gone: no waiting for the whole report timeout.
    assert time.monotonic() - t0 < 30
    assert result.verdict == NO_REPORT
    assert f"The probe job {result.job_id} ended" in result.message
    assert "/nonexistent/bin/python3" in result.message
    # The job's own stderr says why, quoted in the message.
    assert "No such file or directory" in result.message


def test_probe_that_never_reports_times_out(tmp_path):
    # A python that sleeps instead of probing: the job runs on, and the wait is bounded.
    result = run_probe("local", _local(tmp_path, python="sleep 30; true"),
                       shared_dir=str(tmp_path / "shared"), addresses=[("lo", "127.0.0.1")],
                       report_timeout=5)
    assert result.verdict == NO_REPORT
    assert f"The probe job {result.job_id} sent no report within 5 s" in result.message
    assert "still RUNNING" in result.message


def test_rejected_submission_is_reported(tmp_path):
    result = run_probe("slurm", {"cores": 1}, shared_dir=str(tmp_path), addresses=[])
    assert result.verdict == SUBMIT_FAILED and "memory" in result.message


def test_slow_dask_import_gives_the_verdict_first_then_the_python_check(tmp_path):
    # A dask and distributed that take 2 s to import (a conda environment on NFS, in miniature),
    # put first on the job's PYTHONPATH by the prologue, as a site would with `module load`.
    slow = tmp_path / "slow-site"
    for mod in ("dask", "distributed"):
        (slow / mod).mkdir(parents=True)
        (slow / mod / "__init__.py").write_text("import time\ntime.sleep(2)\n__version__ = '0.0.slow'\n")
    verdicts = []
    result = run_probe("local", _local(tmp_path, job_script_prologue=[f"export PYTHONPATH={slow}"]),
                       shared_dir=str(tmp_path / "shared"), addresses=[("lo", "127.0.0.1")],
                       report_timeout=60, on_verdict=verdicts.append)
    (early,) = verdicts
    assert early.verdict == REACHABLE and early.python is None
    assert result.verdict == REACHABLE
    assert result.python.ok and result.python.dask == "0.0.slow" and not result.python.versions_match
    t = result.timings
    assert t["submit_to_python_check_s"] - t["submit_to_verdict_s"] > 1.0


def test_unwritable_shared_directory_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run_probe("local", _local(tmp_path), shared_dir=str(blocker / "sub"), addresses=[])
    assert result.verdict == SUBMIT_FAILED
    assert f"cannot write the probe script into the shared directory {blocker / 'sub'}" in result.message
