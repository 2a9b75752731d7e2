"""ClusterSession on the local backend: real bash-run jobs running real Dask workers."""

from __future__ import annotations

import os
import stat
import sys
import threading
import time

import pytest
from session_events import EventLog
from waits import WAIT_S, wait_until

from hpctui.core.session.events import (ClusterStarted, ClusterStartFailed, JobsCancelled,
                                JobStateChanged, JobSubmitted, LogLinesAppended, QueueError,
                                SessionClosed, SubmitFailed, WorkerJoined, WorkerLeft,
                                WorkerLogLinesAppended)
from hpctui.core.batch.localjob import cancel_local_job
from hpctui.core.session.cluster import ClusterSession

pytestmark = pytest.mark.timeout(180)


def local_kwargs(tmp_path, **extra):
    kw = dict(cores=1, memory="1GiB", processes=1, python=sys.executable,
              log_directory=str(tmp_path / "logs"), job_name="hpctui-test",
              scheduler_options={"dashboard_address": "127.0.0.1:0", "host": "127.0.0.1"},
              worker_extra_args=["--dashboard-address", "127.0.0.1:0"])
    kw.update(extra)
    return kw


def alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purpose
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


@pytest.fixture
def session_factory():
    made = []

    def make(kind, kwargs, **opts):
        s = ClusterSession(kind, kwargs, handle_exits=False, **opts)
        log = EventLog()
        s.subscribe(log)
        made.append(s)
        return s, log

    yield make
    for s in made:
        s.close()
        assert s.wait_closed(60), "session did not close"


def test_scale_0_2_0_with_workers_tied_to_jobs_and_logs(tmp_path, session_factory):
    s, log = session_factory("local", local_kwargs(tmp_path))
    t = time.perf_counter()
    s.start()
    s.scale(2)
    # The caller's thread never waits on the cluster (which takes seconds to start).
    assert time.perf_counter() - t < 0.5
    started = log.wait_for(ClusterStarted)[0]
    assert started.scheduler_address.startswith("tcp://127.0.0.1:")
    assert started.dashboard_link.startswith("http://127.0.0.1:")
    submitted = log.wait_for(JobSubmitted, count=2)
    ids = {e.job_id for e in submitted}
    joined = log.wait_for(WorkerJoined, count=2, timeout=90)
    assert {w.job_id for w in joined} == ids
    assert {w.name for w in joined} == {n for e in submitted for n in e.worker_names}
    for w in joined:
        assert w.threads == 1 and w.memory == 2**30 and w.host == "127.0.0.1"
        assert w.submit_to_join is not None and 0 < w.submit_to_join < 90
    log.wait_for(JobStateChanged, lambda e: e.new == "connected", count=2)
    snap = s.snapshot()
    assert (snap.expected_workers, snap.connected_workers) == (2, 2)
    # the worker's own log file, followed from the moment the job was submitted
    log.wait_for(LogLinesAppended, lambda e: e.stream == "stderr"
                 and any("Start worker at" in ln for ln in e.lines), count=2)

    s.scale(0)
    left = log.wait_for(WorkerLeft, count=2)
    assert {e.job_id for e in left} == ids
    assert all(e.reason for e in left)
    cancelled = log.wait_for(JobsCancelled, count=2)
    assert {j for e in cancelled for j in e.job_ids} == ids
    wait_until(lambda: not any(alive(j) for j in ids), "the jobs' processes gone")
    assert s.snapshot().connected_workers == 0


def test_apply_changed_profile_cancels_old_jobs_and_scales_back(tmp_path, session_factory):
    s, log = session_factory("local", local_kwargs(tmp_path), poll_queue=False)
    s.start()
    s.scale(1)
    first = log.wait_for(WorkerJoined, timeout=90)[0]
    assert first.threads == 1
    old_job = first.job_id

    t = time.perf_counter()
    s.apply("local", local_kwargs(tmp_path, cores=2, memory="2GiB", job_name="hpctui-applied"))
    assert time.perf_counter() - t < 0.5  # queued: a new cluster takes seconds
    log.wait_for(ClusterStarted, lambda e: e.generation == 2, timeout=60)
    assert old_job in {j for e in log.of(JobsCancelled) for j in e.job_ids}
    new_sub = log.wait_for(JobSubmitted, lambda e: e.job_name == "hpctui-applied")[0]
    joined = log.wait_for(WorkerJoined, lambda e: e.job_id == new_sub.job_id, timeout=90)[0]
    assert (joined.threads, joined.memory) == (2, 2 * 2**30)
    wait_until(lambda: not alive(old_job), "the old job's process gone")
    assert s.workers_wanted == 1
    assert [j.job_id for j in s.snapshot().jobs] == [new_sub.job_id]


def fake_submitter(tmp_path, body: str):
    """A `sbatch` earlier on PATH than the real one, doing what `body` says."""
    d = tmp_path / "bin"
    d.mkdir(exist_ok=True)
    p = d / "sbatch"
    p.write_text("#!/bin/sh\n" + body + "\n")
    p.chmod(p.stat().st_mode | stat.S_IXUSR)
    return d


