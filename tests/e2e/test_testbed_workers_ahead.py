"""`scheduler-placement: job` on the SLURM testbed: the worker jobs go into the queue together
with the scheduler job, pointed at its scheduler file (hpctui/core/session/workers_ahead.py),
and a worker that gives up waiting for a scheduler job that starts late is submitted again."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest
from session_events import EventLog

from hpctui.core.diagnosis.collector import SignalCollector
from hpctui.core.diagnosis.engine import diagnose
from hpctui.core.session import events as ev
from hpctui.core.session.cluster import ClusterSession
from hpctui.core.session.placement import session_kwargs
from hpctui.core.session.workers_ahead import GAVE_UP

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(300)]


def submitted_script(job_id: str) -> str:
    return subprocess.run(["scontrol", "write", "batch_script", job_id, "-"],
                          capture_output=True, text=True, timeout=20, check=True).stdout


def queued(*names: str) -> list[str]:
    ids = []
    for name in names:
        ids += subprocess.run(["squeue", "--noheader", f"--name={name}", "--format=%i"],
                              capture_output=True, text=True, timeout=20,
                              check=True).stdout.split()
    return ids


def queue_empties(names, among=None, seconds: float = 30.0) -> list[str]:
    """The jobs (of `among`, when given) still queued once the queue has none of them, or
    `seconds` passed: an ended job stays listed while SLURM completes it."""
    def left():
        return [i for i in queued(*names) if among is None or i in among]

    deadline = time.monotonic() + seconds
    ids = left()
    while ids and time.monotonic() < deadline:
        time.sleep(0.2)
        ids = left()
    return ids


@pytest.fixture
def ahead_session(testbed, tmp_path):
    """make(**extra) -> (session, events, job names); everything cancelled afterwards."""
    made = []

    def make(**extra):
        name = f"tb-ahead-{uuid.uuid4().hex[:8]}"
        kw = dict(cores=1, memory="1GB", processes=1, queue=testbed.partition,
                  walltime="00:10:00", job_name=name, log_directory=str(tmp_path / "logs"),
                  python=sys.executable, interface="ib0",
                  scheduler_options={"dashboard_address": ":0"},
                  worker_extra_args=["--dashboard-address", ":0"])
        kw.update(extra)
        kw = session_kwargs(kw, {"scheduler-placement": "job"})
        s = ClusterSession("slurm", kw, handle_exits=False, config_path=str(tmp_path / "c.yaml"),
                           state_dir=str(tmp_path / "state"))
        log = EventLog()
        s.subscribe(log)
        names = (name, f"{name}-scheduler")
        made.append((s, names))
        return s, log, names

    yield make
    for s, names in made:
        s.close(force=True)
        s.wait_closed(90)
        for job_name in names:
            subprocess.run(["scancel", f"--name={job_name}"], capture_output=True, timeout=20)


def test_the_workers_are_submitted_with_the_scheduler_job(testbed, ahead_session):
    from distributed import Client

    s, log, names = ahead_session()
    s.scale(2)
    s.start()
    started = log.wait_for(ev.ClusterStarted, timeout=120)[0]
    joined = log.wait_for(ev.WorkerJoined, count=2, timeout=150)
    events = list(log.events)
    workers = [e for e in events if isinstance(e, ev.JobSubmitted) and e.role != "scheduler"]
    [sched] = [e for e in events if isinstance(e, ev.JobSubmitted) and e.role == "scheduler"]
    # Both worker jobs were in the queue before the scheduler answered, right after its job.
    assert len(workers) == 2
    assert all(events.index(w) < events.index(started) for w in workers)
    assert events.index(sched) < events.index(workers[0])
    assert {w.job_id for w in joined} == {w.job_id for w in workers}
    for w in workers:
        script = submitted_script(w.job_id)
        # dask-jobqueue's own script, with the scheduler file where the address goes.
        assert f"distributed.cli.dask_worker --scheduler-file {started.scheduler_file} " \
               f"--name {w.spec_name}" in script, script
    # A worker asked for once the scheduler runs is told its address, as with `login`.
    s.scale(3)
    [third] = log.wait_for(ev.JobSubmitted, lambda e: e.role != "scheduler", count=3,
                           timeout=60)[2:]
    log.wait_for(ev.WorkerJoined, count=3, timeout=150)
    script = submitted_script(third.job_id)
    assert f"distributed.cli.dask_worker {started.scheduler_address} --name" in script, script
    with Client(scheduler_file=started.scheduler_file, timeout=30) as client:
        assert client.submit(lambda x: x * 2, 21).result(timeout=60) == 42
    assert not [e for e in log.events if isinstance(e, ev.JobReplacing)]
    s.close()
    assert s.wait_closed(90)
    assert queue_empties(names) == []


def test_a_worker_that_gave_up_waiting_for_a_late_scheduler_is_submitted_again(
        testbed, ahead_session, tmp_path):
    """The scheduler job runs, but its scheduler starts only when the test says so (a prologue
    line waiting for a file, in the scheduler's job only); the workers' death-timeout is 3 s.
    The workers give up; hpctui says so and, once the scheduler runs, submits them again with
    its address, and they connect."""
    release = tmp_path / "release-the-scheduler"
    wait_line = (f'case "$SLURM_JOB_NAME" in *-scheduler) until [ -e {release} ]; '
                 "do sleep 0.1; done ;; esac")
    s, log, names = ahead_session(death_timeout=3, job_script_prologue=[wait_line])
    collector = SignalCollector()
    s.subscribe(collector.on_event)
    s.scale(2)
    s.start()
    first = log.wait_for(ev.JobSubmitted, lambda e: e.role != "scheduler", count=2, timeout=60)
    first_ids = {e.job_id for e in first}
    # The workers run and wait; nothing calls them silent while there is no scheduler yet.
    log.wait_for(ev.JobStateChanged, lambda e: e.job_id in first_ids
                 and e.queue_state == "RUNNING", count=2, timeout=120)
    assert collector.signals(quiet_after=0.0).quiet_jobs == ()
    assert not collector.has_job_without_worker()
    replaced = log.wait_for(ev.JobReplacing, lambda e: e.by == "placement", count=2,
                            timeout=120)
    assert {e.job_id for e in replaced} == first_ids
    gave_up = [e for e in log.events if isinstance(e, ev.LogLinesAppended)
               and e.job_id in first_ids and any(m in line for line in e.lines for m in GAVE_UP)]
    assert gave_up
    assert not [e for e in log.events if isinstance(e, ev.ClusterStarted)]
    release.touch()
    started = log.wait_for(ev.ClusterStarted, timeout=120)[0]
    again = log.wait_for(ev.JobSubmitted, lambda e: e.role != "scheduler"
                         and e.job_id not in first_ids, count=2, timeout=60)
    joined = log.wait_for(ev.WorkerJoined, count=2, timeout=150)
    assert {w.job_id for w in joined} == {e.job_id for e in again}
    for e in again:
        assert f"distributed.cli.dask_worker {started.scheduler_address} --name" \
               in submitted_script(e.job_id)
    snap = s.snapshot()
    assert (snap.expected_workers, snap.connected_workers) == (2, 2)
    # The jobs that gave up are gone from the queue and from the cluster's record.
    assert queue_empties(names, among=first_ids) == []
    assert not {w.job_id for w in s.state.workers} & first_ids
    # What diagnosis says now names no failure: the cluster works.
    findings = diagnose(collector.signals(quiet_after=0.0))
    assert [f.title for f in findings] == []
    s.close()
    assert s.wait_closed(90)
    assert queue_empties(names) == []
