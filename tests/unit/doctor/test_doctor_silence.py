"""When a silent round ends early for the observation round (`doctor/silence.py`), pure."""

from __future__ import annotations

import pytest

from hpctui.core.diagnosis.signals import QuietJob
from hpctui.core.doctor.silence import SILENT_AFTER, silent_job
from hpctui.core.doctor.types import DoctorInputError, DoctorOptions


def _quiet(running: float, silent: float | None, lines: int = 2, job: str = "17") -> QuietJob:
    return QuietJob(job, running, "cn01", lines, True, "Start Nanny at: tcp://10.0.0.2:4000",
                    silent)


def test_a_job_running_and_silent_long_enough_ends_the_round():
    s = silent_job((_quiet(7.2, 6.4),), 6.0, probe_pending=False, connected=0)
    assert s is not None and s.job_id == "17"
    # The ending says what was seen, and nothing else: no cause.
    assert s.describe() == ("job 17 RUNNING 7 s, no worker connected, logs silent 6 s (last "
                            "line: 'Start Nanny at: tcp://10.0.0.2:4000')")


def test_a_log_line_within_the_window_keeps_the_round_waiting():
    assert silent_job((_quiet(30.0, 2.0),), 6.0, probe_pending=False, connected=0) is None


def test_a_job_that_just_started_is_not_silent_yet_even_without_a_line():
    assert silent_job((_quiet(3.0, None, lines=0),), 6.0, probe_pending=False,
                      connected=0) is None
    s = silent_job((_quiet(6.5, None, lines=0),), 6.0, probe_pending=False, connected=0)
    assert s is not None and s.describe().endswith("no log line at all")


def test_silence_older_than_running_counts_from_running():
    # A line from before the job ran (the batch system's prologue) does not make it silent longer.
    s = silent_job((_quiet(6.5, 40.0),), 6.0, probe_pending=False, connected=0)
    assert s is not None and s.silent_for == 6.5


def test_the_probe_still_on_its_way_or_a_worker_connected_or_off_waits():
    job = (_quiet(20.0, 20.0),)
    assert silent_job(job, 6.0, probe_pending=True, connected=0) is None
    assert silent_job(job, 6.0, probe_pending=False, connected=1) is None
    assert silent_job(job, None, probe_pending=False, connected=0) is None
    assert silent_job((), 6.0, probe_pending=False, connected=0) is None


def test_the_first_silent_job_of_several_is_named():
    jobs = (_quiet(20.0, 1.0, job="1"), _quiet(20.0, 9.0, job="2"))
    assert silent_job(jobs, 6.0, probe_pending=False, connected=0).job_id == "2"


def test_options_default_and_bad_value():
    assert DoctorOptions().observe_after == SILENT_AFTER
    with pytest.raises(DoctorInputError, match="--observe-after: expected seconds >= 0, got -1"):
        DoctorOptions(observe_after=-1)
