"""Mode 18 from a session's events: the collector's timing, and the fix for each case."""

from __future__ import annotations

from hpctui.core.config.profile import Profile
from hpctui.core.diagnosis.collector import SignalCollector
from hpctui.core.diagnosis.engine import diagnose
from hpctui.core.diagnosis.finding import SET, PatchOp
from hpctui.core.session import events as ev


def _loop(collector: SignalCollector, n: int, t0: float = 1000.0, lived: float = 0.3,
          every: float = 0.5, why: str = "adapt") -> None:
    for i in range(n):
        at = t0 + i * every
        collector.on_event(ev.JobSubmitted(at=at, job_id=str(100 + i), spec_name=f"C-{i}",
                                           worker_names=(f"C-{i}-0", f"C-{i}-1"), job_name="j",
                                           submit_output=""))
        collector.on_event(ev.JobsCancelled(at=at + lived, job_ids=(str(100 + i),), why=why,
                                            ok=True))


def _mode(collector, **settings):
    adapt = {"minimum": 0, "maximum": 3, "unit": "workers", "interval": "250ms",
             "wait-count": 1}
    profile = Profile("local", {"cores": 2, "memory": "2GiB", "adapt": adapt, **settings})
    collector.on_event(ev.ScalingModeChanged(
        mode="adaptive", minimum=0, maximum=3, unit=adapt["unit"], interval=0.25, wait_count=1,
        target_duration=0.5, workers_per_job=settings.get("processes", 1)))
    return profile


def test_processes_2_with_bounds_in_workers_proposes_unit_jobs():
    c = SignalCollector()
    profile = _mode(c, processes=2)
    _loop(c, 6)
    [f] = [f for f in diagnose(c.signals(profile)) if f.mode == 18]
    assert f.evidence[0].text.startswith("6 jobs submitted, 6 cancelled before a worker "
                                         "connected in 2.8 s (one every 0.5 s; each lived "
                                         "0.30 s from submission to its cancel, median)")
    assert f.evidence[1].text == "adapt: 0..3 workers, interval 0.25s, wait-count 1; processes: 2"
    assert f.fix.ops == (PatchOp(SET, "adapt", {"minimum": 0, "maximum": 2, "unit": "jobs",
                                                "interval": "250ms", "wait-count": 1}),)
    assert f.confidence >= 0.85


def test_processes_1_proposes_a_wait_count_longer_than_a_start():
    c = SignalCollector()
    profile = _mode(c, processes=1)
    c.on_event(ev.WorkerJoined(name="w", address="tcp://x:1", host="x", threads=1, memory=0,
                               job_id="99", start_to_join=1.0, submit_to_join=3.0,
                               registered_at=0.0))
    _loop(c, 4)
    [f] = [f for f in diagnose(c.signals(profile)) if f.mode == 18]
    assert f.fix.ops[0].value["wait-count"] == 18  # 1.5 x 3 s / 0.25 s
    assert "jobs took 3.0 s from submission to their worker connecting" in \
        " ".join(e.text for e in f.evidence)


def test_cancels_on_close_or_of_connected_jobs_are_no_loop():
    c = SignalCollector()
    profile = _mode(c, processes=2)
    _loop(c, 6, why="close")
    assert not [f for f in diagnose(c.signals(profile)) if f.mode == 18]
    _loop(c, 2, t0=2000.0)
    assert not [f for f in diagnose(c.signals(profile)) if f.mode == 18]
