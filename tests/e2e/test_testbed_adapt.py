"""Adaptive scaling on the SLURM testbed: dask-jobqueue's adapt() driven by the demo workload,
and failure mode 18 from a real run (tests/fixtures/adapt/submit-cancel-loop.yaml: processes 2
with an odd maximum counted in workers and wait-count 1, see its comment) fixed by its finding.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from session_events import EventLog
from waits import wait_until

from hpctui.core.config.profile import Profile
from hpctui.core.diagnosis.collector import SignalCollector
from hpctui.core.diagnosis.engine import diagnose
from hpctui.core.diagnosis.fix import fix_edit
from hpctui.core.session.cluster import ClusterSession
from hpctui.core.session.demo_load import DemoLoadProgressed
from hpctui.core.session.events import (AdaptDecided, ClusterStarted, JobsCancelled,
                                        JobSubmitted, SessionClosed, WorkerJoined)

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(400)]

FIXTURE = Path(__file__).parents[1] / "fixtures" / "adapt" / "submit-cancel-loop.yaml"


@pytest.fixture
def name(batch_slurm):
    n = batch_slurm.name("adapt")
    yield n
    batch_slurm.cancel_name(n)  # whatever a failed assertion left must not hold the node


@pytest.fixture
def batch_slurm(testbed):
    from batch_systems import BatchSystem

    return BatchSystem(testbed)


def slurm_profile(batch, tmp_path, name, adapt, **settings) -> Profile:
    kw = {"cores": 1, "memory": "1GB", "processes": 1, "queue": batch.queue,
          "walltime": "00:10:00", "name": name, "log-directory": str(tmp_path / "logs"),
          "python": sys.executable, "interface": "ib0",
          "scheduler-options": {"dashboard_address": "127.0.0.1:0"},
          "worker-extra-args": ["--dashboard-address", "127.0.0.1:0"], "adapt": adapt}
    kw.update(settings)
    return Profile("slurm", kw)


def run_demo(batch, profile: Profile, name: str, tasks: int):
    s = ClusterSession("slurm", profile.session_kwargs(), handle_exits=False,
                       poller_options={"timeout": 10.0})
    log, collector = EventLog(), SignalCollector()
    s.subscribe(log)
    s.subscribe(collector.on_event)
    try:
        s.start()
        log.wait_for(ClusterStarted, timeout=60)
        s.start_demo_load(tasks=tasks, seconds=0.05)
        done = log.wait_for(DemoLoadProgressed, lambda e: e.finished or e.error, timeout=240)[0]
        assert done.finished, done
        wait_until(lambda: not [j for j in s.snapshot().jobs
                                if j.phase.value not in ("ended", "ending")],
                   "adapt releasing every job once idle", timeout=120)
    finally:
        s.close()
        assert s.wait_closed(90)
    log.wait_for(SessionClosed)
    assert batch.wait_queue_empty(name, 30) == [], "jobs left in SLURM's queue"
    return collector, log


def test_adaptive_0_4_on_slurm_rises_finishes_and_falls_back(batch_slurm, tmp_path, name):
    adapt = {"minimum": 0, "maximum": 4, "unit": "jobs", "interval": "250ms",
             "wait-count": 2, "target-duration": "0.5s"}
    _, log = run_demo(batch_slurm, slurm_profile(batch_slurm, tmp_path, name, adapt), name, 200)
    ups = [e for e in log.of(AdaptDecided) if e.action == "up"]
    downs = [e for e in log.of(AdaptDecided) if e.action == "down"]
    assert ups and downs
    submitted = {e.job_id for e in log.of(JobSubmitted)}
    assert 2 <= len(submitted) and all(j.isdigit() for j in submitted)
    assert log.of(WorkerJoined)
    assert submitted <= {j for e in log.of(JobsCancelled) for j in e.job_ids}


def test_submit_cancel_loop_on_slurm_and_its_fix(batch_slurm, tmp_path, name):
    loop = yaml.safe_load(FIXTURE.read_text())["jobqueue"]["local"]
    profile = slurm_profile(batch_slurm, tmp_path, name, loop["adapt"], cores=2,
                            processes=2, memory="2GB")
    collector, log = run_demo(batch_slurm, profile, name, 150)
    signals = collector.signals(profile)
    assert len(signals.cancelled_unstarted) >= 3, log.of(JobsCancelled)
    [finding] = [f for f in diagnose(signals) if f.mode == 18]
    assert "cancelled before a worker connected in" in finding.evidence[0].text
    edit = fix_edit(profile, finding.fix)
    assert edit.ok and edit.profile.get("adapt")["unit"] == "jobs"
    fixed, _ = run_demo(batch_slurm, edit.profile, name, 150)
    assert not [f for f in diagnose(fixed.signals(edit.profile)) if f.mode == 18]


def test_a_job_killed_at_its_walltime_is_replaced_on_slurm(batch_slurm, tmp_path, name):
    """A real walltime death: the job asks for one minute (SLURM's smallest limit) and SLURM
    kills it at its limit (the testbed's KillWait is 5 s). Adapt, at its minimum of 1 job,
    replaces it, and the replacement says why: the queue's own word for the ending."""
    from hpctui.core.session.events import JobReplacing, JobStateChanged

    adapt = {"minimum": 1, "maximum": 1, "unit": "jobs", "interval": "250ms"}
    profile = slurm_profile(batch_slurm, tmp_path, name, adapt, walltime="00:01:00")
    s = ClusterSession("slurm", profile.session_kwargs(), handle_exits=False,
                       poller_options={"timeout": 10.0})
    log = EventLog()
    s.subscribe(log)
    try:
        s.start()
        first = log.wait_for(JobSubmitted, timeout=60)[0]
        log.wait_for(WorkerJoined, lambda e: e.job_id == first.job_id, timeout=120)
        # SLURM looks at time limits every 30 s: the kill comes 60 to about 100 s in.
        replacing = log.wait_for(JobReplacing, timeout=240)[0]
        assert replacing.job_id == first.job_id
        ended = log.wait_for(JobStateChanged, lambda e: e.job_id == first.job_id
                             and e.new == "ended", timeout=60)[0]
        assert ended.queue_state == "FAILED", ended  # squeue's TIMEOUT
        assert "TIMEOUT" in replacing.why or "TimeLimit" in replacing.why, replacing
        second = log.wait_for(JobSubmitted, count=2, timeout=60)[1]
        assert log.events.index(replacing) < log.events.index(second)
        log.wait_for(WorkerJoined, lambda e: e.job_id == second.job_id, timeout=120)
    finally:
        s.close()
        assert s.wait_closed(90)
    assert batch_slurm.wait_queue_empty(name, 30) == []
