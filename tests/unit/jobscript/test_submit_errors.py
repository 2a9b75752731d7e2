"""Submission failures parsed back into fields, from the exceptions dask-jobqueue really raises."""

from __future__ import annotations

import sys

import pytest
from dask_jobqueue.core import Job
from dask_jobqueue.slurm import SLURMJob

from hpctui.core.jobscript.submit_errors import parse_submit_exception


async def test_runtime_error_of_a_failed_command_gives_each_field():
    script = "echo 'partial out'; echo 'sbatch: error: invalid partition specified: nosuch' >&2; " \
             "echo 'sbatch: error: Batch job submission failed' >&2; exit 1"
    with pytest.raises(RuntimeError) as info:
        await Job._call(["sh", "-c", script])
    err = parse_submit_exception(info.value)
    assert err.exit_code == 1
    assert err.command == f"sh -c {script}"
    assert err.stdout == "partial out\n"
    assert err.stderr == ("sbatch: error: invalid partition specified: nosuch\n"
                          "sbatch: error: Batch job submission failed\n")
    assert not err.id_not_parsed
    assert err.summary() == "sh exited with code 1: sbatch: error: invalid partition specified: nosuch"


async def test_multiline_stdout_and_empty_stderr():
    with pytest.raises(RuntimeError) as info:
        await Job._call([sys.executable, "-c", "print('a\\nstdout:\\nb'); raise SystemExit(3)"])
    err = parse_submit_exception(info.value)
    assert (err.exit_code, err.stdout, err.stderr) == (3, "a\nstdout:\nb\n", "")


def test_output_without_job_id_is_flagged():
    job = SLURMJob(scheduler="tcp://127.0.0.1:8786", name="x", cores=1, memory="1GiB")
    with pytest.raises(ValueError) as info:
        job._job_id_from_submit_output("sbatch: queued, come back later\n")
    err = parse_submit_exception(info.value, command="sbatch")
    assert err.id_not_parsed
    assert err.exit_code == 0
    assert err.command == "sbatch"
    assert err.stdout == "sbatch: queued, come back later\n"
    assert err.job_id_regexp == r"(?P<job_id>\d+)"
    assert err.summary() == "could not find a job id in the output of sbatch"


def test_any_other_exception_is_kept_whole():
    err = parse_submit_exception(FileNotFoundError(2, "No such file or directory", "sbatch"),
                                 command="sbatch /tmp/x.sh")
    assert err.exit_code is None
    assert err.command == "sbatch /tmp/x.sh"
    assert err.stderr.startswith("FileNotFoundError: ")
    assert "sbatch" in err.message
