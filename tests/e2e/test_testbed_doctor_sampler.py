"""`hpctui doctor` on the SLURM testbed when the workers hang silently: the probe, then the sampler.

The workers' workspace `global.lock` is held by another process (flock, from this test), as a
hung NFS lock would be: the worker process waits in `locket` and never says a word, so the
first round times out with nothing explaining it. The network probe runs (the profile's
`interface: ib0` is right, so it says the compute node reaches the login node), the next round
runs the workers under the stack sampler (in memory only), which finds them stuck in the file
lock, and the fix `distributed.worker.use-file-locking: false` lets the third round connect.
With --fix that fix is written to the config file, and the sampler's `python` never is; without
--fix doctor exits 1 naming the lock.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from hpctui.core.doctor.run import run_doctor
from hpctui.core.doctor.types import DoctorOptions
from hpctui.core.doctor.report import render_report_text
from testbed_profiles import write_profile

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(400)]

TIMEOUT = 60.0  # per round: a healthy worker connects in ~2 s here; silence ends it sooner


def _config(testbed, tmp_path: Path, name: str) -> Path:
    return write_profile(
        tmp_path / "dask.yaml", name,
        comment="workers that hang on their workspace lock (comments must survive doctor --fix)",
        queue=testbed.partition, walltime="00:05:00", interface="ib0", python=sys.executable,
        extra=f"    local-directory: {tmp_path / 'local'}  # the lock lives under here\n")


class _HeldLock:
    """`flock` on the workspace's global.lock, held until `release()`."""

    def __init__(self, local_dir: Path) -> None:
        # distributed puts the workspace in <local-directory>/dask-scratch-space and takes
        # global.lock there before anything else.
        lock = local_dir / "dask-scratch-space" / "global.lock"
        lock.parent.mkdir(parents=True)
        self.proc = subprocess.Popen(["flock", str(lock), "-c", "echo held; exec sleep 600"],
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "held"

    def release(self) -> None:
        self.proc.kill()
        self.proc.wait()


def _cleanup(name: str) -> None:
    # Stuck workers never leave by themselves: free the shared node whatever happened.
    subprocess.run(["scancel", f"--name={name}"], capture_output=True, timeout=30)


def _doctor(path: Path, fix: bool, lines: list[str], max_rounds: int = 4):
    options = DoctorOptions(kind="slurm", config_path=str(path), workers=1, timeout=TIMEOUT,
                            fix=fix, max_rounds=max_rounds, probe_timeout=90, cancel_wait=30)
    # In pytest's main thread: leave pytest's signal handlers alone (the finally cancels).
    return run_doctor(options, lines.append, session_options={"handle_exits": False})


def _none_queued(name: str) -> None:
    out = subprocess.run(["squeue", "--noheader", f"--name={name}", "--format=%i %T"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"jobs left in the queue: {out.stdout}"


def test_doctor_fix_probes_samples_finds_the_lock_and_writes_only_the_fix(testbed, tmp_path):
    name = f"doc-lock-{uuid.uuid4().hex[:8]}"
    path = _config(testbed, tmp_path, name)
    lines: list[str] = []
    held = _HeldLock(tmp_path / "local")
    try:
        report = _doctor(path, True, lines)
    finally:
        held.release()
        _cleanup(name)
    log = "\n".join(lines)
    print(render_report_text(report))
    assert report.exit_code == 0, log
    first, second, third = report.rounds
    # Round 1: silent; the probe ran and found the network fine (interface is right), and the
    # silent logs ended the round well before its time-out (nothing claimed: what was seen).
    assert not first.connected and first.ended.startswith("silent, observing"), first.ended
    assert first.duration < TIMEOUT, first.duration
    assert not first.sampled and first.jobs_ran >= 1
    assert first.probe_verdict and "From compute node" in first.probe_verdict, first.probe_verdict
    assert "interface: ib0" in first.probe_verdict
    # Round 2: the same profile under the sampler, which finds the worker in the lock.
    assert second.sampled and "hpctui-sampler.py" in second.job_script
    assert not second.connected and second.ended.startswith("diagnosed"), second.ended
    assert second.probe_verdict is None  # the sampler explained it: no second probe job
    lock = [n for n in second.sampler.found if n.site == "file-lock"]
    assert lock and "locket" in lock[0].frame and lock[0].seconds >= 5, second.sampler
    assert "worker process" in lock[0].process
    finding = next(f for f in second.findings if f.rule_id == "nfs-file-locks")
    assert any(e.source.startswith("hot stack ") and "locket" in e.text for e in finding.evidence)
    # Round 3: the fix, without the sampler, connects even though the lock is still held.
    assert third.connected and not third.sampled
    assert "hpctui-sampler.py" not in third.job_script
    assert "USE_FILE_LOCKING=False" in third.job_script
    assert [c.rule_id for c in report.changes] == ["nfs-file-locks"]
    assert report.changes[0].round == 2 and report.changes[0].written
    text = path.read_text()
    assert "use-file-locking: false" in text
    assert "hpctui-sampler" not in text
    assert f"python: {sys.executable}" in text
    assert "# the lock lives under here" in text
    whats = [(t.round, t.what) for t in report.timeline]
    assert (1, "probe") in whats and (2, "sampler on") in whats and (2, "sampler found") in whats
    assert all(r.left_in_queue == () for r in report.rounds)
    _none_queued(name)


def test_doctor_without_fix_exits_1_naming_the_lock(testbed, tmp_path):
    from hpctui.core.doctor.report import report_to_json

    name = f"doc-lock-{uuid.uuid4().hex[:8]}"
    path = _config(testbed, tmp_path, name)
    before = path.read_text()
    lines: list[str] = []
    held = _HeldLock(tmp_path / "local")
    try:
        # Two rounds are enough to name it: the timeout (with the probe), then the sampler.
        report = _doctor(path, False, lines, max_rounds=2)
    finally:
        held.release()
        _cleanup(name)
    assert report.exit_code == 1, "\n".join(lines)
    assert [r.sampled for r in report.rounds] == [False, True]
    assert "nfs-file-locks" in [f.rule_id for f in report.findings]
    text = render_report_text(report)
    assert "sampler: on" in text and " stuck " in text and "locket" in text
    doc = report_to_json(report)
    assert doc["rounds"][1]["sampler"]["found"][0]["site"] == "file-lock"
    assert path.read_text() == before
    assert not (tmp_path / "dask.yaml.bak").exists()
    _none_queued(name)
