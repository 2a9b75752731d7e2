"""Diagnosis of memory and time problems (failure modes 10-13) on the catalogue's texts."""

from __future__ import annotations

from hpctui.core.diagnosis import SET, PatchOp, Signals, WorkerLog, apply_fix, diagnose
from hpctui.core.jobscript.render import render_job_script
from hpctui.core.config.profile import Profile
from hpctui.schedulers.base import JobRow, JobState


def log(text: str) -> WorkerLog:
    return WorkerLog("dask-worker-9.err", tuple(text.splitlines()), job_id="9")


def only(findings, mode):
    hits = [f for f in findings if f.mode == mode]
    assert hits, [f.rule_id for f in findings]
    return hits[0]


def test_lsf_memlimit_with_the_sites_units_known():
    text = "TERM_MEMLIMIT: job killed after reaching LSF memory usage limit.\nExited with exit code 1."
    profile = Profile("lsf", {"cores": 4, "memory": "16GB", "lsf-units": "kb"})
    f = only(diagnose(Signals(profile=profile, worker_logs=(log(text),),
                              lsf_unit_for_limits="MB")), 10)
    assert f.evidence[0].text.startswith("TERM_MEMLIMIT")
    assert any(e.text == "LSF_UNIT_FOR_LIMITS=MB" for e in f.evidence)
    assert f.fix.ops == (PatchOp(SET, "lsf-units", "mb"),)
    assert "#BSUB -M 16000" in render_job_script(apply_fix(profile, f.fix))


def test_lsf_pending_on_memory_without_the_sites_units():
    queue = (JobRow("300", JobState.PENDING, "PEND",
                    "Job requirements for reserving resources (mem) not satisfied"),)
    f = only(diagnose(Signals(profile=Profile("lsf"), queue=queue)), 10)
    assert "LSF_UNIT_FOR_LIMITS" in f.fix.action


def test_oar_memory_not_requested_from_dask_jobqueues_warning():
    warning = ("UserWarning: OAR Job memory reserved resources will not be set according to Dask "
               "Worker memory limit, which can cause crashes.")
    profile = Profile("oar", {"cores": 4, "memory": "8GB"})
    f = only(diagnose(Signals(profile=profile, errors=(warning,))), 11)
    assert f.evidence[0].text == warning
    assert f.fix.ops == (PatchOp(SET, "memory-per-core-property-name", "memcore"),)
    assert "memcore" in render_job_script(apply_fix(profile, f.fix))


def test_sge_memory_not_requested():
    profile = Profile("sge", {"cores": 4, "memory": "20GB"})
    f = only(diagnose(Signals(profile=profile)), 11)
    assert f.fix.ops == (PatchOp(SET, "resource-spec", "h_vmem=19G,mem_req=19G"),)


def test_pbs_asks_19gb_for_20gb():
    profile = Profile("pbs", {"cores": 4, "memory": "20GB"})
    f = only(diagnose(Signals(profile=profile)), 11)
    assert f.rule_id == "pbs-memory-units"
    assert "mem=19GB" in f.evidence[0].text
    assert f.confidence < 0.5  # an explanation, not a fault


def test_out_of_memory_doubles_memory():
    text = ("distributed.nanny.memory - WARNING - Worker tcp://10.0.0.7:40000 (pid=1234) exceeded "
            "95% memory budget. Restarting...\n"
            "distributed.nanny - INFO - Worker process 1234 was killed by signal 9\n"
            "slurmstepd: error: Detected 1 oom-kill event(s) in StepId=51.batch. Some of your "
            "processes may have been killed by the cgroup out-of-memory handler.")
    profile = Profile("slurm", {"cores": 4, "memory": "8GB"})
    f = only(diagnose(Signals(profile=profile, worker_logs=(log(text),))), 12)
    assert len(f.evidence) == 3
    assert f.fix.ops == (PatchOp(SET, "memory", "16GB"),)


def test_out_of_memory_from_the_queue():
    queue = (JobRow("52", JobState.FAILED, "OUT_OF_MEMORY", "OutOfMemory"),)
    f = only(diagnose(Signals(queue=queue)), 12)
    assert f.evidence[0].text == "OUT_OF_MEMORY (OutOfMemory)"


def test_time_limit_adds_lifetime_under_the_walltime():
    text = "slurmstepd: error: *** JOB 4242 ON cn01 CANCELLED AT 2026-11-27T19:00:01 DUE TO TIME LIMIT ***"
    profile = Profile("slurm", {"cores": 1, "memory": "1GB", "walltime": "01:00:00",
                                "worker-extra-args": ["--resources", "GPU=1"]})
    f = only(diagnose(Signals(profile=profile, worker_logs=(log(text),))), 13)
    assert "DUE TO TIME LIMIT" in f.evidence[0].text
    assert f.fix.ops == (PatchOp(SET, "worker-extra-args",
                                 ["--resources", "GPU=1", "--lifetime", "54m",
                                  "--lifetime-stagger", "4m"]),)
    script = render_job_script(apply_fix(profile, f.fix))
    assert "--lifetime 54m --lifetime-stagger 4m" in script


def test_a_short_walltime_gets_a_lifetime_that_ends_before_it():
    text = "slurmstepd: error: *** JOB 4243 ON cn01 CANCELLED AT 2026-11-27T19:00:01 DUE TO TIME LIMIT ***"
    for walltime, lifetime, stagger in (("00:01:00", "45s", "4s"), ("00:04:00", "3m", "18s"),
                                        ("00:20:00", "15m", "90s")):
        profile = Profile("slurm", {"cores": 1, "memory": "1GB", "walltime": walltime})
        f = only(diagnose(Signals(profile=profile, worker_logs=(log(text),))), 13)
        assert f.fix.ops == (PatchOp(SET, "worker-extra-args",
                                     ["--lifetime", lifetime, "--lifetime-stagger", stagger]),), walltime


def test_timeout_state_in_the_queue_without_walltime_known():
    queue = (JobRow("60", JobState.FAILED, "TIMEOUT", "TimeLimit"),)
    f = only(diagnose(Signals(queue=queue)), 13)
    assert f.evidence[0].text == "TIMEOUT (TimeLimit)"
    assert "--lifetime" in f.fix.action
