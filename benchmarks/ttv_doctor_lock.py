"""The file-lock hang in `hpctui doctor` (part of benchmarks/time_to_verdict.py): seconds from
round 1's job RUNNING to the observation round naming the lock, with the silent round ended
early (`doctor/silence.py`, now) and waiting for the round's time-out (before), same run.

The workers' `global.lock` is held (flock) as a hung NFS lock would be; `interface: ib0` is
right, so the probe finds the network fine and only the observation round (start-up watcher
and stack sampler) can name the cause. Two rounds, no --fix.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

ROUND_TIMEOUT = 40.0  # the "before" run waits this long in round 1 (doctor's default: 300 s)


def _config(tmp: Path, name: str, partition: str) -> Path:
    path = tmp / f"{name}.yaml"
    path.write_text(f"""\
jobqueue:
  slurm:
    name: {name}
    cores: 1
    memory: 1GB
    queue: {partition}
    walltime: "00:05:00"
    interface: ib0
    python: {sys.executable}
    log-directory: {tmp / name / 'logs'}
    local-directory: {tmp / name / 'local'}
    scheduler-options: {{dashboard_address: "127.0.0.1:0"}}
    worker-extra-args: ["--dashboard-address", "127.0.0.1:0"]
""")
    return path


def doctor_lock(tmp: Path, partition: str, early: bool) -> dict:
    """One doctor run on the held lock; its figures from the report's own timeline."""
    from hpctui.core.doctor.run import run_doctor
    from hpctui.core.doctor.types import DoctorOptions

    name = f"ttv-lock-{uuid.uuid4().hex[:6]}"
    path = _config(tmp, name, partition)
    lock = tmp / name / "local" / "dask-scratch-space" / "global.lock"
    lock.parent.mkdir(parents=True)
    holder = subprocess.Popen(["flock", str(lock), "-c", "echo held; exec sleep 600"],
                              stdout=subprocess.PIPE, text=True)
    try:
        if holder.stdout.readline().strip() != "held":
            raise RuntimeError("flock did not take the lock")
        options = DoctorOptions(kind="slurm", config_path=str(path), workers=1,
                                timeout=ROUND_TIMEOUT, max_rounds=2, cancel_wait=30,
                                probe_timeout=90,
                                **({} if early else {"observe_after": None}))
        report = run_doctor(options, None, session_options={"handle_exits": False})
    finally:
        holder.kill()
        holder.wait()
        subprocess.run(["scancel", f"--name={name}"], capture_output=True, timeout=30)
    running = next((t.at for t in report.timeline if t.round == 1 and "RUNNING" in t.detail),
                   None)
    named = next((t.at for t in report.timeline
                  if t.what == "sampler found" and "file-lock" in t.detail), None)
    return {"exit": report.exit_code, "round1": report.rounds[0].duration,
            "ended": report.rounds[0].ended,
            "named": None if running is None or named is None else named - running,
            "rules": sorted({f.rule_id for f in report.findings})}
