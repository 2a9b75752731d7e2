"""The scheduler in a job on the local backend (job scripts run under bash on this machine):
leave and reattach, two attachers, the idle timeout, SIGHUP, a stale record, and a scheduler
job that cannot start. The same code runs on SLURM in tests/e2e/test_testbed_placement.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from session_events import EventLog

from hpctui.core.diagnosis import Signals, diagnose
from hpctui.core.session import events as ev
from hpctui.core.session import state as st
from hpctui.core.session.attach import cancel_cluster, find_cluster, list_clusters
from hpctui.core.session.cluster import ClusterSession
from hpctui.core.session.placement import session_kwargs

pytestmark = pytest.mark.timeout(240)
CHILD = Path(__file__).parents[2] / "session_child.py"


def alive(pid: str) -> bool:
    try:
        with open(f"/proc/{int(pid)}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def wait_gone(jobs, seconds: float) -> list[str]:
    deadline = time.monotonic() + seconds
    while any(alive(j) for j in jobs) and time.monotonic() < deadline:
        time.sleep(0.2)
    return [j for j in jobs if alive(j)]


def kwargs(tmp_path, idle="5 minutes", **extra):
    kw = dict(cores=1, memory="1GB", processes=1, python=sys.executable,
              log_directory=str(tmp_path / "logs"),
              scheduler_options={"dashboard_address": "127.0.0.1:0"},
              worker_extra_args=["--dashboard-address", "127.0.0.1:0"])
    kw.update(extra)
    return session_kwargs(kw, {"scheduler-placement": "job", "scheduler-idle-timeout": idle})


@pytest.fixture
def sessions(tmp_path):
    made = []

    def make(kw=None, **opts):
        s = ClusterSession("local", kw or kwargs(tmp_path), handle_exits=False,
                           config_path=str(tmp_path / "c.yaml"), **opts)
        log = EventLog()
        s.subscribe(log)
        made.append(s)
        return s, log

    yield make
    for s in made:
        s.close(force=True)
        s.wait_closed(60)
    for _, state, _ in st.all_states():
        if state is not None:
            cancel_cluster(state, force=True)


def started(log) -> ev.ClusterStarted:
    log.wait_for(ev.SessionEvent, lambda e: isinstance(e, (ev.ClusterStarted,
                                                           ev.ClusterStartFailed)), timeout=90)
    assert not log.of(ev.ClusterStartFailed), log.of(ev.ClusterStartFailed)
    return log.of(ev.ClusterStarted)[0]


def test_leave_then_reattach_then_cancel(tmp_path, sessions):
    a, log = sessions()
    a.start()
    a.scale(2)
    first = started(log)
    log.wait_for(ev.WorkerJoined, count=2, timeout=90)
    jobs = [j.job_id for j in a.snapshot().jobs]
    a.close(leave=True)
    assert a.wait_closed(60)
    assert log.events[-1] == log.of(ev.SessionClosed)[0] and log.events[-1].why == "left running"
    assert all(alive(j) for j in jobs)
    state, note = find_cluster("local", tmp_path / "c.yaml")
    assert state is not None and "reattaching" in note and state.attached == ()

    b, blog = sessions(attach=state)
    b.start()
    again = started(blog)
    assert again.attached and again.scheduler_address == first.scheduler_address
    assert len(blog.wait_for(ev.WorkerJoined, count=2, timeout=30)) == 2
    assert {j.job_id for j in b.snapshot().jobs} == set(jobs)
    assert b.workers_wanted == 2
    b.close()
    assert b.wait_closed(60)
    assert wait_gone(jobs, 15) == []
    assert st.all_states() == []


def test_two_attachers_do_not_both_cancel(tmp_path, sessions):
    a, log = sessions()
    a.start()
    a.scale(1)
    started(log)
    log.wait_for(ev.WorkerJoined, timeout=90)
    jobs = [j.job_id for j in a.snapshot().jobs]
    b, blog = sessions(attach=find_cluster("local", tmp_path / "c.yaml")[0])
    b.start()
    started(blog)
    blog.wait_for(ev.WorkerJoined, timeout=30)
    # B quits with "cancel": A is attached, so B leaves the cluster running and says why.
    b.close()
    assert b.wait_closed(60)
    refused = blog.of(ev.SessionFailed)[0].message
    assert "another hpctui" in refused and f"pid {os.getpid()}" in refused
    assert all(alive(j) for j in jobs) and a.snapshot().connected_workers == 1
    with pytest.raises(ValueError, match="is attached to by hpctui"):
        cancel_cluster(st.load(a.cluster_key))
    # A, the last one attached, cancels it.
    a.close()
    assert a.wait_closed(60)
    assert wait_gone(jobs, 15) == []


def test_idle_timeout_ends_a_detached_cluster(tmp_path, sessions):
    idle = 6.0
    s, log = sessions(kwargs(tmp_path, idle=f"{idle}s"))
    s.start()
    s.scale(1)
    started(log)
    log.wait_for(ev.WorkerJoined, timeout=90)
    jobs = [j.job_id for j in s.snapshot().jobs]
    # Attached (hpctui's client counts) and idle for longer than the timeout: still there.
    time.sleep(idle + 3)
    assert all(alive(j) for j in jobs)
    s.close(leave=True)
    assert s.wait_closed(60)
    t = time.monotonic()
    # Nobody attached, nothing running: the scheduler ends itself, and its workers with it.
    assert wait_gone(jobs, idle + 30) == []
    assert time.monotonic() - t < idle + 30
    [status] = list_clusters()
    assert not status.alive and st.all_states() == []  # reported as ended, record removed


def test_a_stale_record_is_reported_and_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    key = st.cluster_key("local", tmp_path / "c.yaml")
    st.save(st.ClusterState(key=key, kind="local", config_path=str(tmp_path / "c.yaml"),
                            scheduler_job_id=dead, scheduler_file=str(tmp_path / "s.json"),
                            preload=str(tmp_path / "p.py"), scheduler_job_name="s",
                            log_directory=None, idle_timeout=60.0, settings={}))
    out = subprocess.run([sys.executable, "-m", "hpctui", "clusters"], capture_output=True,
                         text=True, timeout=60, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.returncode == 0, out.stderr
    assert f"{key}: ended (scheduler job {dead} is gone); its record was removed" in out.stdout
    assert st.load(key) is None
    st.save(st.ClusterState(key=key, kind="local", config_path="", scheduler_job_id=dead,
                            scheduler_file="", preload="", scheduler_job_name="s",
                            log_directory=None, idle_timeout=60.0, settings={}))
    state, note = find_cluster("local", tmp_path / "c.yaml")
    assert state is None and "has ended" in note and st.load(key) is None


def test_sighup_leaves_a_job_cluster_running(tmp_path):
    kw = kwargs(tmp_path)
    proc = subprocess.Popen([sys.executable, str(CHILD), "local", json.dumps(kw), "1", "wait"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])})
    line = proc.stdout.readline().split()
    assert line and line[0] == "JOBS", (line, proc.stderr.read() if proc.poll() else "")
    [state] = [s for _, s, _ in st.all_states()]
    proc.send_signal(signal.SIGHUP)
    proc.wait(30)
    assert proc.returncode == -signal.SIGHUP
    jobs = state.job_ids
    time.sleep(1.0)
    assert all(alive(j) for j in jobs)  # left running: nothing cancelled on the way out
    after = st.load(state.key)
    assert after.attached == ()
    assert cancel_cluster(after).ok
    assert wait_gone(jobs, 15) == []


def test_a_scheduler_job_that_cannot_start_is_a_finding_quoting_its_log(tmp_path, sessions):
    s, log = sessions(kwargs(tmp_path, python="/nonexistent/bin/python"))
    t = time.monotonic()
    s.start()
    s.scale(1)
    failed = log.wait_for(ev.ClusterStartFailed, timeout=60)[0]
    assert time.monotonic() - t < 30  # noticed from the queue, not after a long time-out
    assert "before its scheduler started" in failed.message
    assert "/nonexistent/bin/python" in failed.message  # bash's own line, from the job's log
    findings = diagnose(Signals(errors=(failed.message,), login_python=sys.executable))
    f = next(f for f in findings if f.rule_id == "scheduler-job-failed")
    assert any("No such file or directory" in e.text and e.source.endswith(".err")
               for e in f.evidence)
    assert st.all_states() == []


def test_live_stacks_and_worker_logs_come_through_the_scheduler_job(tmp_path, sessions):
    s, log = sessions()
    s.start()
    s.scale(1)
    started(log)
    joined = log.wait_for(ev.WorkerJoined, timeout=90)[0]
    # The worker's own log records, fetched through hpctui's client on the remote scheduler.
    log.wait_for(ev.WorkerLogLinesAppended, lambda e: e.address == joined.address, timeout=60)
    deadline = time.monotonic() + 60
    while True:  # the client attaches just after the workers are submitted
        live = s.sample_live(seconds=0.5, rate=20.0).result(30)
        if live.workers or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    [w] = live.workers
    assert w.address == joined.address and w.samples


def test_adaptive_with_the_scheduler_in_a_job(tmp_path, sessions):
    """adapt() through a scheduler in another process: the target comes over its comm."""
    from hpctui.core.session.adapt_settings import ADAPT_KWARG, AdaptSettings
    from hpctui.core.session.demo_load import DemoLoadProgressed

    a, log = sessions({**kwargs(tmp_path), ADAPT_KWARG: AdaptSettings(
        0, 2, "jobs", 0.25, 2, 0.5)})
    a.start()
    started(log)
    log.wait_for(ev.ScalingModeChanged, lambda e: e.mode == "adaptive")
    a.start_demo_load(tasks=60, seconds=0.05)
    up = log.wait_for(ev.AdaptDecided, lambda e: e.action == "up", timeout=60)[0]
    assert "the scheduler's load" in up.why  # task counts are only known in this process
    done = log.wait_for(DemoLoadProgressed, lambda e: e.finished or e.error, timeout=120)[0]
    assert done.finished, done
    log.wait_for(ev.AdaptDecided, lambda e: e.action == "down", timeout=60)
