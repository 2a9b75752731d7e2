"""JobTracker: jobs tied to workers, phases from the queue and the scheduler, with an explicit clock."""

from __future__ import annotations

import pytest

from hpctui.core.session.events import JobStateChanged, WorkerJoined, WorkerLeft
from hpctui.core.batch.tracker import JobPhase, JobTracker
from hpctui.schedulers.base import JobRow, JobState


def row(job_id, state, reason=""):
    return JobRow(job_id=job_id, state=state, raw_state=state.value, reason=reason, nodes="cn01")


def changes(events):
    """Phase changes (an event with old == new only tells the queue's state moved)."""
    return [(e.job_id, e.old, e.new) for e in events
            if isinstance(e, JobStateChanged) and e.old != e.new]


def test_pending_running_connected_with_join_times():
    t = JobTracker()
    t.job_submitted("11", "C-0", ("C-0",), "dask-worker", now=100.0)
    assert changes(t.queue_rows([row("11", JobState.PENDING, "Priority")], now=101.0)) == [
        ("11", "submitted", "pending")]
    assert t.snapshot().job("11").reason == "Priority"
    assert changes(t.queue_rows([row("11", JobState.RUNNING)], now=110.0)) == [
        ("11", "pending", "starting")]
    events = t.worker_joined("C-0", "tcp://10.0.0.2:4000", "10.0.0.2", 4, 2**30,
                             now=113.5, registered_at=0.0)
    joined = events[0]
    assert isinstance(joined, WorkerJoined)
    assert (joined.job_id, joined.start_to_join, joined.submit_to_join) == ("11", 3.5, 13.5)
    assert changes(events) == [("11", "starting", "connected")]
    snap = t.snapshot()
    assert (snap.expected_workers, snap.connected_workers) == (1, 1)
    assert snap.workers[0].threads == 4 and snap.workers[0].memory == 2**30
    assert t.connected_job_ids() == {"11"}


def test_running_without_worker_for_the_grace_period_is_its_own_state():
    t = JobTracker(not_connected_after=60)
    t.job_submitted("12", "C-1", ("C-1",), "w", now=0.0)
    t.queue_rows([row("12", JobState.RUNNING)], now=10.0)
    assert t.tick(now=69.9) == []
    events = t.tick(now=70.0)
    assert changes(events) == [("12", "starting", "started, not connected")]
    assert "60 s" in events[0].reason
    assert t.tick(now=200.0) == []  # said once
    # a late worker still connects it
    assert changes(t.worker_joined("C-1", "tcp://a:1", "a", 1, 0, now=201.0, registered_at=0.0)) == [
        ("12", "started, not connected", "connected")]


def test_processes_map_every_worker_to_the_job():
    t = JobTracker()
    t.job_submitted("13", "C-2", ("C-2-0", "C-2-1"), "w", now=0.0)
    t.worker_joined("C-2-0", "tcp://a:1", "a", 2, 0, now=5.0, registered_at=0.0)
    t.worker_joined("C-2-1", "tcp://a:2", "a", 2, 0, now=5.1, registered_at=0.0)
    snap = t.snapshot()
    assert snap.job("13").connected == ("C-2-0", "C-2-1")
    assert {w.job_id for w in snap.workers} == {"13"}
    assert snap.expected_workers == 2


def test_worker_leaving_and_job_ending():
    t = JobTracker()
    t.job_submitted("14", "C-3", ("C-3",), "w", now=0.0)
    t.worker_joined("C-3", "tcp://a:1", "a", 1, 0, now=5.0, registered_at=0.0)
    t.queue_rows([row("14", JobState.RUNNING)], now=6.0)
    events = t.worker_left("tcp://a:1", "connection to the worker lost", now=7.0)
    assert isinstance(events[0], WorkerLeft) and events[0].job_id == "14"
    assert events[0].reason == "connection to the worker lost"
    assert changes(events) == [("14", "connected", "starting")]
    assert changes(t.queue_rows([row("14", JobState.FAILED, "NodeFail")], now=8.0)) == [
        ("14", "starting", "ended")]
    assert t.live_job_ids() == []
    assert t.snapshot().expected_workers == 0


