"""SLURM: the squeue command and its parser, on output captured from the testbed."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from hpctui.core.batch.commands import run_command
from hpctui.schedulers import slurm
from hpctui.schedulers.base import GONE_FROM_QUEUE, JobState, ParseError, merge_rows

FIXTURES = Path(__file__).parents[2] / "fixtures" / "slurm"


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def _command_fixture(name: str) -> tuple[int, str, str]:
    """exit code, stdout, stderr from a capture.sh command file."""
    text = _fixture(name)
    code = int(text.split("exit_code: ", 1)[1].split("\n", 1)[0])
    out, err = text.split("--- stdout\n", 1)[1].split("--- stderr\n", 1)
    return code, out, err


def test_status_command_is_one_call_with_all_states_and_the_pipe_format():
    assert slurm.status_command(["3", "1", "2"]) == [
        "squeue", "--noheader", "--states=all", "--format=%i|%T|%r|%N|%M|%l|%j", "--jobs=3,1,2",
    ]


def test_capture_used_the_same_format():
    # The fixtures are only evidence for this parser if they were made with its format.
    assert f"FORMAT='{slurm.FORMAT}'" in _fixture("capture.sh")


def test_running():
    [row] = slurm.parse_status(_fixture("squeue_running.txt"))
    assert (row.job_id, row.state, row.raw_state, row.reason) == ("9", JobState.RUNNING, "RUNNING", "")
    assert (row.nodes, row.elapsed, row.elapsed_s) == ("cn01", "0:01", 1)
    assert (row.time_limit, row.time_limit_s, row.name) == ("30:00", 1800, "capture-running")


def test_pending_reasons():
    [res] = slurm.parse_status(_fixture("squeue_pending_resources.txt"))
    [held] = slurm.parse_status(_fixture("squeue_pending_held.txt"))
    [drained] = slurm.parse_status(_fixture("squeue_pending_drained.txt"))
    assert res.state is held.state is drained.state is JobState.PENDING
    assert (res.reason, held.reason) == ("Resources", "JobHeldUser")
    # The reason itself holds a comma: the parser must not split on it.
    assert drained.reason == "ReqNodeNotAvail, UnavailableNodes:cn01"
    assert drained.nodes == "" and drained.time_limit_s is None  # UNLIMITED


def test_mixed_in_one_call():
    rows = slurm.parse_status(_fixture("squeue_mixed.txt"))
    assert [(r.job_id, r.state) for r in rows] == [
        ("10", JobState.PENDING), ("11", JobState.PENDING),
        ("8", JobState.RUNNING), ("9", JobState.RUNNING),
    ]


@pytest.mark.parametrize("name,state,raw,reason", [
    ("squeue_completing.txt", JobState.COMPLETING, "COMPLETING", ""),
    ("squeue_completed.txt", JobState.DONE, "COMPLETED", ""),
    ("squeue_failed.txt", JobState.FAILED, "FAILED", "NonZeroExitCode"),
    ("squeue_timeout.txt", JobState.FAILED, "TIMEOUT", "TimeLimit"),
    ("squeue_cancelled_running.txt", JobState.CANCELLED, "CANCELLED", ""),
])
def test_ending_states(name, state, raw, reason):
    [row] = slurm.parse_status(_fixture(name))
    assert (row.state, row.raw_state, row.reason) == (state, raw, reason)


def test_cancelled_while_pending_keeps_the_old_reason():
    rows = slurm.parse_status(_fixture("squeue_cancelled_pending.txt"))
    assert [(r.state, r.reason, r.nodes) for r in rows] == [
        (JobState.CANCELLED, "Resources", ""), (JobState.CANCELLED, "JobHeldUser", "")]


def test_unknown_state_word_is_unknown_not_an_error():
    [row] = slurm.parse_status("5|SOMETHING_NEW|None|cn01|0:01|1:00|x\n")
    assert (row.state, row.raw_state) == (JobState.UNKNOWN, "SOMETHING_NEW")


def test_other_states_map(  # states the testbed can't easily produce, from squeue(1)
):
    for raw, state in [("NODE_FAIL", JobState.FAILED), ("OUT_OF_MEMORY", JobState.FAILED),
                       ("PREEMPTED", JobState.CANCELLED), ("CONFIGURING", JobState.PENDING),
                       ("SUSPENDED", JobState.PENDING), ("BOOT_FAIL", JobState.FAILED)]:
        [row] = slurm.parse_status(f"5|{raw}|None|cn01|0:01|1:00|x\n")
        assert row.state is state, raw


def test_a_pipe_in_the_job_name_stays_in_the_name():
    [row] = slurm.parse_status("5|RUNNING|None|cn01|0:01|1:00|odd|name\n")
    assert row.name == "odd|name" and row.time_limit == "1:00"


def test_the_default_format_is_refused_with_the_line():
    with pytest.raises(ParseError, match="squeue line has 1 fields, expected 7.*JOBID"):
        slurm.parse_status(_fixture("squeue_default_format.txt"))


def test_all_ids_aged_out_means_no_jobs_not_a_failure():
    code, out, err = _command_fixture("squeue_unknown_job.txt")
    assert slurm.means_no_jobs(code, out, err) and out == ""
    assert not slurm.means_no_jobs(1, "", "slurm_load_jobs error: Unable to contact slurm controller")
    # ...and then every job is reported finished, not lost.
    previous = {r.job_id: r for r in slurm.parse_status(_fixture("squeue_running.txt"))}
    [row] = merge_rows(previous, [], ["9"])
    assert (row.state, row.raw_state, row.nodes) == (JobState.DONE, GONE_FROM_QUEUE, "cn01")


def test_finished_without_states_all_is_empty():
    code, out, err = _command_fixture("squeue_finished_without_states_all.txt")
    assert code == 0 and slurm.parse_status(out) == []


def test_log_paths():
    assert slurm.log_paths("42", "dask-worker", "/scratch/logs", "/home/u") == [
        Path("/scratch/logs/dask-worker-42.err"), Path("/scratch/logs/dask-worker-42.out")]
    assert slurm.log_paths("42", "dask-worker", None, "/home/u") == [Path("/home/u/slurm-42.out")]


@pytest.mark.testbed
def test_real_squeue_from_pending_to_gone(testbed, tmp_path):
    """A held job, then released and run, then cancelled: each state read through our command."""
    sub = subprocess.run(
        ["sbatch", "--parsable", "--hold", "-J", "hpctui-sched-test", "-p", testbed.partition,
         f"--output={tmp_path}/slurm-%j.out", "--wrap", "sleep 60"],
        capture_output=True, text=True, timeout=30, check=True)
    job_id = sub.stdout.strip().split(";")[0]
    try:
        def rows():
            r = run_command(slurm.status_command([job_id]))
            assert r.ok, r.describe()
            return slurm.parse_status(r.stdout)

        [row] = rows()
        assert row.state is JobState.PENDING and row.name == "hpctui-sched-test"
        subprocess.run(["scontrol", "release", job_id], check=True, timeout=30)
        for _ in range(60):
            [row] = rows()
            if row.state is JobState.RUNNING:
                break
            time.sleep(0.5)
        assert row.state is JobState.RUNNING and row.nodes == testbed.node
        assert slurm.log_paths(job_id, "x", None, str(tmp_path))[0].exists()
        subprocess.run(["scancel", job_id], check=True, timeout=30)
        for _ in range(60):
            [row] = rows()
            if row.state.is_final:
                break
            time.sleep(0.5)
        assert row.state is JobState.CANCELLED
    finally:
        subprocess.run(["scancel", job_id], timeout=30)


def test_pending_behind_others_is_priority_and_not_yet_scheduled_has_no_reason():
    rows = slurm.parse_status(_fixture("squeue_pending_priority.txt"))
    assert [(r.state, r.reason) for r in rows] == [
        (JobState.PENDING, ""), (JobState.PENDING, "Priority"), (JobState.PENDING, "Priority")]
