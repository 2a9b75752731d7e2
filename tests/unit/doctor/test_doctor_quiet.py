"""`hpctui doctor` prints only its own lines: the real command against an LSF that refuses the
job script (a stand-in `bsub` replaying Summit's captured refusal) with the dashboard's port
already taken, which makes distributed warn and tornado log a traceback per refused submission.

Those reach neither stdout nor stderr: the report's notes say each once, attributed, the
traceback reduced to its exception's line; `--json` is one document and stderr stays empty.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from hpctui.core.jobscript.submit_errors import parse_submit_exception

pytestmark = pytest.mark.timeout(400)

ROOT = Path(__file__).resolve().parents[3]
SUMMIT_REJECTION = ROOT / "tests" / "fixtures" / "diagnosis" / "summit_bsub_rejection.txt"
# What a library's own output looks like; none of it may reach the terminal.
LIBRARY_NOISE = re.compile(r"Traceback|tornado|UserWarning|warnings\.warn|Perhaps you already"
                           r"|^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - ", re.M)


def _stand_in_bsub(bin_dir: Path) -> None:
    """`bsub` that prints Summit's captured stdout and stderr and exits 255, whatever it gets."""
    error = parse_submit_exception(RuntimeError(SUMMIT_REJECTION.read_text()))
    bin_dir.mkdir()
    (bin_dir / "bsub.stdout").write_text(error.stdout)
    (bin_dir / "bsub.stderr").write_text(error.stderr)
    here = shlex.quote(str(bin_dir / "bsub"))
    (bin_dir / "bsub").write_text(f"#!/bin/sh\ncat {here}.stdout\ncat {here}.stderr >&2\n"
                                  f"exit {error.exit_code}\n")
    (bin_dir / "bsub").chmod(0o755)


@pytest.fixture
def refusing_lsf(tmp_path):
    """(config path, environment): the stand-in on PATH; the profile's dashboard on a port
    this test holds, so distributed must warn that it is in use (as with a busy 8787)."""
    _stand_in_bsub(tmp_path / "bin")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = tmp_path / "lsf.yaml"
        config.write_text(f"""\
jobqueue:
  lsf:
    cores: 42
    memory: 500GB
    project: GEN119
    walltime: '00:30'
    use-stdin: false
    log-directory: {tmp_path / 'logs'}
    scheduler-options: {{dashboard_address: '127.0.0.1:{port}'}}
""")
        env = {**os.environ, "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}"}
        yield config, env


def _doctor(config: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hpctui", "doctor", "--scheduler", "lsf",
                           "--config", str(config), "--timeout", "120", *args],
                          capture_output=True, text=True, timeout=360, env=env,
                          cwd=config.parent)


def test_text_report_has_only_doctors_lines(refusing_lsf):
    out = _doctor(*refusing_lsf)
    assert out.returncode == 1, out.stderr
    assert not LIBRARY_NOISE.search(out.stderr), out.stderr
    # The libraries' messages are in the report once each, as notes, attributed.
    report_lines = out.stdout.splitlines()
    noisy = [line for line in report_lines if LIBRARY_NOISE.search(line)]
    assert noisy and all(line.startswith("Note: ") for line in noisy), noisy
    port = [line for line in noisy if "is already in use" in line]
    assert len(port) == 1 and "distributed/node.py" in port[0], noisy
    callback = [line for line in noisy if "Exception in callback" in line]
    assert len(callback) == 1, noisy
    assert ("tornado.application logged an error: Exception in callback "
            "SpecCluster._correct_state_internal(): RuntimeError: Command exited with non-zero "
            "exit code. (the refused submission") in callback[0]
    # ... and the refusal itself is what the report is about.
    assert "submission refused (bsub exited with code 255" in out.stdout
    assert "lsf-easy-mode" in out.stdout


def test_json_is_one_document_and_stderr_stays_empty(refusing_lsf):
    out = _doctor(*refusing_lsf, "--json")
    assert out.returncode == 1, out.stderr
    assert out.stderr == ""
    report = json.loads(out.stdout)
    assert report["findings"][0]["rule_id"] == "lsf-easy-mode"
    assert any("is already in use" in n for n in report["notes"]), report["notes"]
    assert any("(the refused submission" in n for n in report["notes"]), report["notes"]
