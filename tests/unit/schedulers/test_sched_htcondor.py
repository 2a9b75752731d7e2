"""HTCondor: condor_q -json, from the documented format (tests/fixtures/htcondor)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hpctui.schedulers import htcondor
from hpctui.schedulers.base import JobState, ParseError

FIXTURES = Path(__file__).parents[2] / "fixtures" / "htcondor"


def test_status_command():
    cmd = htcondor.status_command(["8101.0", "8102.0"])
    assert cmd[:3] == ["condor_q", "-json", "-attributes"] and cmd[4:] == ["8101.0", "8102.0"]
    assert "JobStatus" in cmd[3] and "HoldReason" in cmd[3]


def test_parse_documented_json():
    rows = {r.job_id: r for r in htcondor.parse_status((FIXTURES / "condor_q_json.json").read_text())}
    assert set(rows) == {"8101.0", "8102.0", "8103.0", "8104.0", "8105.0"}
    run = rows["8101.0"]
    assert (run.state, run.raw_state, run.nodes, run.elapsed_s, run.elapsed) == (
        JobState.RUNNING, "Running", "cn001.cluster", 62, "1:02")
    assert run.name == "HTCondorCluster-0"
    assert rows["8102.0"].state is JobState.PENDING
    held = rows["8103.0"]
    assert held.state is JobState.PENDING and held.reason.startswith("held: Error from slot1@cn002")
    assert (rows["8104.0"].state, rows["8104.0"].nodes) == (JobState.CANCELLED, "cn001.cluster")
    assert (rows["8105.0"].state, rows["8105.0"].reason) == (JobState.FAILED, "exit code 1")


def test_bad_output():
    with pytest.raises(ParseError, match="not valid JSON"):
        htcondor.parse_status("-- Schedd: login01 : <10.0.0.1:9618?...\n")
    with pytest.raises(ParseError, match="not a list of job ads"):
        htcondor.parse_status("{}")


def test_log_paths():
    assert htcondor.log_paths("8101.0", "ignored", "/scratch/logs", "/home/a") == [
        Path("/scratch/logs/worker-8101.0.err"), Path("/scratch/logs/worker-8101.0.out")]
    assert htcondor.log_paths("8101", "x", "/l", "/h")[1] == Path("/l/worker-8101.0.out")
    assert htcondor.log_paths("8101.0", "x", None, "/h") == []
