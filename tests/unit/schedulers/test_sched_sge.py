"""Grid Engine: qstat -xml -r, from the documented format (tests/fixtures/sge)."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from hpctui.schedulers import sge
from hpctui.schedulers.base import JobState, ParseError, merge_rows

FIXTURES = Path(__file__).parents[2] / "fixtures" / "sge"


def test_status_command():
    assert sge.status_command(["6101"]) == ["qstat", "-xml", "-r", "-u", getpass.getuser()]


def test_parse_documented_xml():
    rows = {r.job_id: r for r in sge.parse_status((FIXTURES / "qstat_xml_r.xml").read_text())}
    assert set(rows) == {"6101", "6102", "6103", "6104", "6105"}
    run = rows["6101"]
    assert (run.state, run.raw_state, run.nodes, run.name) == (
        JobState.RUNNING, "r", "cn001.cluster", "dask-worker")
    assert (run.time_limit, run.time_limit_s) == ("00:30:00", 1800)
    assert rows["6102"].state is JobState.PENDING and rows["6102"].nodes == ""
    assert rows["6103"].state is JobState.FAILED and "qstat -j" in rows["6103"].reason
    assert (rows["6104"].state, rows["6104"].time_limit_s) == (JobState.COMPLETING, 1800)
    assert (rows["6105"].state, rows["6105"].reason) == (JobState.PENDING, "held")


@pytest.mark.parametrize("raw,state", [
    ("qw", JobState.PENDING), ("hqw", JobState.PENDING), ("hRwq", JobState.PENDING),
    ("r", JobState.RUNNING), ("Rr", JobState.RUNNING), ("t", JobState.PENDING),
    ("s", JobState.PENDING), ("S", JobState.PENDING), ("dr", JobState.COMPLETING),
    ("Eqw", JobState.FAILED), ("zz", JobState.UNKNOWN),
])
def test_state_letters(raw, state):
    assert sge._state(raw)[0] is state


def test_empty_queue_and_vanished_jobs():
    assert sge.parse_status((FIXTURES / "qstat_xml_empty.xml").read_text()) == []
    [row] = merge_rows({}, [], ["6101"])
    assert row.state is JobState.DONE


def test_bad_output():
    with pytest.raises(ParseError, match="not XML"):
        sge.parse_status("job-ID  prior   name\n")


def test_log_paths():
    assert sge.log_paths("6101", "dask-worker", "/scratch/logs", "/home/a") == [
        Path("/scratch/logs/dask-worker.o6101")]
    assert sge.log_paths("6101", "dask-worker", None, "/home/a") == [Path("/home/a/dask-worker.o6101")]
