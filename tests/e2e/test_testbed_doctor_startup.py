"""`hpctui doctor` on the SLURM testbed, a worker environment whose start-up blocks in `site`.

The workers' python is a venv of its own (made here; hpctui does not use it) with a .pth line
that opens a FIFO nobody writes to, as a site-packages directory on a hung mount would block.
The job runs on the compute node; the worker process never reaches its own code, so the
sampler alone sees nothing. With --sample the first round runs the workers under the start-up
watcher: doctor names the .pth file and line and the blocked `openat` on the FIFO within 10 s
of the job starting, proposes no fix, changes nothing, and exits 1.
"""

from __future__ import annotations

import os
import subprocess
import sysconfig
import uuid
import venv
from pathlib import Path

import pytest

from hpctui.core.doctor.report import render_report_text
from hpctui.core.doctor.run import run_doctor
from hpctui.core.doctor.types import DoctorOptions
from testbed_profiles import write_profile

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(300)]


def test_a_pth_blocked_on_a_fifo_is_named_on_the_compute_node(testbed, tmp_path):
    fifo = tmp_path / "licence.fifo"
    os.mkfifo(fifo)
    env = tmp_path / "worker-env"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(env)
    site = next(env.glob("lib/python*/site-packages"))
    (site / "00-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    line = f"import os; open({str(fifo)!r}).read()"
    (site / "zz_licence.pth").write_text(line + "\n")
    name = f"hpctui-startup-{uuid.uuid4().hex[:6]}"
    config = write_profile(tmp_path / "dask.yaml", name, queue=testbed.partition,
                           walltime="00:05:00", interface="ib0", python=env / "bin" / "python")
    options = DoctorOptions(kind="slurm", config_path=str(config), workers=1, timeout=60,
                            sample="always", probe=False, cancel_wait=30)
    lines: list[str] = []
    try:
        report = run_doctor(options, lines.append, session_options={"handle_exits": False})
    finally:
        subprocess.run(["scancel", f"--name={name}"], capture_output=True, timeout=30)
    text = render_report_text(report)
    assert report.exit_code == 1, text
    [finding] = report.findings
    assert finding.rule_id == "startup-stuck" and not finding.fix.ops and not finding.fix.action
    assert f"zz_licence.pth` line 1 (`{line}`)" in finding.explanation, text
    assert f"blocked in `openat` on `{fifo}`" in finding.explanation, text
    assert report.changes == () and len(report.rounds) == 1
    started = next(t.at for t in report.timeline if t.what.startswith("starting"))
    named = next(t.at for t in report.timeline if t.what == "start-up" and "zz_licence" in t.detail)
    assert named - started <= 10.0, text
    assert report.rounds[0].left_in_queue == ()
