"""What an end-to-end test needs to ask a real batch system, the same way for SLURM and Grid Engine.

The `batch` fixture (tests/conftest.py) hands a test one `BatchSystem` per testbed, so one test
body runs on both. Each method calls the batch system's own commands (squeue/scancel/scontrol,
qstat/qdel/qhold), never hpctui's code: the tests check hpctui against what the system says.
Jobs are found by their name, unique per test: several engineers share the testbeds.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path


def _run(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=30, check=check)


class BatchSystem:
    """One running testbed (`tb`: the conftest Testbed) and the commands that ask it."""

    def __init__(self, tb) -> None:
        self.tb = tb
        self.kind = tb.kind  # hpctui's name: "slurm" or "sge"
        self.queue = tb.partition  # the SLURM partition / the Grid Engine queue
        self.label = "SLURM" if self.kind == "slurm" else "Grid Engine"
        self.submit = "sbatch" if self.kind == "slurm" else "qsub"
        self.directive = "#SBATCH" if self.kind == "slurm" else "#$"
        # The check that queues nothing, as the pre-flight runs it.
        self.preflight_command = "sbatch --test-only" if self.kind == "slurm" else "qsub -w v"

    def __repr__(self) -> str:
        return f"BatchSystem({self.kind})"

    def name(self, what: str) -> str:
        # Grid Engine refuses a job name that starts with a digit; both accept this.
        return f"tb-{what}-{uuid.uuid4().hex[:8]}"

    def kwargs(self, tmp_path: Path, job_name: str, **extra) -> dict:
        """dask-jobqueue keyword arguments for one small worker per job on this testbed."""
        kw = dict(cores=1, memory="1GB", processes=1, queue=self.queue, walltime="00:10:00",
                  job_name=job_name, log_directory=str(tmp_path / "logs"), python=sys.executable,
                  interface="ib0",
                  scheduler_options={"dashboard_address": "127.0.0.1:0"},
                  worker_extra_args=["--dashboard-address", "127.0.0.1:0"])
        kw.update(extra)
        return kw

    def queue_line(self, value: str) -> str:
        """The header line dask-jobqueue writes for `queue: value`."""
        return f"#SBATCH -p {value}" if self.kind == "slurm" else f"#$ -q {value}"

    # --- the queue, as the batch system itself reports it ---------------------------------

    def jobs(self, job_name: str) -> dict[str, str]:
        """{job id: the system's own state word} of every job called `job_name`."""
        if self.kind == "slurm":
            out = _run("squeue", "--noheader", f"--name={job_name}", "--format=%i %t", check=True)
            return dict(line.split() for line in out.stdout.splitlines() if line.strip())
        out = _run("qstat", "-xml", "-u", "*", check=True)
        found = {}
        for job in ET.fromstring(out.stdout).iter("job_list"):
            if (job.findtext("JB_name") or "") == job_name:
                found[job.findtext("JB_job_number") or ""] = job.findtext("state") or ""
        return found

    def queued(self, job_name: str) -> list[str]:
        return list(self.jobs(job_name))

    def wait_queue_empty(self, job_name: str, seconds: float = 15.0) -> list[str]:
        """The ids still queued under `job_name` once none are, or once `seconds` have passed."""
        deadline = time.monotonic() + seconds
        ids = self.queued(job_name)
        while ids and time.monotonic() < deadline:
            time.sleep(0.5)
            ids = self.queued(job_name)
        return ids

    def wait_state(self, job_name: str, states: set[str], seconds: float = 60.0) -> dict[str, str]:
        """The jobs once one of them shows one of `states` (the system's words); AssertionError
        naming what was seen otherwise."""
        deadline = time.monotonic() + seconds
        seen = self.jobs(job_name)
        while not set(seen.values()) & states:
            if time.monotonic() > deadline:
                raise AssertionError(f"{job_name}: no job reached {states} in {seconds:.0f} s: {seen}")
            time.sleep(0.5)
            seen = self.jobs(job_name)
        return seen

    # --- acting on jobs as a user would ---------------------------------------------------

    def cancel_name(self, job_name: str) -> None:
        """Cancel every job called `job_name` (cleanup after a failed assertion)."""
        if self.kind == "slurm":
            _run("scancel", f"--name={job_name}")
            return
        ids = self.queued(job_name)
        if ids:
            _run("qdel", *ids)

    def hold(self, job_id: str) -> None:
        if self.kind == "slurm":
            _run("scontrol", "hold", job_id, check=True)
        else:
            _run("qhold", job_id, check=True)

    def release(self, job_id: str) -> None:
        if self.kind == "slurm":
            _run("scontrol", "release", job_id, check=True)
        else:
            _run("qrls", job_id, check=True)

    @property
    def held_states(self) -> set[str]:
        """The system's own words for a held job (squeue %t, qstat's letters)."""
        return {"PD"} if self.kind == "slurm" else {"hqw", "hRq", "hr"}

    @property
    def running_states(self) -> set[str]:
        return {"R"} if self.kind == "slurm" else {"r"}
