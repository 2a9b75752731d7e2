"""The Workers pane's scaling lines and the doctor timeline's adaptive entries, from events."""

from __future__ import annotations

from hpctui.core.doctor.timeline import adapt_line
from hpctui.core.session import events as ev
from hpctui.core.session.adapt_view import KEEP_DECISIONS, AdaptView
from hpctui.core.session.demo_load import DemoLoadProgressed

MODE = ev.ScalingModeChanged(mode="adaptive", minimum=0, maximum=4, unit="jobs", interval=1.0,
                             wait_count=3, target_duration=5.0)


def test_fixed_mode_says_nothing_adaptive_says_mode_target_decisions_and_load():
    v = AdaptView()
    v.on_event(ev.ScalingModeChanged(mode="fixed", workers=2))
    assert v.lines()[1] == []
    v.on_event(MODE)
    v.on_event(ev.AdaptTargetChanged(target=4, wanted=30, planned=0, connected=0, tasks=300))
    for i in range(KEEP_DECISIONS + 1):
        v.on_event(ev.AdaptDecided(action="up", target=4, jobs=4, why=f"reason {i}"))
    v.on_event(ev.AdaptDecided(action="down", target=0, workers=("C-1",), jobs=1, why="idle"))
    v.on_event(ev.JobReplacing(job_id="17", why="TIMEOUT"))
    v.on_event(DemoLoadProgressed(done=10, total=300))
    version, lines = v.lines()
    assert lines[0] == ("adaptive 0..4 jobs (interval 1s, wait-count 3, target-duration 5s) · "
                        "demo load: 10/300 tasks")
    assert lines[1] == ("target 4 worker(s) (the scheduler asks 30 for 300 task(s)) · "
                        "planned 0 · connected 0")
    assert len(lines) == 2 + KEEP_DECISIONS
    assert "▼ down: 1 job(s) (C-1): idle" in lines[-2]
    assert "⟳ job 17 ended by itself (TIMEOUT): adapt replaces it" in lines[-1]
    assert v.lines()[0] == version  # unchanged: nothing to redraw
    v.on_event(DemoLoadProgressed(done=300, total=300, finished=True))
    assert v.lines()[1][0].endswith("demo load: 300/300 tasks — finished")


def test_timeline_lines():
    assert adapt_line(MODE) == ("adaptive", None, "0..4 jobs, interval 1s, wait-count 3, "
                                                  "target-duration 5s")
    assert adapt_line(ev.AdaptDecided(action="up", target=2, jobs=1, why="w")) == \
        ("adapt: scale up", None, "to 2 worker(s), 1 job(s): w")
    assert adapt_line(ev.JobReplacing(job_id="3", why="TIMEOUT"))[:2] == \
        ("ended by itself; adapt replaces it", "3")
    assert adapt_line(DemoLoadProgressed(done=5, total=9)) is None
    assert adapt_line(DemoLoadProgressed(done=9, total=9, finished=True))[0] == \
        "demo load finished"
    # Every plain session announces fixed scaling: not news on doctor's timeline.
    assert adapt_line(ev.ScalingModeChanged(mode="fixed", workers=1)) is None
