"""The polling policy (pure) and the runner (real subprocesses: ps, sleep, bash, a missing name)."""

from __future__ import annotations

import subprocess
import threading
import time

import pytest

from hpctui.core.batch.poller import PollPolicy, QueuePoller
from hpctui.schedulers.base import GONE_FROM_QUEUE, JobRow, JobState
from waits import WAIT_S, wait_until


def _rows(**states):
    return {j: JobRow(j, s, s.value) for j, s in states.items()}


R, P, C, D = JobState.RUNNING, JobState.PENDING, JobState.COMPLETING, JobState.DONE


# ---- policy ---------------------------------------------------------------------------------

def test_paused_without_jobs_or_with_only_finished_ones():
    p = PollPolicy()
    assert p.next_delay([], {}, (), 0) is None
    assert p.next_delay(["1", "2"], _rows(**{"1": D, "2": JobState.CANCELLED}), (), 0) is None


@pytest.mark.parametrize("rows,connected", [
    ({}, ()),  # submitted, not yet seen in the queue
    (_rows(**{"1": P}), ()),
    (_rows(**{"1": R}), ()),  # started, not connected
    (_rows(**{"1": R, "2": R}), {"1"}),  # one of two not connected
    (_rows(**{"1": C}), {"1"}),
    (_rows(**{"1": JobState.UNKNOWN}), {"1"}),
])
def test_fast_while_anything_waits(rows, connected):
    ids = ["1", "2"] if "2" in rows else ["1"]
    assert PollPolicy().next_delay(ids, rows, connected, 0) == 2.0


def test_backs_off_to_the_ceiling_when_all_run_connected_and_resets_when_a_worker_leaves():
    p = PollPolicy()
    rows = _rows(**{"1": R, "2": R, "3": D})
    delays = [p.next_delay(["1", "2", "3"], rows, {"1", "2"}, t) for t in range(7)]
    assert delays == [4, 8, 16, 32, 60, 60, 60]
    assert p.next_delay(["1", "2", "3"], rows, {"1"}, 8) == 2.0
    assert p.next_delay(["1", "2", "3"], rows, {"1", "2"}, 9) == 4.0


def test_poke_asks_soon_once_and_restarts_the_back_off():
    p = PollPolicy()
    rows = _rows(**{"1": R})
    for t in range(5):
        p.next_delay(["1"], rows, {"1"}, t)
    p.poke()
    assert p.poked
    assert p.next_delay(["1"], rows, {"1"}, 6) == 0.5
    assert not p.poked
    assert p.next_delay(["1"], rows, {"1"}, 7) == 4.0


def test_take_poke_is_once():
    p = PollPolicy()
    p.poke()
    assert p.take_poke() and not p.take_poke()


def test_long_unchanged_wait_slows_down_and_any_change_speeds_up_again():
    p = PollPolicy()
    pending = _rows(**{"1": P})
    assert p.next_delay(["1"], pending, (), 0) == 2.0
    assert p.next_delay(["1"], pending, (), 299) == 2.0
    assert p.next_delay(["1"], pending, (), 300) == 10.0
    running = _rows(**{"1": R})
    assert p.next_delay(["1"], running, (), 310) == 2.0  # started: wait for its worker closely


def test_failures_back_off():
    assert [PollPolicy().after_failure(n) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]


def test_bad_settings_name_the_field_and_value():
    with pytest.raises(ValueError, match=r"PollPolicy.fast must be > 0 seconds, got 0"):
        PollPolicy(fast=0)
    with pytest.raises(ValueError, match=r"slow \(1\) must be >= fast \(2\.0\)"):
        PollPolicy(slow=1)
    with pytest.raises(ValueError, match="factor must be >= 1, got 0.5"):
        PollPolicy(factor=0.5)


# ---- runner ---------------------------------------------------------------------------------

def _quick():
    return PollPolicy(fast=0.1, slow=0.4, poke_delay=0.05)


class Recorder:
    def __init__(self):
        self.rows, self.errors = [], []
        self.cond = threading.Condition()

    def on_rows(self, ev):
        with self.cond:
            self.rows.append(ev)
            self.cond.notify_all()

    def on_error(self, ev):
        with self.cond:
            self.errors.append(ev)
            self.cond.notify_all()

    def wait(self, pred, timeout=WAIT_S):
        with self.cond:
            assert self.cond.wait_for(pred, timeout), (self.rows[-3:], self.errors[-3:])


