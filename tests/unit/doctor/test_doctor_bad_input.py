"""Bad input on the local backend, for real: each round ends in a plain statement, never a cause.

- A worker that says nothing at all: `python` is a program that sleeps without a word, so the
  job runs, its log stays empty and no worker ever connects.
- A job RUNNING in the queue whose processes are frozen, as on a node that is down or hung:
  the job's processes are stopped with SIGSTOP right after it starts (the job's shell itself
  sleeps waiting for them, so `ps` still calls the job running); its log said one line before.

(The third, a probe that cannot be submitted, is in tests/unit/diagnosis/test_diagnosis_early.py:
a real refusal by a submit command that is not installed.)
"""

from __future__ import annotations

import re
import signal
import sys
from pathlib import Path

import psutil
import pytest

from hpctui.core.doctor.run import run_doctor
from hpctui.core.doctor.types import DoctorOptions

pytestmark = pytest.mark.timeout(180)

# Long enough for the local queue poller (every 2 s while jobs start) to see the job RUNNING
# on a busy machine; the statement is about what was seen by then.
ROUND = 12.0


def _config(tmp_path: Path, python: str) -> Path:
    path = tmp_path / "dask.yaml"
    path.write_text(f"""\
jobqueue:
  local:
    cores: 1
    memory: 1GiB
    name: bad-input
    log-directory: {tmp_path / 'logs'}
    python: {python}
    scheduler-options: {{dashboard_address: "127.0.0.1:0", host: 127.0.0.1}}
""")
    return path


def _script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def _doctor(path: Path, progress=None):
    options = DoctorOptions(kind="local", config_path=str(path), workers=1, timeout=ROUND,
                            probe=False, sample="never", max_rounds=1, cancel_wait=20)
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        if progress is not None:
            progress(line)

    return run_doctor(options, say, session_options={"handle_exits": False}), lines


def _statement(report):
    [rnd] = report.rounds
    assert not rnd.connected and rnd.ended.startswith("timed out"), rnd.ended
    # Nothing is claimed: the plain statement is the only finding of any weight.
    assert [f.rule_id for f in rnd.findings if f.confidence >= 0.5] == []
    [f] = [f for f in rnd.findings if f.rule_id == "running-no-worker"]
    assert f.fix.ops == () and "No cause is claimed" in f.explanation
    assert "No network probe has run." in f.explanation
    return f


def test_a_worker_that_says_nothing_ends_in_a_plain_statement(tmp_path):
    silent = _script(tmp_path, "silent-python", "exec sleep 600\n")
    report, lines = _doctor(_config(tmp_path, silent))
    assert report.exit_code == 1, "\n".join(lines)
    f = _statement(report)
    texts = [e.text for e in f.evidence]
    assert any(re.fullmatch(r"RUNNING on localhost for \d+ s, no worker of it connected", t)
               for t in texts), texts
    assert any(t.startswith("its log file exists and is empty") or t.startswith("no log file")
               for t in texts), texts
    assert "Its log is empty." in f.explanation


def test_a_running_job_whose_processes_are_frozen_ends_in_a_plain_statement(tmp_path):
    # The job says one line, then its worker is about to start: frozen before it can.
    wrapper = _script(tmp_path, "slow-python",
                      f"echo 'node up, starting the worker' >&2\nsleep 30\nexec {sys.executable} "
                      '"$@"\n')
    stopped: list[psutil.Process] = []

    def freeze(line: str) -> None:
        m = re.search(r"job (\d+) starting \(RUNNING\)", line)
        if m and not stopped:
            for child in psutil.Process(int(m.group(1))).children(recursive=True):
                child.send_signal(signal.SIGSTOP)
                stopped.append(child)

    try:
        report, lines = _doctor(_config(tmp_path, wrapper), freeze)
    finally:
        for p in stopped:  # let the cancel's SIGTERM (pending while stopped) land
            try:
                p.send_signal(signal.SIGCONT)
                p.kill()
            except psutil.NoSuchProcess:
                pass
    assert stopped, "\n".join(lines)
    assert report.exit_code == 1, "\n".join(lines)
    f = _statement(report)
    texts = [e.text for e in f.evidence]
    assert any(t.startswith("RUNNING on localhost for ") for t in texts), texts
    assert any(re.match(r"1 line\(s\); the last, \d+ s ago: node up, starting the worker", t)
               for t in texts), texts
    assert "The logs say nothing that explains it." in f.explanation
