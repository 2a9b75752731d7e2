"""The early check: when a job has run `grace` seconds with no worker, the probe goes at once.

The trigger is driven by event sequences recorded from real sessions on the SLURM testbed
(`tests/fixtures/events/capture.py`): no `interface` (the job runs, nothing connects, the log
stays empty), a healthy start (the worker joins ~1 s after RUNNING), a held job (never runs).
`EarlyCheck` runs a stand-in probe coroutine here (the real one is in tests/e2e).
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time

import pytest

from hpctui.core.config.profile import Profile
from hpctui.core.diagnosis.early import DEFAULT_GRACE, EarlyCheck, EarlyTrigger
from hpctui.core.network.probe_verdict import SUBMIT_FAILED, ProbeResult
from hpctui.core.session import events as ev

from recorded_events import before_cancel, recorded, running_at, until

SLURM = Profile("slurm", {"cores": 1, "memory": "1GB"})


# -- the trigger, on recorded sequences ------------------------------------------------------

def test_no_interface_job_is_due_after_the_grace_and_not_before():
    events = recorded("no_interface")
    t = EarlyTrigger(grace=2.0)
    for e in before_cancel(events):
        t.feed(e)
    start = running_at(events)
    assert t.next_due() == pytest.approx(start + 2.0)
    assert t.due(start + 1.9) == []
    [(job, seconds)] = t.due(start + 2.5)
    assert job == events[1].job_id and seconds == pytest.approx(2.5)


def test_the_cancel_at_the_end_of_the_recording_takes_the_job_off():
    t = EarlyTrigger(grace=2.0)
    for e in recorded("no_interface"):
        t.feed(e)
    assert t.next_due() is None and t.due(time.time()) == []


def test_healthy_start_worker_joins_within_the_default_grace_nothing_is_due():
    events = recorded("healthy")
    t = EarlyTrigger()  # the default grace
    start = running_at(events)
    joined = next(e for e in events if isinstance(e, ev.WorkerJoined))
    assert joined.at - start < DEFAULT_GRACE  # as recorded: no probe for a healthy start
    for e in until(events, lambda e: isinstance(e, ev.WorkerJoined)):
        t.feed(e)
    assert t.due(joined.at) == []
    t.feed(joined)
    assert t.answered and t.next_due() is None and t.due(start + 60) == []


def test_held_job_never_runs_so_nothing_is_ever_due():
    t = EarlyTrigger(grace=0.0)
    for e in recorded("held"):
        t.feed(e)
        assert t.next_due() is None
    assert t.due(time.time() + 3600) == []


def test_a_new_cluster_starts_afresh():
    events = recorded("no_interface")
    t = EarlyTrigger(grace=2.0)
    for e in before_cancel(events):
        t.feed(e)
    t.feed(ev.WorkerJoined(name="w", address="tcp://x:1", host="x", threads=1, memory=0,
                           job_id=None, start_to_join=None, submit_to_join=None, registered_at=0))
    assert t.answered
    t.feed(dataclasses.replace(events[0], generation=2))  # ClusterStarted: an apply
    assert not t.answered and t.next_due() is None


def test_grace_must_be_seconds():
    with pytest.raises(ValueError, match="grace"):
        EarlyTrigger(grace=-1)


# -- EarlyCheck with a stand-in probe --------------------------------------------------------

class FakeProbe:
    """A probe coroutine that reports `result` once `release` is set (never, by default)."""

    def __init__(self, result: ProbeResult | None = None, fail: Exception | None = None) -> None:
        self.result = result
        self.fail = fail
        self.calls: list[Profile] = []
        self.cancelled = threading.Event()
        self.release = threading.Event()
        self.started = threading.Event()

    async def __call__(self, profile, on_verdict):
        self.calls.append(profile)
        self.started.set()
        if self.fail is not None:
            raise self.fail
        try:
            while not self.release.is_set():
                await asyncio.sleep(0.01)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        on_verdict(self.result)
        return self.result


class Updates:
    def __init__(self) -> None:
        self.seen = []
        self.cond = threading.Condition()

    def __call__(self, probe) -> None:
        with self.cond:
            self.seen.append(probe)
            self.cond.notify_all()

    def wait(self, pred, timeout=30.0):
        with self.cond:
            assert self.cond.wait_for(lambda: any(pred(p) for p in self.seen), timeout), self.seen
            return next(p for p in self.seen if pred(p))


RESULT = ProbeResult(SUBMIT_FAILED, "stand-in", "slurm", None, None, None)


def _feed(check, events) -> None:
    for e in events:
        check.on_event(e)


def test_sends_once_per_profile_reports_sent_verdict_done():
    probe = FakeProbe(RESULT)
    updates = Updates()
    check = EarlyCheck(lambda: SLURM, updates, grace=2.0, probe=probe)
    events = recorded("no_interface", shift_to=time.time() - 2.5)  # RUNNING 2.5 s ago
    _feed(check, before_cancel(events))
    sent = updates.wait(lambda p: not p.done and p.result is None)
    assert sent.job_id == events[1].job_id and sent.running_for >= 2.0
    assert "with no worker connected" in sent.describe()
    probe.release.set()
    done = updates.wait(lambda p: p.done)
    assert done.result is RESULT and not done.stopped and check.result_for(SLURM) == done
    # The same profile again (a second round, a new cluster): no second probe.
    _feed(check, recorded("no_interface", shift_to=time.time() - 5))
    assert check.wait(5) and len(probe.calls) == 1
    check.close()


def test_a_worker_joining_cancels_the_probe_on_its_way():
    probe = FakeProbe(RESULT)
    updates = Updates()
    check = EarlyCheck(lambda: SLURM, updates, grace=1.0, probe=probe)
    healthy = recorded("healthy", shift_to=time.time() - 1.5)
    before_join = until(healthy, lambda e: isinstance(e, ev.WorkerJoined))
    _feed(check, before_join)
    updates.wait(lambda p: not p.done)
    assert probe.started.wait(30)
    # The worker joins late (a slow start): the question is answered.
    _feed(check, [e for e in healthy if isinstance(e, ev.WorkerJoined)])
    done = updates.wait(lambda p: p.done)
    assert probe.cancelled.is_set() and done.stopped == "a worker connected"
    assert done.result is None
    check.close()


def test_no_probe_for_a_local_profile_or_without_a_profile():
    for profile in (Profile("local", {}), None):
        probe = FakeProbe(RESULT)
        check = EarlyCheck(lambda p=profile: p, None, grace=0.0, probe=probe)
        _feed(check, recorded("no_interface", shift_to=time.time() - 3))
        check.close()
        assert probe.calls == [] and check.result_for(SLURM) is None


def test_a_probe_that_raises_is_reported_not_raised():
    probe = FakeProbe(fail=RuntimeError("no loop for you"))
    updates = Updates()
    check = EarlyCheck(lambda: SLURM, updates, grace=0.0, probe=probe)
    events = recorded("no_interface", shift_to=time.time() - 1)
    _feed(check, before_cancel(events))
    done = updates.wait(lambda p: p.done)
    assert done.error == "RuntimeError: no loop for you" and done.result is None
    check.close()


def test_close_stops_a_running_probe_and_waits_for_it():
    probe = FakeProbe(RESULT)
    updates = Updates()
    check = EarlyCheck(lambda: SLURM, updates, grace=0.0, probe=probe)
    events = recorded("no_interface", shift_to=time.time() - 1)
    _feed(check, before_cancel(events))
    assert probe.started.wait(30)
    check.close(wait=30)
    assert probe.cancelled.is_set() and check.wait(0)
    assert updates.wait(lambda p: p.done).stopped == "closed"


def _job_placement_start(t0: float) -> list:
    """A `scheduler-placement: job` start with its worker submitted alongside: the worker job
    runs (and waits) before the scheduler's job has its scheduler up at t0 + 5."""
    return [
        ev.JobSubmitted(job_id="10", spec_name="scheduler", worker_names=(), job_name="x-scheduler",
                        submit_output="Submitted batch job 10", role="scheduler", at=t0),
        ev.JobSubmitted(job_id="11", spec_name="SLURMCluster-0", worker_names=("SLURMCluster-0",),
                        job_name="x", submit_output="Submitted batch job 11", at=t0 + 0.05),
        ev.JobStateChanged(job_id="10", old="pending", new="starting", queue_state="RUNNING",
                           reason="", at=t0 + 1),
        ev.JobStateChanged(job_id="11", old="pending", new="starting", queue_state="RUNNING",
                           reason="", at=t0 + 1),
    ]