def test_real_local_jobs_running_then_gone_then_paused():
    procs = [subprocess.Popen(["sleep", "30"]) for _ in range(2)]
    ids = [str(p.pid) for p in procs]
    rec = Recorder()
    poller = QueuePoller("local", lambda: ids, rec.on_rows, rec.on_error, lambda: set(ids),
                         policy=_quick())
    poller.start()
    try:
        rec.wait(lambda: rec.rows)
        assert [r.state for r in rec.rows[0].rows] == [R, R]
        assert rec.rows[0].asked == tuple(ids)
        for p in procs:
            p.kill()
            p.wait()
        poller.poke()
        rec.wait(lambda: rec.rows[-1].rows and all(r.state is D for r in rec.rows[-1].rows))
        assert {r.raw_state for r in rec.rows[-1].rows} == {GONE_FROM_QUEUE}
        wait_until(lambda: poller.next_delay is None, "polling paused: nothing left to watch")
        queries = poller.queries
        time.sleep(0.5)  # what is tested: half a second paused runs no command
        assert poller.queries == queries
        assert rec.errors == []
    finally:
        poller.stop()
        for p in procs:
            if p.poll() is None:
                p.kill()


def test_hung_command_is_an_event_and_polling_goes_on():
    rec = Recorder()
    poller = QueuePoller("slurm", lambda: ["1"], rec.on_rows, rec.on_error,
                         timeout=0.3, policy=_quick(), command_fn=lambda ids: ["sleep", "30"])
    poller.start()
    try:
        rec.wait(lambda: len(rec.errors) >= 2)
    finally:
        poller.stop()
    first, second = rec.errors[:2]
    assert first.message == "sleep timed out after 0.3 s"
    assert first.result.timed_out and first.consecutive == 1 and second.consecutive == 2
    assert second.retry_in == 2 * first.retry_in
    assert rec.rows == []


def test_missing_command_is_an_event():
    rec = Recorder()
    poller = QueuePoller("slurm", lambda: ["1"], rec.on_rows, rec.on_error, policy=_quick(),
                         command_fn=lambda ids: ["hpctui-no-such-squeue", *ids])
    poller.start()
    try:
        rec.wait(lambda: rec.errors)
    finally:
        poller.stop()
    assert rec.errors[0].message == "hpctui-no-such-squeue not found"
    assert rec.errors[0].result.not_found


def test_failing_command_and_unreadable_output_are_events():
    rec = Recorder()
    script = ["bash", "-c", "echo 'slurm_load_jobs error: Unable to contact slurm controller' >&2; exit 1"]
    poller = QueuePoller("slurm", lambda: ["1"], rec.on_rows, rec.on_error, policy=_quick(),
                         command_fn=lambda ids: script)
    poller.start()
    try:
        rec.wait(lambda: rec.errors)
    finally:
        poller.stop()
    assert rec.errors[0].message == (
        "bash exited with code 1: slurm_load_jobs error: Unable to contact slurm controller")

    rec = Recorder()
    poller = QueuePoller("slurm", lambda: ["1"], rec.on_rows, rec.on_error, policy=_quick(),
                         command_fn=lambda ids: ["echo", "JOBID PARTITION NAME"])
    poller.start()
    try:
        rec.wait(lambda: rec.errors)
    finally:
        poller.stop()
    assert rec.errors[0].message.startswith("echo output not understood: squeue line has 1 fields")


def test_all_ids_unknown_to_squeue_means_finished(tmp_path):
    # squeue's real behaviour once every id aged out (see tests/fixtures/slurm/squeue_unknown_job.txt).
    rec = Recorder()
    script = ["bash", "-c", "echo 'slurm_load_jobs error: Invalid job id specified' >&2; exit 1"]
    poller = QueuePoller("slurm", lambda: ["41", "42"], rec.on_rows, rec.on_error, policy=_quick(),
                         command_fn=lambda ids: script)
    poller.start()
    try:
        rec.wait(lambda: rec.rows)
    finally:
        poller.stop()
    assert [(r.job_id, r.state, r.raw_state) for r in rec.rows[0].rows] == [
        ("41", D, GONE_FROM_QUEUE), ("42", D, GONE_FROM_QUEUE)]
    assert rec.errors == []


