"""LSF: bjobs -o ... -json, from the documented format (tests/fixtures/lsf)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hpctui.schedulers import lsf
from hpctui.schedulers.base import JobState, ParseError, merge_rows

FIXTURES = Path(__file__).parents[2] / "fixtures" / "lsf"


def test_status_command():
    assert lsf.status_command(["7101", "7102"]) == [
        "bjobs", "-a", "-hms", "-o",
        "jobid stat job_name exec_host pend_reason run_time runtimelimit exit_code exit_reason",
        "-json", "7101", "7102"]


def test_parse_documented_json():
    text = (FIXTURES / "bjobs_o_json.json").read_text()
    rows = {r.job_id: r for r in lsf.parse_status(text)}
    assert set(rows) == {"7101", "7102", "7103", "7104", "7105"}  # 7199: not found
    run = rows["7101"]
    assert (run.state, run.nodes, run.elapsed_s, run.time_limit_s) == (JobState.RUNNING, "cn001", 62, 1800)
    assert rows["7102"].state is JobState.PENDING
    assert rows["7102"].reason == "Job requirements for reserving resources (mem) not satisfied: 12 hosts"
    assert (rows["7103"].state, rows["7103"].reason) == (JobState.CANCELLED, "TERM_OWNER: job killed by owner")
    assert rows["7104"].state is JobState.FAILED and rows["7104"].reason.startswith("TERM_MEMLIMIT")
    assert (rows["7105"].state, rows["7105"].nodes, rows["7105"].time_limit_s) == (
        JobState.DONE, "cn004,cn005", None)
    # The not-found id is reported finished, not lost, and bjobs' exit is not an error.
    assert lsf.means_no_jobs(255, text, "")
    assert merge_rows({}, lsf.parse_status(text), ["7199"])[0].state is JobState.DONE


def test_times_without_hms():
    [row] = lsf.parse_status((FIXTURES / "bjobs_o_json_no_hms.json").read_text())
    assert (row.elapsed_s, row.time_limit_s) == (62, 1800)


def test_bad_output():
    with pytest.raises(ParseError, match="not valid JSON"):
        lsf.parse_status("JOBID   USER    STAT  QUEUE\n")
    with pytest.raises(ParseError, match="no 'RECORDS' list"):
        lsf.parse_status('{"COMMAND": "bjobs"}')
    assert not lsf.means_no_jobs(255, "", "LSF is down. Please wait ...")


def test_log_paths():
    assert lsf.log_paths("7101", "LSFCluster-0", "/scratch/logs", "/home/a") == [
        Path("/scratch/logs/LSFCluster-0-7101.err"), Path("/scratch/logs/LSFCluster-0-7101.out")]
    assert lsf.log_paths("7101", "w", None, "/home/a") == []


def test_site_unit_for_limits_from_lsf_conf(tmp_path):
    from hpctui.schedulers.lsf import parse_unit_for_limits, site_unit_for_limits

    conf = (FIXTURES / "lsf.conf").read_text()
    assert parse_unit_for_limits(conf) == "MB"  # the commented-out line does not count
    assert parse_unit_for_limits("LSF_UNIT_FOR_LIMITS=G  # And a comment\n") == "G"
    assert parse_unit_for_limits("LSF_UNIT_FOR_LIMITS=KB\nLSF_UNIT_FOR_LIMITS=GB\n") == "GB"
    assert parse_unit_for_limits("LSB_JOB_MEMLIMIT=Y\n") is None
    (tmp_path / "lsf.conf").write_text(conf)
    assert site_unit_for_limits({"LSF_ENVDIR": str(tmp_path)}) == "MB"
    assert site_unit_for_limits({"LSF_ENVDIR": str(tmp_path / "nowhere")}) is None