def test_cancel_requested_job_stays_ending_and_its_worker_leaving_says_why():
    t = JobTracker()
    t.job_submitted("15", "C-4", ("C-4",), "w", now=0.0)
    t.worker_joined("C-4", "tcp://a:1", "a", 1, 0, now=1.0, registered_at=0.0)
    assert changes(t.cancel_requested(["15"], now=2.0)) == [("15", "connected", "ending")]
    left = t.worker_left("tcp://a:1", "connection to the worker lost", now=2.5)
    assert left[0].reason.startswith("its job is being cancelled by this session")
    assert changes(left) == []
    assert changes(t.queue_rows([row("15", JobState.RUNNING)], now=3.0)) == []
    assert changes(t.queue_rows([row("15", JobState.CANCELLED)], now=4.0)) == [("15", "ending", "ended")]


def test_unknown_workers_and_rows_are_ignored_not_crashes():
    t = JobTracker()
    assert t.queue_rows([row("999", JobState.RUNNING)], now=1.0) == []
    ev = t.worker_joined("someone-else", "tcp://b:1", "b", 1, 0, now=1.0, registered_at=0.0)
    assert ev[0].job_id is None and len(ev) == 1
    assert t.worker_left("tcp://nowhere:1", "x", now=2.0)[0].name == ""


@pytest.mark.parametrize("bad", [0, -1, "60"])
def test_grace_period_must_be_positive(bad):
    with pytest.raises(ValueError, match="not_connected_after"):
        JobTracker(not_connected_after=bad)


def test_forget_drops_jobs_and_their_worker_names():
    t = JobTracker()
    t.job_submitted("16", "C-5", ("C-5",), "w", now=0.0)
    t.forget(["16"])
    assert t.job_ids() == []
    assert t.worker_joined("C-5", "tcp://a:1", "a", 1, 0, now=1.0, registered_at=0.0)[0].job_id is None
    assert JobPhase.NOT_CONNECTED.value == "started, not connected"


def test_snapshot_workers_sorted_by_name_follow_every_join_and_leave():
    t = JobTracker()
    t.job_submitted("1", "A", ("w-b", "w-a", "w-c"), "w", now=0.0)
    t.worker_joined("w-b", "tcp://b:1", "b", 1, 0, now=1.0, registered_at=0.0)
    first = t.snapshot()
    assert [w.name for w in first.workers] == ["w-b"]
    assert t.snapshot().workers is first.workers  # nothing changed: the same sorted tuple
    t.worker_joined("w-c", "tcp://c:1", "c", 1, 0, now=2.0, registered_at=0.0)
    t.worker_joined("w-a", "tcp://a:1", "a", 1, 0, now=3.0, registered_at=0.0)
    assert [w.name for w in t.snapshot().workers] == ["w-a", "w-b", "w-c"]
    t.worker_left("tcp://b:1", "gone", now=4.0)
    snap = t.snapshot()
    assert [w.name for w in snap.workers] == ["w-a", "w-c"] and snap.connected_workers == 2


def test_queue_state_reaching_running_after_the_join_is_an_event():
    """A worker often joins before the queue shows its job RUNNING: the queue's state must
    still be told (same phase), or diagnosis keeps the job PENDING."""
    t = JobTracker()
    t.job_submitted("11", "C-0", ("C-0",), "dask-worker", now=100.0)
    t.queue_rows([row("11", JobState.PENDING)], now=101.0)
    t.worker_joined("C-0", "tcp://10.0.0.2:4000", "10.0.0.2", 1, 2**30, now=102.0,
                    registered_at=0.0)
    events = t.queue_rows([row("11", JobState.RUNNING)], now=103.0)
    assert [(e.old, e.new, e.queue_state) for e in events] == [
        ("connected", "connected", "RUNNING")]
    assert t.queue_rows([row("11", JobState.RUNNING)], now=104.0) == []  # said once
