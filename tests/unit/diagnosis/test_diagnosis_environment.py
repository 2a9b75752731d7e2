"""Diagnosis of the workers' software (failure modes 5-7, Summit's jsrun in 23) on the catalogue's texts."""

from __future__ import annotations

from hpctui.core.diagnosis import SET, PatchOp, Signals, Versions, WorkerLog, apply_fix, diagnose
from hpctui.core.network.probe_verdict import REACHABLE, ProbeResult, PythonCheck
from hpctui.core.config.profile import Profile


def log(text: str) -> WorkerLog:
    return WorkerLog("slurm-88.out", tuple(text.splitlines()), job_id="88")


def only(findings, mode):
    hits = [f for f in findings if f.mode == mode]
    assert hits, [f.rule_id for f in findings]
    return hits[0]


def test_no_module_named_distributed_points_python_at_hpctuis_own():
    text = ("Traceback (most recent call last):\n"
            '  File "<frozen runpy>", line 189, in _run_module_as_main\n'
            "ModuleNotFoundError: No module named 'distributed'")
    profile = Profile("slurm", {"python": "python3"})
    f = only(diagnose(Signals(profile=profile, worker_logs=(log(text),),
                              login_python="/home/ana/envs/dask/bin/python")), 5)
    assert f.evidence[0].text == "ModuleNotFoundError: No module named 'distributed'"
    assert f.evidence[0].line == 3
    assert f.fix.ops == (PatchOp(SET, "python", "/home/ana/envs/dask/bin/python"),)


def test_old_style_no_module_named_without_login_python():
    f = only(diagnose(Signals(worker_logs=(log("/usr/bin/python: No module named distributed"),))), 5)
    assert "job-script-prologue" in f.fix.action


def test_probe_python_check_failed():
    check = PythonCheck("python3", False, None, None, "No module named 'dask'", "2026.8.0", "2026.8.0")
    probe = ProbeResult(REACHABLE, "reachable", "slurm", "3", "tcp", "cn01", python=check)
    f = only(diagnose(Signals(probe=probe)), 5)
    assert f.evidence[0].text == "python3: No module named 'dask'"


def test_mismatched_versions_table():
    text = ("distributed.client - WARNING - Mismatched versions found\n\n"
            "+-------------+-----------+-----------+---------+\n"
            "| Package     | Client    | Scheduler | Workers |\n"
            "+-------------+-----------+-----------+---------+\n"
            "| distributed | 2026.8.0  | 2026.8.0  | 2024.1.0|")
    f = only(diagnose(Signals(worker_logs=(log(text),), login_python="/opt/env/bin/python")), 6)
    assert f.evidence[0].text.endswith("Mismatched versions found")
    assert f.fix.ops == (PatchOp(SET, "python", "/opt/env/bin/python"),)


def test_versions_differ_between_login_and_workers():
    login = Versions("login node", "3.11.7", "2026.8.0", "2026.8.0")
    worker = Versions("job 12", "3.9.2", "2023.1.0", "2023.1.0")
    f = only(diagnose(Signals(login_versions=login, worker_versions=(worker,))), 6)
    assert f.evidence[0].source == "job 12"
    assert "distributed 2023.1.0" in f.evidence[0].text
    # Same versions everywhere: nothing to say.
    assert diagnose(Signals(login_versions=login, worker_versions=(login,))) == []


def test_nprocs_and_nworkers_both_given():
    text = "Error: Both --nprocs and --nworkers were specified. Use --nworkers only."
    profile = Profile("slurm", {"worker-extra-args": ["--nprocs", "4", "--lifetime", "50m"]})
    f = only(diagnose(Signals(profile=profile, worker_logs=(log(text),))), 7)
    assert f.evidence[0].text == text
    assert f.fix.ops == (PatchOp(SET, "worker-extra-args", ["--lifetime", "50m"]),)
    assert "dask-jobqueue and distributed" in f.fix.action


def test_no_such_option_nprocs():
    f = only(diagnose(Signals(worker_logs=(log("Error: No such option: --nprocs"),))), 7)
    assert f.fix.ops == ()


def test_nprocs_unknown_to_a_newer_distributed():
    # Captured from distributed 2026.8's dask_worker given `--nprocs 2` (it no longer has it).
    text = ("Error: Got unexpected extra arguments: (2 tcp://127.0.0.1:9). If you intended these "
            "as values for a --preload module, list --preload before them. Otherwise check "
            "spelling -- see '--help' for valid options.")
    profile = Profile("slurm", {"worker-extra-args": ["--nprocs", "2"]})
    f = only(diagnose(Signals(profile=profile, worker_logs=(log(text),))), 7)
    assert f.evidence[0].text == text
    assert f.fix.ops == (PatchOp(SET, "worker-extra-args", []),)
    # Without --nprocs/--nworkers in the profile, the same generic message is not this mode.
    plain = Profile("slurm", {"worker-extra-args": ["--lifetime", "2"]})
    assert [x for x in diagnose(Signals(profile=plain, worker_logs=(log(text),))) if x.mode == 7] == []


def test_summit_python_needs_jsrun():
    profile = Profile("lsf", {"cores": 42, "python": "/ccs/proj/env/bin/python",
                              "job-extra-directives": ["-nnodes 1"]})
    f = only(diagnose(Signals(profile=profile)), 23)
    assert f.rule_id == "summit-jsrun"
    fixed = apply_fix(profile, f.fix)
    assert fixed.get("python") == "jsrun -n 1 -a 1 -c 42 -g 0 /ccs/proj/env/bin/python"
    assert [x for x in diagnose(Signals(profile=fixed)) if x.mode == 23] == []
