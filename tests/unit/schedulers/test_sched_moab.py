"""Moab: showq --xml, from the documented format (tests/fixtures/moab)."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from hpctui.schedulers import moab
from hpctui.schedulers.base import JobState, ParseError, merge_rows

FIXTURES = Path(__file__).parents[2] / "fixtures" / "moab"


def test_status_command_lists_this_users_jobs():
    assert moab.status_command(["5101"]) == ["showq", "--xml", "-w", f"user={getpass.getuser()}"]


def test_parse_documented_xml():
    rows = {r.job_id: r for r in moab.parse_status((FIXTURES / "showq_xml.xml").read_text())}
    assert set(rows) == {"5101", "5102", "5103"}
    run = rows["5101"]
    assert (run.state, run.nodes, run.elapsed, run.elapsed_s, run.time_limit) == (
        JobState.RUNNING, "cn001", "1:02", 62, "30:00")
    assert (rows["5102"].state, rows["5102"].reason) == (JobState.PENDING, "eligible")
    assert (rows["5103"].state, rows["5103"].raw_state, rows["5103"].reason) == (
        JobState.PENDING, "BatchHold", "IdlePolicy")


def test_other_users_jobs_are_dropped_and_missing_ones_finished():
    parsed = moab.parse_status((FIXTURES / "showq_xml.xml").read_text())
    merged = merge_rows({}, parsed, ["5101", "5099"])
    assert [(r.job_id, r.state) for r in merged] == [("5101", JobState.RUNNING), ("5099", JobState.DONE)]


def test_bad_output():
    with pytest.raises(ParseError, match="not XML"):
        moab.parse_status("active jobs------------------------\n")
    with pytest.raises(ParseError, match="expected <Data>"):
        moab.parse_status("<job_info/>")


def test_log_paths_are_pbs_ones():
    assert moab.log_paths("5101", "dask-worker", None, "/home/a") == [
        Path("/home/a/dask-worker.e5101"), Path("/home/a/dask-worker.o5101")]
