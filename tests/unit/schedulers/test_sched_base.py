"""The shared rules: durations, the "gone from queue" merge, job id checks, get(kind)."""

from __future__ import annotations

import pytest

import hpctui.schedulers as schedulers
from hpctui.core.batch.kinds import KIND_NAMES
from hpctui.schedulers.base import (
    GONE_FROM_QUEUE, JobRow, JobState, check_job_ids, format_duration, merge_rows, parse_duration,
)


@pytest.mark.parametrize("text,seconds", [
    ("0:00", 0), ("1:26", 86), ("30:00", 1800), ("1:02:03", 3723), ("2-03:04:05", 183845),
    ("12", 12), ("05:00:00", 18000), ("UNLIMITED", None), ("INVALID", None), ("", None),
    ("NOT_SET", None), ("1:2:3:4", None),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("seconds", [0, 59, 61, 3600, 3723, 86400 + 5, 183845])
def test_format_duration_round_trips(seconds):
    assert parse_duration(format_duration(seconds)) == seconds


def test_final_states():
    assert {s for s in JobState if s.is_final} == {JobState.DONE, JobState.FAILED, JobState.CANCELLED}


def _row(job_id, state, raw=None, **kw):
    return JobRow(job_id, state, raw or state.value, **kw)


def test_merge_marks_a_vanished_job_done_keeping_what_was_known():
    previous = {"7": _row("7", JobState.RUNNING, nodes="cn01", name="dask-worker")}
    merged = merge_rows(previous, [], ["7"])
    assert merged == [JobRow("7", JobState.DONE, GONE_FROM_QUEUE, nodes="cn01", name="dask-worker")]


def test_merge_keeps_a_precise_final_state_when_the_job_later_vanishes():
    previous = {"8": _row("8", JobState.FAILED, "TIMEOUT", reason="TimeLimit")}
    assert merge_rows(previous, [], ["8"]) == [previous["8"]]


def test_merge_prefers_fresh_rows_drops_unasked_and_keeps_order():
    fresh = [_row("2", JobState.RUNNING), _row("99", JobState.RUNNING), _row("1", JobState.PENDING)]
    merged = merge_rows({}, fresh, ["1", "2", "3"])
    assert [(r.job_id, r.state, r.raw_state) for r in merged] == [
        ("1", JobState.PENDING, "PENDING"),
        ("2", JobState.RUNNING, "RUNNING"),
        ("3", JobState.DONE, GONE_FROM_QUEUE),
    ]


def test_merge_lets_a_requeued_job_come_back():
    previous = {"5": _row("5", JobState.FAILED, "NODE_FAIL")}
    assert merge_rows(previous, [_row("5", JobState.PENDING)], ["5"])[0].state is JobState.PENDING


@pytest.mark.parametrize("bad", ["", "1 2", "1,2", "-1", "--all"])
def test_check_job_ids_refuses_what_would_break_a_command_line(bad):
    with pytest.raises(ValueError, match=f"job id {bad!r} is not a valid batch job id"):
        check_job_ids(["1", bad])


def test_get_returns_a_module_per_kind_with_the_same_interface():
    for kind in KIND_NAMES:
        mod = schedulers.get(kind)
        assert mod.KIND == kind
        for fn in ("status_command", "parse_status", "means_no_jobs", "log_paths"):
            assert callable(getattr(mod, fn)), (kind, fn)
        assert mod.parse_status("") == []


def test_get_unknown_kind_names_the_valid_ones():
    with pytest.raises(ValueError, match="unknown batch system 'torque'.*slurm"):
        schedulers.get("torque")
