"""The failures benchmarks/time_to_verdict.py reproduces, one `Case` each (see ttv_harness.py).

Testbed cases need the SLURM testbed (`tests/testbed/start`); local ones run job scripts under
bash on this machine. Each case names its jobs uniquely and cleans up what it set up.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from ttv_harness import Case, Run, first_log_line, first_running, job_ended, never

from hpctui.core.session import events as ev


def _submitted(run: Run, e) -> None:
    # The local backend starts the job's bash process as it "submits": that is its start.
    if isinstance(e, ev.JobSubmitted):
        run.start_at = e.at


def _refused(run: Run, e) -> None:
    if isinstance(e, ev.SubmitFailed):
        run.start_at = e.at


def _refused_at_once(run: Run, e) -> None:
    # dask-jobqueue raises the submit command's error at once: the user sees it the same moment.
    if isinstance(e, ev.SubmitFailed):
        run.baseline_at = e.at


_LIMIT = re.compile(r"CANCELLED AT (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d) DUE TO TIME LIMIT")


def _time_limit(run: Run, e) -> None:
    # SLURM's own line stamps the kill (whole seconds, local time): the clock starts there.
    if isinstance(e, ev.LogLinesAppended):
        for line in e.lines:
            m = _LIMIT.search(line)
            if m:
                run.start_at = time.mktime(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))


def _worker_left(run: Run, e) -> None:
    if isinstance(e, ev.WorkerLeft):
        run.baseline_at = e.at


def _bare_python(tmp: Path) -> str:
    """A real Python without dask: a fresh venv with no packages."""
    venv = tmp / "bare-venv"
    if not venv.exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                       timeout=120)
    return str(venv / "bin" / "python")


def _hold_lock(local: Path):
    """Setup: hold <local>/dask-scratch-space/global.lock as a hung NFS lock would be."""
    def setup():
        lock = local / "dask-scratch-space" / "global.lock"
        lock.parent.mkdir(parents=True, exist_ok=True)
        holder = subprocess.Popen(["flock", str(lock), "-c", "echo held; exec sleep 600"],
                                  stdout=subprocess.PIPE, text=True)
        if holder.stdout.readline().strip() != "held":
            raise RuntimeError("flock did not take the lock")

        def cleanup():
            holder.kill()
            holder.wait()
        return cleanup
    return setup


def _eat_memory(megabytes: int):
    """Hook: once a worker joined, a client runs a task holding `megabytes`; the clock starts
    at its submission, the baseline is the client's KilledWorker."""
    started = threading.Event()

    def task(n: int) -> int:
        import time as t

        block = bytearray(n * 2**20)  # zero-filled: every page is touched
        t.sleep(5)
        return len(block)

    def client(run: Run) -> None:
        from distributed import Client

        with Client(run.scheduler_address, timeout=30) as c:
            future = c.submit(task, megabytes, pure=False)
            run.start_at = time.time()
            try:
                future.result(timeout=120)
                run.baseline_note = "the task finished: no memory failure happened"
            except Exception as exc:  # noqa: BLE001 - KilledWorker is the expected ending
                run.baseline_at = time.time()
                run.baseline_note = type(exc).__name__

    def hook(run: Run, e) -> None:
        if isinstance(e, ev.WorkerJoined) and not started.is_set():
            started.set()
            threading.Thread(target=client, args=(run,), daemon=True).start()
    return hook


