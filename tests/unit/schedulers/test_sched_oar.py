"""OAR: oarstat -J, from the documented format (tests/fixtures/oar)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hpctui.schedulers import oar
from hpctui.schedulers.base import JobState, ParseError

FIXTURES = Path(__file__).parents[2] / "fixtures" / "oar"


def test_status_command():
    assert oar.status_command(["9101", "9102"]) == ["oarstat", "-J", "-j", "9101", "-j", "9102"]


def test_parse_documented_json():
    rows = {r.job_id: r for r in oar.parse_status((FIXTURES / "oarstat_J_j.json").read_text())}
    assert set(rows) == {"9101", "9102", "9103", "9104", "9105"}
    run = rows["9101"]
    assert (run.state, run.nodes, run.time_limit, run.time_limit_s, run.name) == (
        JobState.RUNNING, "cn-1.site.example", "30:00", 1800, "dask-worker")
    assert rows["9102"].state is JobState.PENDING and rows["9102"].nodes == ""
    assert (rows["9103"].state, rows["9103"].reason) == (JobState.FAILED, "exit code 1")
    assert (rows["9104"].state, rows["9104"].reason) == (JobState.CANCELLED, "deleted (oardel)")
    assert rows["9105"].state is JobState.DONE  # OAR 3 field names


def test_bad_output():
    with pytest.raises(ParseError, match="not valid JSON"):
        oar.parse_status("Job id    S User     Duration   System message\n")
    with pytest.raises(ParseError, match="not an object of jobs"):
        oar.parse_status("[]")
    assert oar.parse_status("{}") == []


def test_log_paths():
    assert oar.log_paths("9101", "dask-worker", "/ignored", "/home/a") == [
        Path("/home/a/OAR.dask-worker.9101.stderr"), Path("/home/a/OAR.dask-worker.9101.stdout")]
    assert oar.log_paths("9101", "", None, "/home/a")[1] == Path("/home/a/OAR.9101.stdout")
