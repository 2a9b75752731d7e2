"""PBS Pro / OpenPBS: qstat -x -f -F json, from the documented format (tests/fixtures/pbs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hpctui.schedulers import pbs
from hpctui.schedulers.base import JobState, ParseError

FIXTURES = Path(__file__).parents[2] / "fixtures" / "pbs"


def test_status_command():
    assert pbs.status_command(["4101", "4102"]) == ["qstat", "-x", "-f", "-F", "json", "4101", "4102"]


def test_parse_documented_json():
    rows = {r.job_id: r for r in pbs.parse_status((FIXTURES / "qstat_x_f_json.json").read_text())}
    assert set(rows) == {"4098", "4099", "4100", "4101", "4102", "4103", "4104"}
    run = rows["4101"]
    assert (run.state, run.raw_state, run.nodes, run.name) == (JobState.RUNNING, "R", "cn001", "dask-worker")
    assert (run.elapsed_s, run.time_limit_s, run.reason) == (62, 1800, "")
    queued = rows["4102"]
    assert queued.state is JobState.PENDING and queued.reason.startswith("Not Running: Insufficient amount")
    assert rows["4103"].state is JobState.PENDING and "held" in rows["4103"].reason
    assert (rows["4098"].state, rows["4098"].reason) == (JobState.FAILED, "killed: walltime limit exceeded")
    assert (rows["4099"].state, rows["4099"].reason) == (JobState.CANCELLED, "killed by signal 15 (qdel)")
    assert (rows["4100"].state, rows["4100"].raw_state) == (JobState.DONE, "F")
    assert rows["4104"].state is JobState.COMPLETING


def test_deleted_before_running_has_no_exit_status():
    [row] = pbs.parse_status('{"Jobs": {"7.s": {"job_state": "F", "comment": "Job deleted"}}}')
    assert (row.state, row.reason) == (JobState.CANCELLED, "Job deleted")


def test_unknown_job_exit():
    text = (FIXTURES / "qstat_unknown_job.txt").read_text()
    err = text.split("--- stderr\n", 1)[1]
    assert pbs.means_no_jobs(153, "", err)
    assert not pbs.means_no_jobs(1, "", "qstat: cannot connect to server pbs01 (errno=111)")


def test_not_json_is_a_parse_error():
    with pytest.raises(ParseError, match="not valid JSON"):
        pbs.parse_status("Job id   Name   User\n")
    with pytest.raises(ParseError, match="no 'Jobs' object"):
        pbs.parse_status("[]")


def test_log_paths():
    assert pbs.log_paths("4101", "dask-worker", "/scratch/logs", "/home/a") == [
        Path("/scratch/logs/dask-worker.e4101"), Path("/scratch/logs/dask-worker.o4101")]
    assert pbs.log_paths("4101.pbs01", "w", None, "/home/a")[1] == Path("/home/a/w.o4101")