def test_a_worker_waiting_for_its_scheduler_job_is_not_late_until_the_scheduler_is_up():
    t0 = time.time()
    t = EarlyTrigger(grace=2.0)
    for e in _job_placement_start(t0):
        t.feed(e)
    assert t.next_due() is None and t.due(t0 + 3600) == []
    t.feed(ev.ClusterStarted(kind="slurm", generation=1, scheduler_address="tcp://10.0.0.2:1",
                             dashboard_link="", cluster_name="c", placement="job",
                             scheduler_job_id="10", at=t0 + 5))
    # The clock runs from the scheduler's start, and the scheduler's own job is never due.
    assert t.next_due() == t0 + 7
    assert t.due(t0 + 6.9) == []
    assert t.due(t0 + 8) == [("11", 3.0)]


def test_a_new_scheduler_job_starts_afresh_and_its_cluster_start_keeps_the_workers():
    t0 = time.time()
    t = EarlyTrigger(grace=2.0)
    t.feed(ev.JobStateChanged(job_id="5", old="pending", new="starting", queue_state="RUNNING",
                              reason="", at=t0 - 50))  # a job of an earlier cluster
    for e in _job_placement_start(t0):
        t.feed(e)
    t.feed(ev.ClusterStarted(kind="slurm", generation=2, scheduler_address="tcp://10.0.0.2:1",
                             dashboard_link="", cluster_name="c", placement="job", at=t0 + 5))
    assert [j for j, _ in t.due(t0 + 100)] == ["11"]
