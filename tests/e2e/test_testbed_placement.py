"""`scheduler-placement: job` on the SLURM testbed: the scheduler runs in a SLURM job on cn01,
hpctui reaches it from the login side over ib0, workers submitted through dask-jobqueue's own
Job classes connect to it, and a Client made from the scheduler file runs a task."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest
from session_events import EventLog

from hpctui.core.diagnosis.collector import SignalCollector
from hpctui.core.session import events as ev
from hpctui.core.session.cluster import ClusterSession
from hpctui.core.session.placement import session_kwargs

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(300)]


def queued(*names: str) -> list[str]:
    out = subprocess.run(["squeue", "--noheader", f"--name={','.join(names)}", "--format=%i"],
                         capture_output=True, text=True, timeout=20, check=True)
    return out.stdout.split()


def wait_queue_empty(names, seconds: float = 15.0) -> list[str]:
    deadline = time.monotonic() + seconds
    ids = queued(*names)
    while ids and time.monotonic() < deadline:
        time.sleep(0.5)
        ids = queued(*names)
    return ids


@pytest.fixture
def job_session(testbed, tmp_path):
    """make(**extra) -> (session, events, job names); everything cancelled afterwards."""
    made = []

    def make(idle="10 minutes", settings=None, **extra):
        name = f"tb-place-{uuid.uuid4().hex[:8]}"
        kw = dict(cores=1, memory="1GB", processes=1, queue=testbed.partition,
                  walltime="00:10:00", job_name=name, log_directory=str(tmp_path / "logs"),
                  python=sys.executable, interface="ib0",
                  scheduler_options={"dashboard_address": ":0"},
                  worker_extra_args=["--dashboard-address", ":0"])
        kw.update(extra)
        kw = session_kwargs(kw, {"scheduler-placement": "job", "scheduler-idle-timeout": idle,
                                 **(settings or {})})
        s = ClusterSession("slurm", kw, handle_exits=False, config_path=str(tmp_path / "c.yaml"))
        log = EventLog()
        s.subscribe(log)
        names = (name, f"{name}-scheduler")
        made.append((s, names))
        return s, log, names

    yield make
    for s, names in made:
        s.close(force=True)
        s.wait_closed(90)
        for job_name in names:  # one name a call: `scancel --name=a,b` cancels nothing
            subprocess.run(["scancel", f"--name={job_name}"], capture_output=True, timeout=20)


def test_scheduler_in_a_job_workers_connect_and_a_task_runs(testbed, job_session):
    from distributed import Client

    s, log, names = job_session()
    s.start()
    s.scale(2)
    started = log.wait_for(ev.ClusterStarted, timeout=120)[0]
    assert started.placement == "job" and started.scheduler_job_id
    # The scheduler listens on the compute node, where the workers can reach it.
    assert started.scheduler_address.startswith(f"tcp://{testbed.compute_ib0}:")
    assert started.dashboard_link.startswith(f"http://{testbed.compute_ib0}:")
    joined = log.wait_for(ev.WorkerJoined, count=2, timeout=150)
    assert {w.host for w in joined} == {testbed.compute_ib0}
    snap = s.snapshot()
    [sched] = [j for j in snap.jobs if j.role == "scheduler"]
    assert sched.job_id == started.scheduler_job_id and sched.phase.value == "connected"
    assert (snap.expected_workers, snap.connected_workers) == (2, 2)
    assert set(queued(*names)) == {j.job_id for j in snap.jobs}
    # Its log is followed like a worker's: the scheduler's own lines, from the node.
    log.wait_for(ev.LogLinesAppended, lambda e: e.job_id == started.scheduler_job_id
                 and any("Scheduler at:" in line for line in e.lines), timeout=60)
    # The queue's RUNNING reaches diagnosis even for jobs whose worker joined first, and the
    # scheduler's job is never counted among the worker jobs ("No workers yet: N job(s)
    # still pending" once showed with 2/2 connected).
    workers = {j.job_id for j in snap.jobs if j.role != "scheduler"}
    log.wait_for(ev.JobStateChanged, lambda e: e.job_id in workers and e.queue_state == "RUNNING",
                 count=2, timeout=60)
    collector = SignalCollector()
    for event in list(log.events):
        collector.on_event(event)
    signals = collector.signals()
    assert signals.scheduler_jobs == (started.scheduler_job_id,)
    assert {r.job_id: r.state.value for r in signals.worker_queue} == dict.fromkeys(workers,
                                                                                  "RUNNING")
    assert [j.job_id for j in snap.scheduler_jobs] == [started.scheduler_job_id]
    # The hand-off: a Client made from the scheduler file alone.
    with Client(scheduler_file=started.scheduler_file, timeout=30) as client:
        assert client.submit(lambda x: x + 1, 10).result(timeout=60) == 11
    s.close()
    assert s.wait_closed(90)
    assert wait_queue_empty(names) == []


def test_apply_of_a_worker_setting_keeps_the_scheduler(testbed, job_session):
    s, log, names = job_session()
    s.start()
    s.scale(1)
    started = log.wait_for(ev.ClusterStarted, timeout=120)[0]
    first = log.wait_for(ev.WorkerJoined, timeout=150)[0]
    kw = dict(s.cluster_kwargs, cores=2, memory="2GB")
    s.apply("slurm", session_kwargs(kw, {"scheduler-placement": "job",
                                         "scheduler-idle-timeout": "10 minutes"}))
    again = log.wait_for(ev.ClusterStarted, lambda e: e.generation == 2, timeout=120)[0]
    assert again.scheduler_job_id == started.scheduler_job_id
    assert again.scheduler_address == started.scheduler_address
    new = log.wait_for(ev.WorkerJoined, lambda e: e.job_id not in (None, first.job_id),
                       timeout=150)[0]
    assert new.threads == 2
    assert first.job_id not in queued(*names)
    assert started.scheduler_job_id in queued(*names)


def test_tls_with_the_scheduler_in_a_job(testbed, job_session, tmp_path):
    from distributed import Client
    from distributed.security import Security

    tls = tmp_path / "logs" / ".hpctui-tls"
    s, log, names = job_session(security=True, shared_temp_directory=str(tls))
    s.start()
    s.scale(1)
    log.wait_for(ev.SessionEvent, lambda e: isinstance(e, (ev.ClusterStarted,
                                                             ev.ClusterStartFailed)), timeout=120)
    assert not log.of(ev.ClusterStartFailed), log.of(ev.ClusterStartFailed)
    started = log.wait_for(ev.ClusterStarted, timeout=1)[0]
    assert started.scheduler_address.startswith("tls://") and started.tls_directory == str(tls)
    log.wait_for(ev.WorkerJoined, timeout=150)
    assert oct(tls.stat().st_mode & 0o777) == "0o700"
    security = Security(tls_ca_file=str(tls / "cert.pem"), tls_client_cert=str(tls / "cert.pem"),
                        tls_client_key=str(tls / "key.pem"), require_encryption=True)
    with Client(scheduler_file=started.scheduler_file, security=security, timeout=30) as client:
        assert client.submit(lambda: 42).result(timeout=60) == 42


def test_a_detached_cluster_with_no_client_ends_itself_after_its_idle_timeout(testbed,
                                                                              job_session):
    from hpctui.core.batch.poller import PollPolicy

    idle = 10.0
    s, log, names = job_session(idle=f"{idle:g}s")
    s.start()
    s.scale(1)
    log.wait_for(ev.ClusterStarted, timeout=120)
    log.wait_for(ev.WorkerJoined, timeout=150)
    assert len(queued(*names)) == 2
    s.close(leave=True)
    assert s.wait_closed(60)
    left = time.monotonic()
    assert len(queued(*names)) == 2  # left running
    # Nobody attached, nothing computing: gone within the timeout and one queue poll (the
    # poller's quick interval), give or take SLURM's own seconds to end a job on a busy machine.
    budget = idle + PollPolicy().fast + 8.0
    remaining = wait_queue_empty(names, budget + 30)
    took = time.monotonic() - left
    print(f"idle timeout {idle:g} s: jobs gone {took:.1f} s after detaching")
    assert remaining == [] and took <= budget, f"jobs {remaining} after {took:.1f} s"
