"""Nothing left behind, on the local backend: SIGTERM, SIGHUP, an unhandled exception and
interpreter exit cancel every job; after kill -9 the record lets the next start find them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hpctui.core.batch import cleanup
from hpctui.core.batch.localjob import cancel_local_job
from waits import WAIT_S

pytestmark = pytest.mark.timeout(180)

CHILD = Path(__file__).parents[2] / "session_child.py"


def alive(pid: str) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def start_child(tmp_path, mode: str, n: int = 3):
    # Jobs that never become workers (a `python` that only sleeps) are enough to prove the
    # cancel, and spare the 2 shared cores three Dask workers per test.
    kwargs = dict(cores=1, memory="1GiB", processes=1, python="sleep 600; true",
                  log_directory=str(tmp_path / "logs"),
                  scheduler_options={"dashboard_address": "127.0.0.1:0", "host": "127.0.0.1"})
    proc = subprocess.Popen([sys.executable, str(CHILD), "local", json.dumps(kwargs), str(n), mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])})
    line = proc.stdout.readline().split()
    assert line and line[0] == "JOBS", (line, proc.stderr.read() if proc.poll() is not None else "")
    ids = line[1:]
    assert len(ids) == n
    if mode == "wait":
        assert all(alive(j) for j in ids)
    return proc, ids


def wait_gone(ids, timeout=WAIT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(j) for j in ids):
        time.sleep(0.1)
    left = [j for j in ids if alive(j)]
    for j in left:  # don't leave them behind ourselves
        cancel_local_job(j, signal.SIGKILL)
    return left


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_signal_cancels_every_job(tmp_path, sig):
    proc, ids = start_child(tmp_path, "wait")
    proc.send_signal(sig)
    assert proc.wait(30) == -sig  # it still dies of the signal, as the default would
    assert wait_gone(ids) == []
    assert cleanup.find_leftovers() == []  # the record went with the jobs


def test_unhandled_exception_cancels_every_job(tmp_path):
    proc, ids = start_child(tmp_path, "raise")
    assert proc.wait(30) == 1
    assert "an unhandled exception in the application" in proc.stderr.read()
    assert wait_gone(ids) == []
    assert cleanup.find_leftovers() == []


def test_kill_9_leaves_a_record_the_next_start_finds_and_cancels(tmp_path):
    proc, ids = start_child(tmp_path, "wait", n=2)
    proc.kill()
    proc.wait(30)
    assert all(alive(j) for j in ids)  # nothing could run: that is what the record is for
    leftovers = cleanup.find_leftovers()
    assert [(lo.kind, set(lo.job_ids), lo.pid) for lo in leftovers] == [("local", set(ids), proc.pid)]
    results = cleanup.cancel_leftovers(leftovers)
    assert [r.ok for r in results] == [True]
    assert wait_gone(ids) == []
    assert cleanup.find_leftovers() == []
    assert not leftovers[0].record.exists()


def test_a_live_process_record_is_not_a_leftover(tmp_path):
    rec = cleanup.JobRecord("slurm", tmp_path)
    rec.add("123")
    assert cleanup.find_leftovers(tmp_path) == []  # it is ours, and we are alive
    data = json.loads(rec.path.read_text())
    assert data["job_ids"] == ["123"] and data["kind"] == "slurm"
    rec.remove(["123"])
    assert not rec.path.exists()


def test_cancel_command_failure_is_reported(tmp_path, monkeypatch):
    d = tmp_path / "bin"
    d.mkdir()
    (d / "scancel").write_text("#!/bin/sh\necho 'scancel: error: Kill job error on job id 5: Invalid job id specified' >&2\nexit 1\n")
    (d / "scancel").chmod(0o755)
    monkeypatch.setenv("PATH", f"{d}{os.pathsep}{os.environ['PATH']}")
    r = cleanup.cancel_jobs_now("slurm", ["5"], timeout=5)
    assert not r.ok
    assert r.detail == "scancel exited with code 1: scancel: error: Kill job error on job id 5: Invalid job id specified"
