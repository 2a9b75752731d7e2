"""Diagnosis of start-up and lifetime problems (failure modes 14-18) on the catalogue's texts, the
queue, and the stack sampler's recorded worker held on its workspace lock."""

from __future__ import annotations

from pathlib import Path

from hpctui.core.stacks import hangsites
from hpctui.core.diagnosis import SET, PatchOp, Signals, StackReport, WorkerEvent, WorkerLog, \
    apply_fix, diagnose
from hpctui.core.jobscript.render import render_job_script
from hpctui.core.config.profile import Profile
from hpctui.core.stacks.samples import read_sample_file, summarize
from hpctui.schedulers.base import JobRow, JobState

STACKS = Path(__file__).parents[2] / "fixtures" / "stacks"


def log(text: str) -> WorkerLog:
    return WorkerLog("dask-worker-5.err", tuple(text.splitlines()), job_id="5")


def only(findings, mode):
    hits = [f for f in findings if f.mode == mode]
    assert hits, [f.rule_id for f in findings]
    return hits[0]


def stack_reports(name: str) -> tuple[StackReport, ...]:
    summary = summarize(read_sample_file(STACKS / name))
    return tuple(StackReport(f"job 5 ({name})", f) for f in hangsites.diagnose(summary))


def test_slow_scratch_directories():
    text = ("distributed.utils_perf - WARNING - Creating scratch directories is taking a surprisingly "
            "long time. (3.41s) This is often due to running workers on a network file system. "
            "Consider specifying a local-directory to point workers to write scratch data to a "
            "local disk.")
    profile = Profile("slurm", {"cores": 1, "memory": "1GB", "local-directory": "/home/ana/dask"})
    f = only(diagnose(Signals(profile=profile, worker_logs=(log(text),))), 14)
    assert "surprisingly long time" in f.evidence[0].text
    assert f.fix.ops == (PatchOp(SET, "local-directory", "$TMPDIR"),)
    assert "--local-directory $TMPDIR" in render_job_script(apply_fix(profile, f.fix))


def test_recorded_worker_held_on_its_workspace_lock():
    reports = stack_reports("lock-worker.stacks")
    assert reports, "the sampler fixture should show the lock"
    profile = Profile("slurm", {"job-script-prologue": ["module load python"]})
    f = only(diagnose(Signals(profile=profile, stacks=reports)), 15)
    assert f.rule_id == "nfs-file-locks"
    assert "locket" in f.evidence[0].text and f.evidence[0].source.startswith("stack job 5")
    assert f.fix.ops == (
        PatchOp(SET, "distributed.worker.use-file-locking", False),
        PatchOp(SET, "job-script-prologue",
                ["module load python", "export DASK_DISTRIBUTED__WORKER__USE_FILE_LOCKING=False"]),
    )
    assert apply_fix(profile, f.fix).get("distributed.worker.use-file-locking") is False


def test_healthy_recorded_worker_gives_no_findings():
    assert diagnose(Signals(stacks=stack_reports("healthy-worker.stacks"))) == []


def test_no_locks_available_in_the_log():
    text = ("distributed.diskutils - ERROR - Could not acquire workspace lock on path: "
            "/home/ana/dask-scratch-space/worker-x.dirlock. Continuing without lock.\n"
            "OSError: [Errno 37] No locks available")
    f = only(diagnose(Signals(worker_logs=(log(text),))), 15)
    assert len(f.evidence) == 2
    assert f.fix.ops[0] == PatchOp(SET, "distributed.worker.use-file-locking", False)


def test_scheduler_gone():
    text = ("distributed.worker - INFO - Stopping worker at tcp://10.0.0.4:4000. Reason: "
            "worker-handle-scheduler-connection-broken\n"
            "distributed.nanny - INFO - Closing Nanny at 'tcp://10.0.0.4:4001'. Reason: nanny-close")
    events = (WorkerEvent("left", "SLURMCluster-3", "worker-heartbeat-missing"),)
    f = only(diagnose(Signals(worker_logs=(log(text),), worker_events=events)), 16)
    assert "connection-broken" in f.evidence[0].text
    assert f.evidence[-1].text == "left: worker-heartbeat-missing"
    assert "tmux" in f.fix.action


def test_jobs_pending_on_a_drained_partition_moves_the_queue():
    queue = (JobRow("70", JobState.PENDING, "PENDING", "ReqNodeNotAvail, UnavailableNodes:cn01"),)
    profile = Profile("slurm", {"queue": "debug"})
    f = only(diagnose(Signals(profile=profile, queue=queue, workers_connected=0,
                              partitions=("debug*", "long"))), 17)
    assert f.rule_id == "jobs-pending"
    assert f.evidence[0].text == "PENDING ReqNodeNotAvail, UnavailableNodes:cn01"
    assert f.fix.ops == (PatchOp(SET, "queue", "long"),)


def test_jobs_pending_for_priority_is_explained_not_patched():
    queue = (JobRow("71", JobState.PENDING, "PD", "Priority"),)
    f = only(diagnose(Signals(queue=queue, workers_connected=0)), 17)
    assert "(Priority)" in f.title and f.fix.ops == () and "wait" in f.fix.action
    # Once workers are connected, pending jobs are nothing to diagnose.
    assert diagnose(Signals(queue=queue, workers_connected=2)) == []


def test_worker_start_timeout_raises_death_timeout():
    text = ("distributed.nanny - INFO - Closing Nanny at 'tcp://10.0.0.4:4001'. Reason: "
            "failure-to-start-<class 'asyncio.exceptions.TimeoutError'>")
    f = only(diagnose(Signals(profile=Profile("slurm", {"death-timeout": 60}),
                              worker_logs=(log(text),))), 17)
    assert f.rule_id == "worker-start-timeout"
    assert f.fix.ops == (PatchOp(SET, "death-timeout", 120),)


def test_submit_cancel_loop_with_processes():
    signals = Signals(profile=Profile("slurm", {"processes": 4}), jobs_submitted=24,
                      jobs_cancelled_unstarted=20, adaptive=True)
    f = only(diagnose(signals), 18)
    assert f.evidence[0].text == "24 jobs submitted, 20 cancelled before a worker connected"
    assert f.confidence >= 0.8
    assert "minimum_jobs" in f.fix.action
    assert [x for x in diagnose(Signals(jobs_submitted=3, jobs_cancelled_unstarted=1))
            if x.mode == 18] == []