def cases(tmp: Path, partition: str | None) -> list[Case]:
    """Every case; testbed ones only with a partition (the testbed is up)."""
    def testbed(extra: dict) -> dict:
        return {"name": f"ttv-{uuid.uuid4().hex[:6]}", "cores": 1, "memory": "1GB",
                "queue": partition, "walltime": "00:05:00", "python": sys.executable,
                "log-directory": str(tmp / "logs"),
                "scheduler-options": {"dashboard_address": "127.0.0.1:0"},
                "worker-extra-args": ["--dashboard-address", "127.0.0.1:0"], **extra}

    def local(extra: dict) -> dict:
        return {"name": f"ttv-{uuid.uuid4().hex[:6]}", "cores": 1, "memory": "1GiB",
                "python": sys.executable, "log-directory": str(tmp / "logs"),
                "scheduler-options": {"dashboard_address": "127.0.0.1:0"}, **extra}

    out = []
    if partition:
        out += [
            Case("no interface (wrong address)", "testbed", "slurm", testbed({}),
                 "workers-cannot-reach-scheduler", "job RUNNING",
                 "the nanny's connect time-out", first_running,
                 first_log_line("Timed out trying to connect", "Nanny failed to start")),
            Case("refused script", "testbed", "slurm",
                 testbed({"interface": "ib0", "queue": "nosuchpartition"}), "unknown-queue",
                 "sbatch refuses", "dask-jobqueue raises at once", _refused, _refused_at_once),
            Case("file-lock hang (sampler on)", "testbed", "slurm",
                 testbed({"interface": "ib0", "local-directory": str(tmp / "locked")}),
                 "nfs-file-locks", "job RUNNING", "the nanny's start time-out (death-timeout)",
                 first_running, first_log_line("nanny-instantiate-timeout", "failure-to-start",
                                               "Timed out connecting Nanny"),
                 cap=80.0, sampler=True, setup=_hold_lock(tmp / "locked")),
            Case("held job", "testbed", "slurm",
                 testbed({"interface": "ib0", "job-extra-directives": ["--hold"]}),
                 "jobs-pending", "sbatch accepts it", "none: the job pends, nothing is said",
                 _submitted, never, cap=10.0, accept=lambda f: "JobHeldUser" in f.title),
        ]
    out += [
        Case("missing python", "local", "local", local({"python": "/nonexistent/bin/python"}),
             "wrong-python", "job starts", "the job ends (exit 127), no worker",
             _submitted, job_ended),
        Case("missing distributed", "local", "local", local({"python": _bare_python(tmp)}),
             "wrong-python", "job starts", "the job ends (ModuleNotFoundError), no worker",
             _submitted, job_ended),
        Case("TLS one-sided", "local", "local", local({"job-script-prologue": [
            "export DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION=True"]}),
             "tls-one-side", "job starts", "the worker's own refusal",
             _submitted, first_log_line("encryption required")),
        Case("out of memory", "local", "local", local({"memory": "300MB"}),
             "out-of-memory", "a 600 MB task starts", "KilledWorker raised to the client",
             never, never, cap=90.0, hook=_eat_memory(600)),
    ]
    return out


def walltime_case(tmp: Path, partition: str) -> Case:
    """A 1-minute walltime reached by a connected worker (slow: run beside the others)."""
    return Case("walltime", "testbed", "slurm",
                {"name": f"ttv-{uuid.uuid4().hex[:6]}", "cores": 1, "memory": "1GB",
                 "queue": partition, "walltime": "00:01:00", "interface": "ib0",
                 "python": sys.executable, "log-directory": str(tmp / "logs-walltime"),
                 "scheduler-options": {"dashboard_address": "127.0.0.1:0"},
                 "worker-extra-args": ["--dashboard-address", "127.0.0.1:0"]},
                "walltime-reached", "SLURM kills the job at its limit",
                "the scheduler loses the worker", _time_limit, _worker_left, cap=30.0)


LOCKDOWN = Path(__file__).resolve().parent.parent / "tests" / "testbed" / "lockdown"


def lockdown(state: str) -> None:
    """`tests/testbed/lockdown on|off` (root): on, the compute node reaches only slurmctld."""
    subprocess.run(["bash", str(LOCKDOWN), state], check=True, capture_output=True, timeout=30)


def _locked_down():
    """Setup: the testbed's locked-down mode, on for this case only; its cleanup turns it off.
    Every other user of the testbed loses its workers while it is on: the caller runs this
    case alone, last, and turns it off again in a finally of its own as well."""
    def setup():
        lockdown("on")
        return lambda: lockdown("off")
    return setup


def locked_down_case(tmp: Path, partition: str) -> Case:
    """The login node refuses every connection from the compute node (failure mode 3): the
    probe's verdict names it; distributed retries "No route to host" until its connect
    time-out. Capped so the mode stays on no longer than that time-out and a little."""
    return Case("locked down", "testbed", "slurm",
                {"name": f"ttv-{uuid.uuid4().hex[:6]}", "cores": 1, "memory": "1GB",
                 "queue": partition, "walltime": "00:05:00", "interface": "ib0",
                 "python": sys.executable, "log-directory": str(tmp / "logs-locked"),
                 "scheduler-options": {"dashboard_address": "127.0.0.1:0"},
                 "worker-extra-args": ["--dashboard-address", "127.0.0.1:0"]},
                "login-node-locked-down", "job RUNNING", "the nanny's connect time-out",
                first_running,
                first_log_line("Timed out trying to connect", "Nanny failed to start"),
                cap=35.0, setup=_locked_down())


def scancel_all(cases_run: list[Case]) -> None:
    """Whatever happened, none of this benchmark's jobs stays queued."""
    for case in cases_run:
        if case.kind == "slurm":
            subprocess.run(["scancel", f"--name={case.settings['name']}"], capture_output=True,
                           timeout=30)
