"""Adaptive scaling on the local backend: dask-jobqueue's own adapt, reported as events.

Short adaptive interval and target-duration keep each test well under a minute.
"""

from __future__ import annotations

import os
import signal

import pytest
from session_events import EventLog
from test_session_local import local_kwargs
from waits import wait_until

from hpctui.core.session.adapt_settings import ADAPT_KWARG, AdaptSettings
from hpctui.core.session.cluster import ClusterSession
from hpctui.core.session.demo_load import DemoLoadProgressed
from hpctui.core.session.events import (AdaptDecided, AdaptTargetChanged, ClusterStarted,
                                        JobReplacing, JobsCancelled, JobSubmitted,
                                        ScalingModeChanged, SessionClosed, WorkerJoined)

pytestmark = pytest.mark.timeout(240)

FAST = AdaptSettings(minimum=0, maximum=4, unit="jobs", interval=0.25, wait_count=2,
                     target_duration=0.5)


@pytest.fixture
def adaptive_session(tmp_path):
    made = []

    def make(settings=FAST, **extra):
        kwargs = local_kwargs(tmp_path, **extra)
        if settings is not None:
            kwargs[ADAPT_KWARG] = settings
        s = ClusterSession("local", kwargs, handle_exits=False)
        log = EventLog()
        s.subscribe(log)
        made.append(s)
        s.start()
        log.wait_for(ClusterStarted)
        return s, log

    yield make
    for s in made:
        s.close()
        assert s.wait_closed(60), "session did not close"


def _live_jobs(s: ClusterSession) -> int:
    return sum(1 for j in s.snapshot().jobs if j.phase.value not in ("ended", "ending"))


def test_adaptive_0_4_demo_load_rises_finishes_and_falls_back(adaptive_session):
    s, log = adaptive_session()
    mode = log.wait_for(ScalingModeChanged)[0]
    assert (mode.mode, mode.minimum, mode.maximum, mode.unit) == ("adaptive", 0, 4, "jobs")
    assert not log.of(JobSubmitted)  # idle, minimum 0: nothing submitted
    load = s.start_demo_load(tasks=200, seconds=0.05)
    up = log.wait_for(AdaptDecided, lambda e: e.action == "up")[0]
    assert up.target >= 1 and "task(s) waiting or running" in up.why
    log.wait_for(JobSubmitted, count=2, timeout=90)
    log.wait_for(WorkerJoined, timeout=90)
    done = log.wait_for(DemoLoadProgressed, lambda e: e.finished or e.error, timeout=120)[0]
    assert done.finished and done.done == 200, done
    assert load.finished.is_set() or load.finished.wait(10)
    down = log.wait_for(AdaptDecided, lambda e: e.action == "down", timeout=60)[0]
    assert down.workers and "wait-count" in down.why
    wait_until(lambda: _live_jobs(s) == 0, "jobs back to the minimum (0)",
               explain=lambda: str(s.snapshot().jobs))
    submitted = {e.job_id for e in log.of(JobSubmitted)}
    wait_until(lambda: submitted <= {j for e in log.of(JobsCancelled) if e.why == "adapt"
                                     for j in e.job_ids},
               "every job cancelled by adapt's own decisions",
               explain=lambda: str(log.of(JobsCancelled)))
    assert log.of(AdaptTargetChanged)
    # The decision comes before the submissions it causes.
    first_up = log.events.index(up)
    assert all(log.events.index(e) > first_up for e in log.of(JobSubmitted))


def test_fixed_scale_ends_adaptive_and_adapt_again(adaptive_session):
    s, log = adaptive_session(AdaptSettings(minimum=1, maximum=2, unit="jobs", interval=0.25))
    log.wait_for(JobSubmitted)  # minimum 1 job
    s.scale(2)
    log.wait_for(ScalingModeChanged, lambda e: e.mode == "fixed")
    log.wait_for(JobSubmitted, count=2)
    s.adapt(AdaptSettings(minimum=0, maximum=2, unit="jobs", interval=0.25, wait_count=1))
    log.wait_for(ScalingModeChanged, lambda e: e.mode == "adaptive" and e.minimum == 0,
                 timeout=30)
    wait_until(lambda: _live_jobs(s) == 0, "idle adaptive 0..2 releases both jobs")


def test_job_ending_by_itself_is_replaced(adaptive_session):
    s, log = adaptive_session(AdaptSettings(minimum=1, maximum=1, unit="jobs", interval=0.25))
    first = log.wait_for(JobSubmitted)[0]
    log.wait_for(WorkerJoined, timeout=90)
    os.killpg(int(first.job_id), signal.SIGKILL)  # as a walltime kill does: job and worker gone
    replacing = log.wait_for(JobReplacing, timeout=60)[0]
    assert replacing.job_id == first.job_id
    again = log.wait_for(JobSubmitted, count=2, timeout=60)[1]
    assert again.job_id != first.job_id
    assert log.events.index(replacing) < log.events.index(again)
    log.wait_for(WorkerJoined, count=2, timeout=90)
    s.close()
    closed = log.wait_for(SessionClosed, timeout=60)[0]
    assert closed  # nothing left: the fixture checks wait_closed


def test_apply_keeps_bounds_chosen_with_adapt_unless_the_profile_sets_them(adaptive_session,
                                                                         tmp_path):
    s, log = adaptive_session(None)
    log.wait_for(ScalingModeChanged, lambda e: e.mode == "fixed")
    s.adapt(AdaptSettings(minimum=0, maximum=2, interval=0.25))
    log.wait_for(ScalingModeChanged, lambda e: e.mode == "adaptive")
    s.apply("local", local_kwargs(tmp_path))  # a profile without `adapt`
    log.wait_for(ClusterStarted, count=2)
    log.wait_for(ScalingModeChanged, lambda e: e.mode == "adaptive", count=2)
    s.apply("local", {**local_kwargs(tmp_path), ADAPT_KWARG: AdaptSettings(1, 3)})
    log.wait_for(ScalingModeChanged, lambda e: e.mode == "adaptive" and e.maximum == 3)
    s.apply("local", local_kwargs(tmp_path))  # the profile's key removed: fixed again
    log.wait_for(ClusterStarted, count=4)
    mode = log.wait_for(ScalingModeChanged, count=5)[-1]
    assert mode.mode == "fixed", log.of(ScalingModeChanged)
