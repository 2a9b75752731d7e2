"""Pre-flight parsers on what the real sbatch --test-only and qsub -w v printed on the testbeds,
and the real condor_submit -dry-run printed (tests/fixtures/preflight; HTCondor's recorded by
tests/fixtures/htcondor/capture_dry_run.sh), and the debounced checker."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from hpctui.core.jobscript import preflight
from hpctui.core.jobscript.rejection import lines_mentioned
from hpctui.schedulers import htcondor, sge, slurm

FIXTURES = Path(__file__).parents[2] / "fixtures" / "preflight"


def _out(name: str) -> tuple[str, str]:
    return ((FIXTURES / f"{name}.stdout").read_text(), (FIXTURES / f"{name}.stderr").read_text())


def test_slurm_test_only():
    assert slurm.preflight_command("/tmp/j.sh") == ["sbatch", "--test-only", "/tmp/j.sh"]
    ok, said = slurm.parse_preflight(0, *_out("sbatch_test_only_accepted"))
    assert ok and said.startswith("Job ") and "in partition debug" in said
    ok, said = slurm.parse_preflight(1, *_out("sbatch_test_only_invalid_partition"))
    assert not ok and said == "sbatch: error: invalid partition specified: nosuchqueue"


def test_grid_engine_verify():
    assert sge.preflight_command("/tmp/j.sh") == ["qsub", "-w", "v", "/tmp/j.sh"]
    assert sge.parse_preflight(0, *_out("qsub_wv_accepted")) == (
        True, "verification: found suitable queue(s)")
    assert sge.parse_preflight(1, *_out("qsub_wv_unknown_queue")) == (
        False, 'Unable to run job: Job was rejected because job requests unknown queue "nosuchqueue"')
    ok, said = sge.parse_preflight(1, *_out("qsub_wv_no_suitable"))
    assert not ok and 'cannot run in PE "smp"' in said


def _exit(name: str) -> int:
    return int((FIXTURES / f"{name}.exit").read_text())


# The header of dask-jobqueue's HTCondor job script the fixtures were recorded with.
CONDOR_HEADER = ['MY.DaskWorkerName = "htcondor--$F(MY.JobId)--"', "batch_name = dummy-name",
                 "RequestCpus = MY.DaskWorkerCores",
                 "RequestMemory = floor(MY.DaskWorkerMemory / 1048576)",
                 "RequestDisk = floor(MY.DaskWorkerDisk / 1024)", 'MY.JobId = "$(ClusterId).$(ProcId)"']


def test_htcondor_dry_run():
    assert htcondor.preflight_command("/tmp/j.sh") == [
        "condor_submit", "-dry-run", "/dev/null", "/tmp/j.sh"]

    def parse(name):
        return htcondor.parse_preflight(_exit(name), *_out(name))

    assert parse("condor_dry_run_accepted") == (True, "1 job(s) dry-run to cluster 1.")
    # Accepted, but a line of the script does nothing: the warning is what is worth showing.
    ok, said = parse("condor_dry_run_unused_line")
    assert ok and said.startswith("WARNING: the line 'RequestMemory = ") and "typo" in said
    ok, said = parse("condor_dry_run_parse_error")
    assert not ok and said == ("ERROR: Parse error in expression: "
                               "RequestMemory = floor(MY.DaskWorkerMemory /")
    assert [CONDOR_HEADER[i] for i in lines_mentioned(_out("condor_dry_run_parse_error")[1],
                                                      CONDOR_HEADER)] == [CONDOR_HEADER[3]]
    assert parse("condor_dry_run_no_executable") == (
        False, "ERROR: Can't access executable file /nonexistent/bin/sh: No such file or directory")
    assert parse("condor_dry_run_unknown_universe") == (
        False, "ERROR: I don't know about the 'parallelx' universe.")
    # No condor_config on this node: condor_submit checked nothing, which is no refusal.
    ok, said = parse("condor_dry_run_no_config")
    assert ok is None and said.startswith("Neither the environment variable CONDOR_CONFIG")


def test_a_check_that_checked_nothing_is_no_verdict(tmp_path, monkeypatch):
    """The whole path with a stand-in condor_submit replaying the real no-config output:
    FAILED with what it said, no rejection view."""
    stand_in = tmp_path / "condor_submit"
    stand_in.write_text(f"#!/bin/sh\ncat {FIXTURES / 'condor_dry_run_no_config.stderr'} >&2\n"
                        f"exit {_exit('condor_dry_run_no_config')}\n")
    stand_in.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    verdict = preflight.check("htcondor", "#!/usr/bin/env condor_submit\nQueue\n", timeout=10)
    assert verdict.status == preflight.FAILED and verdict.rejection is None
    assert "could not check it: Neither the environment variable CONDOR_CONFIG" in verdict.message


@pytest.mark.parametrize("kind", ["pbs", "moab", "lsf", "oar", "local"])
def test_systems_without_a_check_say_so(kind):
    why = preflight.available(kind)
    assert why and "\n" not in why
    verdict = preflight.check(kind, "#!/bin/bash\n")
    assert (verdict.status, verdict.message) == (preflight.NOT_AVAILABLE, why)
    assert verdict.line().startswith("· pre-flight: ")


def test_missing_command_is_no_verdict(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    verdict = preflight.check("sge", "#!/bin/bash\n#$ -q all.q\n", timeout=5)
    assert verdict.status == preflight.FAILED and verdict.rejection is None


def test_checker_debounces_to_the_last_script():
    got, done = [], threading.Event()

    def on_verdict(v):
        got.append(v)
        done.set()

    checker = preflight.PreflightChecker("local", on_verdict, delay=0.3)
    try:
        for i in range(5):
            checker.request(f"#!/bin/bash\necho {i}\n")
        assert done.wait(10)
        checker.request("#!/bin/bash\necho 4\n")  # the same script: not checked again
        assert not threading.Event().wait(0.6)
    finally:
        checker.close()
    assert [v.script for v in got] == ["#!/bin/bash\necho 4\n"]
    assert checker.checks == 1
