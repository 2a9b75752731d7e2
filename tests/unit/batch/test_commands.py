"""run_command with real processes: success, failure, hang, missing program."""

from __future__ import annotations

import time

import pytest

from hpctui.core.batch.commands import run_command
from waits import wait_until


def test_success_captures_stdout_stderr_and_exit_code():
    r = run_command(["bash", "-c", "echo out; echo err >&2; exit 0"])
    assert r.ok and r.exit_code == 0
    assert r.stdout == "out\n" and r.stderr == "err\n"
    assert r.argv == ("bash", "-c", "echo out; echo err >&2; exit 0")
    assert r.describe() == ""
    assert not r.timed_out and not r.not_found


def test_failure_keeps_exit_code_and_first_stderr_line():
    r = run_command(["bash", "-c", "echo 'slurm_load_jobs error: Invalid job id specified' >&2; exit 1"])
    assert not r.ok and r.exit_code == 1
    assert r.describe() == "bash exited with code 1: slurm_load_jobs error: Invalid job id specified"


def test_hung_command_is_killed_at_the_timeout():
    start = time.monotonic()
    r = run_command(["sleep", "30"], timeout=0.5)
    elapsed = time.monotonic() - start
    assert r.timed_out and r.exit_code is None
    assert 0.4 < r.duration < 3 and elapsed < 5
    assert r.describe() == "sleep timed out after 0.5 s"


def test_timeout_kills_the_whole_process_group(tmp_path):
    # A wrapper script whose child keeps the pipe open: without killing the group,
    # communicate() would wait for the grandchild.
    pidfile = tmp_path / "pid"
    start = time.monotonic()
    r = run_command(["bash", "-c", f"sleep 30 & echo $! > {pidfile}; echo partial; wait"], timeout=0.5)
    assert r.timed_out and time.monotonic() - start < 5
    assert r.stdout == "partial\n"
    pid = int(pidfile.read_text())
    assert _gone_or_zombie(pid)


def _gone_or_zombie(pid: int) -> bool:
    # The killed grandchild is reparented; until its new parent reaps it, it is a zombie.
    def ended() -> bool:
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
        except FileNotFoundError:
            return True

    try:
        wait_until(ended, f"process {pid} to end")
    except AssertionError:
        return False
    return True


def test_missing_program_is_not_found():
    r = run_command(["hpctui-no-such-squeue", "--noheader"])
    assert r.not_found and r.exit_code is None and not r.ok
    assert r.describe() == "hpctui-no-such-squeue not found"


def test_not_executable_is_a_launch_error(tmp_path):
    script = tmp_path / "squeue"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    r = run_command([str(script)])
    assert not r.not_found and r.launch_error
    assert r.describe().startswith("squeue could not be started: ")


def test_bad_arguments_name_the_value():
    with pytest.raises(ValueError, match="timeout must be > 0 seconds, got 0"):
        run_command(["true"], timeout=0)
    with pytest.raises(ValueError, match="argv is empty"):
        run_command([])
