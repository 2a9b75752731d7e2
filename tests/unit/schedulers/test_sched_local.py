"""The local backend's status: real processes read through ps."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from hpctui.core.batch.commands import run_command
from hpctui.schedulers import local
from hpctui.schedulers.base import GONE_FROM_QUEUE, JobState, ParseError, merge_rows


def test_status_command():
    assert local.status_command(["12", "34"]) == ["ps", "-o", "pid=,stat=,etime=", "-p", "12,34"]
    with pytest.raises(ValueError, match="local job id 'abc' is not a pid"):
        local.status_command(["abc"])


def test_parse_documented_lines():
    text = "  4242 Ss       01:02\n  4243 T   1-02:03:04\n 4244 Z        00:05\n"
    rows = local.parse_status(text)
    assert [(r.job_id, r.state, r.raw_state, r.elapsed_s) for r in rows] == [
        ("4242", JobState.RUNNING, "Ss", 62),
        ("4243", JobState.PENDING, "T", 93784),
        ("4244", JobState.DONE, "Z", 5),
    ]
    with pytest.raises(ParseError, match="ps line is not 'pid stat etime': 'garbage'"):
        local.parse_status("garbage\n")


def test_real_processes_running_then_gone():
    alive = subprocess.Popen(["sleep", "30"])
    done = subprocess.Popen(["true"])
    done.wait()  # reaped: its pid is gone
    ids = [str(alive.pid), str(done.pid)]
    try:
        r = run_command(local.status_command(ids))
        assert r.ok, r.describe()
        rows = merge_rows({}, local.parse_status(r.stdout), ids)
        assert rows[0].state is JobState.RUNNING and rows[0].job_id == str(alive.pid)
        assert (rows[1].state, rows[1].raw_state) == (JobState.DONE, GONE_FROM_QUEUE)
    finally:
        alive.kill()
        alive.wait()
    r = run_command(local.status_command(ids))
    assert local.means_no_jobs(r.exit_code, r.stdout, r.stderr) and local.parse_status(r.stdout) == []


def test_log_paths(tmp_path):
    assert local.log_paths("77", "dask-worker", str(tmp_path), "/unused") == [
        tmp_path / "dask-worker-77.err", tmp_path / "dask-worker-77.out"]
    from hpctui.core.batch.localjob import default_log_directory
    assert local.log_paths("77", "w", None, "/unused")[1] == Path(default_log_directory()) / "w-77.out"


FIXTURES = Path(__file__).parents[2] / "fixtures" / "local"


def test_captured_running_stopped_zombie():
    rows = local.parse_status((FIXTURES / "ps_running_stopped_zombie.txt").read_text())
    assert [r.state for r in rows] == [JobState.RUNNING, JobState.PENDING, JobState.DONE]
    assert [r.raw_state for r in rows] == ["S", "T", "Z"]


def test_captured_all_gone():
    code = int((FIXTURES / "ps_all_gone.exit_code").read_text())
    out = (FIXTURES / "ps_all_gone.txt").read_text()
    assert local.means_no_jobs(code, out, "") and local.parse_status(out) == []