def slurm_kwargs(tmp_path, **extra):
    kw = dict(cores=1, memory="1GiB", processes=1, queue="nosuchpartition", walltime="00:05:00",
              scheduler_options={"dashboard_address": "127.0.0.1:0", "host": "127.0.0.1"},
              worker_extra_args=["--dashboard-address", "127.0.0.1:0"])
    kw.update(extra)
    return kw


def test_submit_failure_arrives_with_its_fields(tmp_path, monkeypatch, session_factory):
    d = fake_submitter(tmp_path, "echo 'some stdout'\n"
                       "echo 'sbatch: error: invalid partition specified: nosuchpartition' >&2\n"
                       "echo 'sbatch: error: Batch job submission failed: Invalid partition name specified' >&2\n"
                       "exit 1")
    monkeypatch.setenv("PATH", f"{d}{os.pathsep}{os.environ['PATH']}")
    s, log = session_factory("slurm", slurm_kwargs(tmp_path), poll_queue=False, follow_logs=False)
    s.start()
    s.scale(2)
    failures = log.wait_for(SubmitFailed, count=2)
    err = failures[0].error
    assert err.exit_code == 1
    assert err.command.startswith("sbatch /") and err.command.endswith(".sh")
    assert err.stdout == "some stdout\n"
    assert err.stderr.splitlines()[0] == "sbatch: error: invalid partition specified: nosuchpartition"
    assert not err.id_not_parsed
    assert log.of(JobSubmitted) == []
    # nothing counted as running or expected
    assert s.snapshot().expected_workers == 0


def test_unparseable_submit_output_is_flagged(tmp_path, monkeypatch, session_factory):
    d = fake_submitter(tmp_path, "echo 'Submitted, but I will not say which job'")
    monkeypatch.setenv("PATH", f"{d}{os.pathsep}{os.environ['PATH']}")
    s, log = session_factory("slurm", slurm_kwargs(tmp_path), poll_queue=False, follow_logs=False)
    s.start()
    s.scale(1)
    err = log.wait_for(SubmitFailed)[0].error
    assert err.id_not_parsed
    assert err.stdout == "Submitted, but I will not say which job\n"
    assert err.command == "sbatch"


def test_a_slow_or_broken_subscriber_blocks_nobody(tmp_path, session_factory):
    s, log = session_factory("local", local_kwargs(tmp_path), poll_queue=False)
    release = threading.Event()
    slow_got = []

    def slow(event):
        slow_got.append(event)
        release.wait(120)

    def broken(event):
        raise RuntimeError("subscriber bug")

    s.subscribe(slow)
    s.subscribe(broken)
    s.start()
    s.scale(1)
    # the healthy subscriber sees the worker join although `slow` is stuck on its first event
    log.wait_for(WorkerJoined, timeout=90)
    assert len(slow_got) == 1
    # and the session's loop still answers (scale down goes through)
    s.scale(0)
    log.wait_for(WorkerLeft)
    release.set()
    wait_until(lambda: any(isinstance(e, WorkerLeft) for e in slow_got),
               "the slow subscriber to catch up")


def test_close_cancels_every_job_and_is_the_last_event(tmp_path):
    s = ClusterSession("local", local_kwargs(tmp_path), handle_exits=False, poll_queue=False)
    log = EventLog()
    s.subscribe(log)
    s.start()
    s.scale(2)
    ids = {e.job_id for e in log.wait_for(JobSubmitted, count=2)}
    t = time.perf_counter()
    s.close()
    assert time.perf_counter() - t < 0.5  # queued: closing takes seconds
    assert s.wait_closed(60)
    log.wait_for(SessionClosed)  # events reach subscribers on their own threads
    assert isinstance(log.events[-1], SessionClosed)
    try:
        wait_until(lambda: not any(alive(j) for j in ids), "the jobs' processes gone")
    finally:
        for j in [j for j in ids if alive(j)]:
            cancel_local_job(j)  # not left running when the test fails


def test_bad_arguments_name_the_value():
    with pytest.raises(ValueError, match="unknown batch system 'slurmm'"):
        ClusterSession("slurmm", {}, handle_exits=False)
    s = ClusterSession("local", {}, handle_exits=False)
    with pytest.raises(ValueError, match="n must be a non-negative integer, got -1"):
        s.scale(-1)
    s.close()
    assert s.wait_closed(5)


def test_job_running_without_worker_becomes_started_not_connected(tmp_path, session_factory):
    # A job whose "python" only sleeps: it runs, and no worker ever comes.
    s, log = session_factory("local", local_kwargs(tmp_path, python="sleep 600; true"),
                             not_connected_after=1.5, follow_logs=False)
    s.start()
    s.scale(1)
    job = log.wait_for(JobSubmitted)[0].job_id
    log.wait_for(JobStateChanged, lambda e: e.job_id == job and e.new == "starting")
    changed = log.wait_for(JobStateChanged, lambda e: e.new == "started, not connected",
                           timeout=WAIT_S)[0]
    assert changed.job_id == job and changed.queue_state == "RUNNING"
    assert s.snapshot().job(job).phase.value == "started, not connected"


