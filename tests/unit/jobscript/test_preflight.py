"""Pre-flight parsers on what the real sbatch --test-only and qsub -w v printed on the testbeds
(tests/fixtures/preflight), and the debounced checker."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from hpctui.core.jobscript import preflight
from hpctui.schedulers import sge, slurm

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


@pytest.mark.parametrize("kind", ["pbs", "moab", "lsf", "oar", "htcondor", "local"])
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
