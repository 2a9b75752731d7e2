"""Failure mode 18 from a real run on the local backend: the profile in
tests/fixtures/adapt/submit-cancel-loop.yaml makes dask-jobqueue's adapt() submit and cancel
jobs in a loop (processes: 2 with an odd maximum counted in workers, wait-count 1: the
fixture's comment says how). The session's own events show the loop, diagnosis names it with
the count and timing, and after its fix (`adapt.unit: jobs`) the same workload runs without it.
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
from hpctui.core.session.events import ClusterStarted, JobsCancelled

pytestmark = pytest.mark.timeout(300)

FIXTURE = Path(__file__).parents[2] / "fixtures" / "adapt" / "submit-cancel-loop.yaml"


def loop_profile(tmp_path) -> Profile:
    settings = yaml.safe_load(FIXTURE.read_text())["jobqueue"]["local"]
    settings.update({"python": sys.executable, "log-directory": str(tmp_path / "logs"),
                     "name": "hpctui-loop",
                     "scheduler-options": {"dashboard_address": "127.0.0.1:0",
                                           "host": "127.0.0.1"},
                     "worker-extra-args": ["--dashboard-address", "127.0.0.1:0"]})
    return Profile("local", settings)


def run_demo(profile: Profile, tasks: int = 150):
    """The demo workload under `profile`'s adapt; (collector, event log) once it is done and
    every job is gone again."""
    s = ClusterSession("local", profile.session_kwargs(), handle_exits=False)
    log, collector = EventLog(), SignalCollector()
    s.subscribe(log)
    s.subscribe(collector.on_event)
    try:
        s.start()
        log.wait_for(ClusterStarted)
        s.start_demo_load(tasks=tasks, seconds=0.05)
        done = log.wait_for(DemoLoadProgressed, lambda e: e.finished or e.error, timeout=180)[0]
        assert done.finished, done
        wait_until(lambda: not [j for j in s.snapshot().jobs
                                if j.phase.value not in ("ended", "ending")],
                   "adapt releasing every job once idle")
    finally:
        s.close()
        assert s.wait_closed(60)
    return collector, log


def test_loop_is_seen_with_its_evidence_and_the_fix_stops_it(tmp_path):
    profile = loop_profile(tmp_path)
    collector, log = run_demo(profile)
    signals = collector.signals(profile)
    assert len(signals.cancelled_unstarted) >= 3, log.of(JobsCancelled)
    [finding] = [f for f in diagnose(signals) if f.mode == 18]
    session, settings = finding.evidence[0].text, finding.evidence[1].text
    assert "cancelled before a worker connected in" in session and "one every" in session
    assert settings == ("adapt: 0..3 workers, interval 0.25s, wait-count 1; processes: 2")
    assert "issue 498" in finding.explanation
    edit = fix_edit(profile, finding.fix)
    assert edit.ok, edit.message
    assert edit.profile.get("adapt")["unit"] == "jobs"
    assert edit.profile.get("adapt")["maximum"] == 2  # 3 workers of 2 per job: 2 jobs

    fixed, log = run_demo(edit.profile)
    after = fixed.signals(edit.profile)
    assert len(after.cancelled_unstarted) < 3, after.cancelled_unstarted
    assert not [f for f in diagnose(after) if f.mode == 18]