def test_never_two_queries_in_flight(tmp_path):
    # Each query takes a lock directory for 0.1 s and fails loudly if it is already held.
    lock = tmp_path / "lock"
    script = ["bash", "-c", f"mkdir {lock} || exit 3; sleep 0.1; rmdir {lock}; echo '1 S 00:01'"]
    rec = Recorder()
    poller = QueuePoller("local", lambda: ["1"], rec.on_rows, rec.on_error, lambda: (),
                         policy=PollPolicy(fast=0.01, slow=0.02, poke_delay=0.01),
                         command_fn=lambda ids: script)
    poller.start()
    try:
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            poller.poke()
            time.sleep(0.005)
        rec.wait(lambda: len(rec.rows) >= 5)
    finally:
        poller.stop()
    assert rec.errors == []
    assert poller.queries >= 5


def test_a_raising_callback_does_not_stop_polling():
    calls = []

    def bad(ev):
        calls.append(ev)
        raise RuntimeError("subscriber bug")

    proc = subprocess.Popen(["sleep", "30"])
    poller = QueuePoller("local", lambda: [str(proc.pid)], bad, bad, policy=_quick())
    poller.start()
    try:
        wait_until(lambda: len(calls) >= 3, "three callbacks despite the raising ones")
    finally:
        poller.stop()
        proc.kill()
        proc.wait()
    assert len(calls) >= 3


def test_stop_is_prompt_when_paused_and_bounded_during_a_hung_query():
    poller = QueuePoller("local", lambda: [], lambda ev: None, lambda ev: None)
    poller.start()
    time.sleep(0.1)
    t = time.monotonic()
    poller.stop()
    assert time.monotonic() - t < 0.5

    poller = QueuePoller("slurm", lambda: ["1"], lambda ev: None, lambda ev: None, timeout=0.5,
                         command_fn=lambda ids: ["sleep", "30"])
    poller.start()
    time.sleep(0.1)
    t = time.monotonic()
    poller.stop()
    assert time.monotonic() - t < 2


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown batch system 'nope'"):
        QueuePoller("nope", list, print, print)
    with pytest.raises(ValueError, match="timeout must be > 0 seconds, got -1"):
        QueuePoller("slurm", list, print, print, timeout=-1)


@pytest.mark.testbed
def test_real_squeue_through_the_poller(testbed, tmp_path):
    """A real SLURM job: seen PENDING (held), RUNNING after release, CANCELLED after scancel,
    each within a few seconds of a poke, with the real squeue command and parser."""
    sub = subprocess.run(
        ["sbatch", "--parsable", "--hold", "-J", "hpctui-poller-test", "-p", testbed.partition,
         f"--output={tmp_path}/slurm-%j.out", "--wrap", "sleep 120"],
        capture_output=True, text=True, timeout=30, check=True)
    job_id = sub.stdout.strip().split(";")[0]
    rec = Recorder()
    poller = QueuePoller("slurm", lambda: [job_id], rec.on_rows, rec.on_error,
                         policy=PollPolicy(fast=0.5, slow=2, poke_delay=0.2))
    poller.start()
    try:
        def seen(state):
            return lambda: rec.rows and rec.rows[-1].rows[0].state is state

        rec.wait(seen(P), timeout=15)
        assert rec.rows[-1].rows[0].reason == "JobHeldUser"
        subprocess.run(["scontrol", "release", job_id], check=True, timeout=30)
        poller.poke()
        rec.wait(seen(R), timeout=30)
        assert rec.rows[-1].rows[0].nodes == testbed.node
        subprocess.run(["scancel", job_id], check=True, timeout=30)
        poller.poke()
        rec.wait(seen(JobState.CANCELLED), timeout=30)
        time.sleep(1.5)
        assert poller.next_delay is None  # the only job ended: polling paused
        assert rec.errors == []
    finally:
        poller.stop()
        subprocess.run(["scancel", job_id], timeout=30)
