"""LiveWindow: rounds of live samples kept per worker over a window and summarized like files."""

from __future__ import annotations

import pytest

from hpctui.core.stacks.live import LiveSamples, WorkerLive, check_args, decode
from hpctui.core.stacks.live_window import LiveWindow, findings, live_label
from hpctui.core.stacks.samples import Frame, Sample
from hpctui.core.stacks.poll import stack_reports

LOOP = (Frame("/usr/lib/python3.11/asyncio/base_events.py", "run_forever", 608),
        Frame("/usr/lib/python3.11/selectors.py", "select", 468))
LOCK = (Frame("/site-packages/distributed/diskutils.py", "__init__", 62),
        Frame("/site-packages/locket/__init__.py", "_lock_file_blocking", 52))


def round_at(t: float, stack=LOOP, answered=True, name="w-0", seconds=1.0, n=20):
    samples = tuple(Sample(t + i * seconds / n, stack) for i in range(n)) if answered else ()
    w = WorkerLive("tcp://10.0.0.5:4000", name, "17", answered, samples, "cn01", 4242)
    return LiveSamples(t, seconds, n / seconds, seconds + 2.0, (w,))


def test_rounds_are_kept_for_the_window_and_summarized():
    win = LiveWindow(window=10.0, stuck_after=5.0)
    for k in range(6):
        win.add(round_at(1000.0 + 3 * k))
    (label, view), = win.view().items()
    assert label == live_label("w-0", "tcp://10.0.0.5:4000") == "live w-0"
    s = view.summary
    # 10 s back from the newest sample (1015.95): the rounds at 1006, 1009, 1012 and 1015.
    assert s.file.samples[0].time == 1006.0 and len(s.file.samples) == 4 * 20
    assert s.current.stack == LOOP and s.stuck is None and findings(view) == []
    assert (view.host, view.pid, view.job_id) == ("cn01", 4242, "17")
    assert view.describe().startswith("live: worker w-0 (job 17) at tcp://10.0.0.5:4000, pid 4242")


def test_a_worker_held_in_a_file_lock_gives_the_file_lock_finding():
    win = LiveWindow(window=30.0, stuck_after=5.0)
    for k in range(4):
        win.add(round_at(2000.0 + 3 * k, stack=LOCK))
    view = win.view()["live w-0"]
    assert view.summary.stuck is not None and view.summary.stuck.seconds >= 9
    assert [f.site for f in findings(view)] == ["file-lock"]
    # The same StackReport path as the files: findings reach diagnose() and the findings pane.
    reports = stack_reports({view.label: view.summary})
    assert [(r.source, r.finding.site) for r in reports] == [("live w-0", "file-lock")]


def test_silence_is_remembered_until_an_answer_and_leavers_are_dropped():
    win = LiveWindow()
    win.add(round_at(100.0))
    win.add(round_at(103.0, answered=False))
    win.add(round_at(106.0, answered=False))
    view = win.view()["live w-0"]
    assert view.silent_since == 103.0 and view.silent_for(now=110.0) == 7.0
    assert "no answer in 3 s, silent for 7 s: event loop blocked?" in view.describe(now=110.0)
    assert [f.site for f in findings(view, now=110.0)] == ["no-answer"]
    assert view.summary.current is not None  # the last samples stay on show
    win.add(round_at(109.0))
    assert win.view()["live w-0"].silent_for() is None
    win.add(LiveSamples(112.0, 1.0, 20.0, 3.0, ()))
    assert win.view() == {}


def test_late_samples_are_taken_once():
    win = LiveWindow()
    first = round_at(100.0)
    win.add(first)
    win.add(first)  # the same samples again (a late answer repeating what came)
    assert len(win.view()["live w-0"].summary.file.samples) == 20


def test_decode_moves_times_onto_this_clock_and_merges_late_samples():
    reply = {"host": "cn01", "pid": 7, "now": 50.0,
             "stacks": [[["a.py", "f", 1]]], "samples": [[49.0, 0], [49.5, 0]],
             "late": {"stacks": [[["b.py", "g", 2]]], "samples": [[40.0, 0]]}}
    samples, host, pid = decode(reply, received=1050.0)
    assert (host, pid) == ("cn01", 7)
    assert [s.time for s in samples] == [1040.0, 1049.0, 1049.5]
    assert samples[0].stack == (Frame("b.py", "g", 2),)


def test_bad_arguments_name_the_key_and_the_value():
    with pytest.raises(ValueError, match=r"seconds: must be > 0, got 0"):
        check_args(0, 20, None)
    with pytest.raises(ValueError, match=r"rate: must be > 0 samples per second, got -1"):
        check_args(1, -1, None)
    with pytest.raises(ValueError, match=r"timeout: must be more than seconds=2, got 1"):
        check_args(2, 20, 1)
    assert check_args(1.0, 20, None) == 3.0
    with pytest.raises(ValueError, match="window"):
        LiveWindow(window=0)
