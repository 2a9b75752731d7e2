"""The probe's phases: which of started / python started / connected it reached when no
report came, measured by marks the job's shell and netprobe.py leave in the shared directory."""

from __future__ import annotations

import sys
import venv
from pathlib import Path

import pytest

from hpctui.core.network import probe_phases as pp
from hpctui.core.network.probe_run import run_probe
from hpctui.core.network.probe_verdict import NO_REPORT, REACHABLE

pytestmark = pytest.mark.timeout(120)


def _local(tmp_path: Path, **extra) -> dict:
    return dict(cores=1, memory="1GB", log_directory=str(tmp_path / "logs"), **extra)


def test_the_words_for_each_last_phase():
    said = pp.describe([], "/env/bin/python", 30, "/shared")
    assert "not even 'started'" in said and "/shared is not shared" in said
    said = pp.describe([pp.STARTED], "/env/bin/python", 30, "/shared")
    assert "reached 'started'" in said and "not 'python started'" in said
    assert "/env/bin/python" in said and "30 s" in said
    assert "not 'connected'" in pp.describe([pp.STARTED, pp.PYTHON_STARTED], "p", 30, "/s")
    assert "never arrived" in pp.describe([pp.STARTED, pp.PYTHON_STARTED, pp.CONNECTED],
                                         "p", 30, "/s")


def test_marks_file_and_shell_mark(tmp_path):
    path = pp.phases_path(str(tmp_path / "hpctui-probe-abc.json"))
    assert path.endswith("hpctui-probe-abc.json.phases")
    import subprocess

    subprocess.run(["bash", "-c", pp.shell_mark(path)], check=True)
    (Path(path)).open("a").write("python-started\nconnected ib0\n")
    assert pp.read_phases(path) == ["started", "python-started", "connected"]
    assert pp.read_phases(str(tmp_path / "none")) == []


def test_a_python_stuck_in_a_pth_is_said_to_have_started_but_not_python(tmp_path):
    env = tmp_path / "env"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(env)
    site = next(env.glob("lib/python*/site-packages"))
    (site / "zz_slow.pth").write_text("import time; time.sleep(3600)\n")
    result = run_probe("local", _local(tmp_path, python=str(env / "bin" / "python")),
                       shared_dir=str(tmp_path / "shared"), addresses=[("lo", "127.0.0.1")],
                       report_timeout=6)
    assert result.verdict == NO_REPORT
    assert "reached 'started'" in result.message and "not 'python started'" in result.message
    assert "may not start" not in result.message  # measured, not guessed


def test_a_probe_that_reports_left_its_marks_and_they_are_cleaned_up(tmp_path):
    shared = tmp_path / "shared"
    result = run_probe("local", _local(tmp_path, python=sys.executable), shared_dir=str(shared),
                       addresses=[("lo", "127.0.0.1")], report_timeout=60)
    assert result.verdict == REACHABLE
    assert not list(shared.glob("*.phases"))
