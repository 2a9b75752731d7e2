"""`hpctui doctor` on the local backend: real bash-run jobs, real workers, real config files.

A profile whose `python` does not exist fails fast (bash: No such file or directory); doctor
must name it, try the fix, and (with --fix) write it into the file with its comments kept.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from waits import wait_until

pytestmark = pytest.mark.timeout(180)

ROOT = Path(__file__).resolve().parents[3]


def _config(tmp_path: Path, python: str, name: str) -> Path:
    path = tmp_path / "dask.yaml"
    path.write_text(f"""\
jobqueue:
  local:
    # one small worker, kept by doctor
    cores: 1
    memory: 1GiB
    name: {name}
    log-directory: {tmp_path / 'logs'}
    python: {python}  # the interpreter the job runs
    scheduler-options: {{dashboard_address: "127.0.0.1:0", host: 127.0.0.1}}
    worker-extra-args: ["--dashboard-address", "127.0.0.1:0"]
""")
    return path


def _doctor(tmp_path, *args):
    return subprocess.run([sys.executable, "-m", "hpctui", "doctor", "--scheduler", "local",
                           "--no-probe", *map(str, args)], capture_output=True, text=True,
                          timeout=150, cwd=tmp_path)


def test_unknown_scheduler_is_exit_2_one_line(tmp_path):
    out = _doctor(tmp_path, "--scheduler", "nosuchkind")
    assert out.returncode == 2
    assert "nosuchkind" in out.stderr and "Traceback" not in out.stderr


def test_missing_and_malformed_config_are_exit_2_one_line(tmp_path):
    out = _doctor(tmp_path, "--config", tmp_path / "absent.yaml")
    assert out.returncode == 2, out.stderr
    assert "absent.yaml" in out.stderr and "Traceback" not in out.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("jobqueue:\n  local:\n    cores: [1\n")
    out = _doctor(tmp_path, "--config", bad)
    assert out.returncode == 2, out.stderr
    assert "bad.yaml" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_good_profile_connects_exit_0_and_json_schema(tmp_path):
    path = _config(tmp_path, sys.executable, "doc-good")
    out = _doctor(tmp_path, "--config", path, "--timeout", 60, "--json")
    assert out.returncode == 0, out.stderr + out.stdout
    doc = json.loads(out.stdout)
    assert doc["schema"] == "hpctui.doctor/1" and doc["connected"] is True
    assert doc["environment"]["dask_jobqueue"] and doc["batch_system"] == "local"
    whats = [t["what"] for t in doc["timeline"]]
    assert whats.index("submitted") < whats.index("worker joined")
    assert doc["rounds"][0]["left_in_queue"] == [] and doc["rounds"][0]["job_ids"]
    assert doc["findings"] == [] and doc["changes"] == []


def test_a_skip_entry_that_removes_nothing_is_said_before_round_1_and_blocks_nothing(tmp_path):
    path = _config(tmp_path, sys.executable, "doc-skip")
    path.write_text(path.read_text() + "    job-directives-skip: ['#SBATCH -t']\n")
    out = _doctor(tmp_path, "--config", path, "--timeout", 60)
    assert out.returncode == 0, out.stderr + out.stdout
    warning = ("warning: job-directives-skip: '#SBATCH -t' removes no header line; remove it")
    progress = out.stderr.splitlines()
    said = next(i for i, line in enumerate(progress) if line.startswith(warning))
    assert said < next(i for i, line in enumerate(progress) if line.startswith("round 1"))
    assert "profile warning: job-directives-skip: '#SBATCH -t' removes no header line" \
        in out.stdout


def test_wrong_python_without_fix_exits_1_and_leaves_the_file(tmp_path):
    path = _config(tmp_path, "/nonexistent/bin/python", "doc-nofix")
    before = path.read_text()
    out = _doctor(tmp_path, "--config", path, "--timeout", 60)
    assert out.returncode == 1, out.stderr + out.stdout
    assert "wrong-python" in out.stdout and "/nonexistent/bin/python" in out.stdout
    # The second round ran with the fix in memory and connected: the report says so.
    assert "round 2: 1/1 connected" in out.stdout
    assert "not written" in out.stdout
    assert path.read_text() == before
    assert not (tmp_path / "dask.yaml.bak").exists()
    assert "STILL QUEUED" not in out.stdout
    # The text report carries the job script it submitted and the environment.
    assert "Job script (round 1)" in out.stdout
    assert "/nonexistent/bin/python -m distributed.cli.dask_worker" in out.stdout
    assert "dask-jobqueue 0.9.0" in out.stdout


def test_wrong_python_with_fix_writes_it_keeping_comments(tmp_path):
    path = _config(tmp_path, "/nonexistent/bin/python", "doc-fix")
    out = _doctor(tmp_path, "--config", path, "--timeout", 60, "--fix", "--json")
    assert out.returncode == 0, out.stderr + out.stdout
    doc = json.loads(out.stdout)
    assert [c["rule_id"] for c in doc["changes"]] == ["wrong-python"]
    assert doc["changes"][0]["written"] is True
    text = path.read_text()
    assert f"python: {sys.executable}" in text
    assert "# one small worker, kept by doctor" in text
    assert "/nonexistent/bin/python" in (tmp_path / "dask.yaml.bak").read_text()
    assert all(r["left_in_queue"] == [] for r in doc["rounds"])


def test_options_refuse_bad_values_by_name():
    from hpctui.core.doctor.types import DoctorInputError, DoctorOptions

    with pytest.raises(DoctorInputError, match="--workers.*0"):
        DoctorOptions(workers=0)
    with pytest.raises(DoctorInputError, match="--timeout.*-1"):
        DoctorOptions(timeout=-1)
    with pytest.raises(DoctorInputError, match="--probe-after.*-2"):
        DoctorOptions(early_grace=-2)


def test_probe_after_below_zero_is_exit_2_one_line(tmp_path):
    out = _doctor(tmp_path, "--probe-after", "-2")
    assert out.returncode == 2, out.stderr
    assert "--probe-after" in out.stderr and "Traceback" not in out.stderr


def test_ctrl_c_cancels_the_jobs(tmp_path):
    import os
    import re
    import signal
    import time

    path = _config(tmp_path, sys.executable, "doc-int")
    text = path.read_text().replace("    cores: 1\n",
                                    "    cores: 1\n    job-script-prologue: [\"sleep 600\"]\n")
    path.write_text(text)
    proc = subprocess.Popen([sys.executable, "-m", "hpctui", "doctor", "--scheduler", "local",
                             "--no-probe", "--config", str(path), "--timeout", "120"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    job_id = None
    deadline = time.monotonic() + 60
    lines = []
    while time.monotonic() < deadline and job_id is None:
        line = proc.stderr.readline()
        lines.append(line)
        if m := re.search(r"job (\d+) submitted", line):
            job_id = int(m.group(1))
    assert job_id is not None, "".join(lines)
    os.kill(job_id, 0)  # the job (its bash) runs
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, "".join(lines) + err + out

    def job_gone() -> bool:
        try:
            os.kill(job_id, 0)
            with open(f"/proc/{job_id}/stat") as f:
                return f.read().split(") ", 1)[1][0] == "Z"  # a zombie has ended
        except (ProcessLookupError, FileNotFoundError):
            return True

    wait_until(job_gone, f"job {job_id} to end after Ctrl-C")