def test_processes_gives_each_job_several_named_workers(tmp_path, session_factory):
    s, log = session_factory("local", local_kwargs(tmp_path, cores=2, processes=2),
                             poll_queue=False, follow_logs=False)
    s.start()
    s.scale(2)  # two workers: one job of two processes
    sub = log.wait_for(JobSubmitted)[0]
    assert len(sub.worker_names) == 2 and sub.worker_names[0].endswith("-0")
    joined = log.wait_for(WorkerJoined, count=2, timeout=90)
    assert {w.name for w in joined} == set(sub.worker_names)
    assert {w.job_id for w in joined} == {sub.job_id}
    assert len(log.of(JobSubmitted)) == 1


def test_cluster_that_cannot_start_is_an_event_naming_the_keyword(tmp_path, session_factory):
    s, log = session_factory("local", local_kwargs(tmp_path, no_such_setting=1), poll_queue=False)
    s.start()
    failed = log.wait_for(ClusterStartFailed)[0]
    assert "no_such_setting" in failed.message
    s.scale(1)  # nothing to scale: no crash, no job
    s.close()
    assert s.wait_closed(WAIT_S)
    assert log.of(JobSubmitted) == []


def test_many_scale_requests_collapse_to_the_last(tmp_path, session_factory):
    s, log = session_factory("local", local_kwargs(tmp_path, python="sleep 600; true"),
                             poll_queue=False, follow_logs=False)
    s.start()
    for n in (5, 4, 3, 2, 1):
        s.scale(n)
    log.wait_for(JobSubmitted)
    # Closing runs after every operation queued before it: nothing can be submitted after.
    s.close()
    log.wait_for(SessionClosed, timeout=WAIT_S)
    assert len(log.of(JobSubmitted)) == 1


def test_hung_queue_command_is_an_event_and_the_session_goes_on(tmp_path, monkeypatch,
                                                                 session_factory):
    d = fake_submitter(tmp_path, "echo 'Submitted batch job 4242'")
    for prog, body in (("squeue", "sleep 30"), ("scancel", "exit 0")):
        (d / prog).write_text(f"#!/bin/sh\n{body}\n")
        (d / prog).chmod(0o755)
    monkeypatch.setenv("PATH", f"{d}{os.pathsep}{os.environ['PATH']}")
    s, log = session_factory("slurm", slurm_kwargs(tmp_path), follow_logs=False,
                             poller_options={"timeout": 0.5})
    s.start()
    s.scale(1)
    assert log.wait_for(JobSubmitted)[0].job_id == "4242"
    err = log.wait_for(QueueError, timeout=WAIT_S)[0]
    assert err.message == "squeue timed out after 0.5 s"
    s.scale(0)  # the loop still answers while squeue hangs
    log.wait_for(JobsCancelled, lambda e: e.job_ids == ("4242",), timeout=WAIT_S)


def test_in_memory_logs_of_connected_workers(tmp_path, session_factory):
    s, log = session_factory("local", local_kwargs(tmp_path), poll_queue=False,
                             follow_logs=False, worker_logs_every=0.5)
    s.start()
    s.scale(1)
    joined = log.wait_for(WorkerJoined, timeout=90)[0]
    got = log.wait_for(WorkerLogLinesAppended, timeout=WAIT_S)[0]
    assert (got.name, got.address, got.job_id) == (joined.name, joined.address, joined.job_id)
    assert any("Registered to:" in ln for ln in got.lines)
    # A later round, with a new record in it, brings only that, not the same ones again.
    from distributed import Client

    with Client(log.of(ClusterStarted)[0].scheduler_address, timeout=WAIT_S) as client:
        client.run(os.getpid, workers=[joined.address])  # logs "Run out-of-band function"
    log.wait_for(WorkerLogLinesAppended, lambda e: any("out-of-band" in ln for ln in e.lines),
                 timeout=WAIT_S)
    lines = [ln for e in log.of(WorkerLogLinesAppended) for ln in e.lines]
    assert sum("Start worker at:" in ln for ln in lines) == 1


def test_apply_before_start_just_changes_the_settings(tmp_path, session_factory):
    s, log = session_factory("slurm", slurm_kwargs(tmp_path), poll_queue=False, follow_logs=False)
    s.apply("local", local_kwargs(tmp_path, python="sleep 600; true", job_name="hpctui-pre"))
    s.start()
    s.scale(1)
    assert log.wait_for(ClusterStarted)[0].kind == "local"
    assert log.wait_for(JobSubmitted)[0].job_name == "hpctui-pre"
