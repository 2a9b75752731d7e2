"""Benchmark: the scheduler in a job (`scheduler-placement: job`) against `login`, on the testbed.

Prints (never asserts) the figures behind issue 14's targets, measured in the same run on the
SLURM testbed (`tests/testbed/start` must have run):
  - one queue round trip: `sbatch` of a trivial job until squeue shows it RUNNING (the unit the
    target is stated in);
  - apply -> N workers connected, `login` and `job` alternately: a session started on the
    profile and scaled to N, until the N-th worker joined (target: `job` costs no more than one
    extra queue round trip; the ratio and the extra seconds are printed);
  - reattach -> live screen: hpctui (headless, through Textual's Pilot) opened on a profile
    whose cluster was left running, until the Workers pane shows N/N connected (target < 2 s),
    and the same for the session alone (no UI).

    .venv/bin/python benchmarks/placement.py [--runs 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from session_events import EventLog  # noqa: E402

from hpctui.core.session import events as ev  # noqa: E402
from hpctui.core.session.cluster import ClusterSession  # noqa: E402
from hpctui.core.session.placement import session_kwargs  # noqa: E402


def testbed_facts() -> dict[str, str]:
    here = Path(__file__).resolve().parent.parent / "tests" / "testbed" / "status"
    out = subprocess.run(["bash", str(here)], capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        sys.exit(f"testbed is not running: {out.stderr.strip()}")
    return dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:40s} (no data)"
    return (f"{name:40s} median {statistics.median(values):6.2f} s   min {min(values):6.2f} s   "
            f"max {max(values):6.2f} s   (n={len(values)})")


def queue_round_trip(partition: str) -> float:
    name = f"bench-rt-{uuid.uuid4().hex[:6]}"
    t = time.monotonic()
    subprocess.run(["sbatch", "-p", partition, "-J", name, "--mem=100M", "-o", "/dev/null",
                    "--wrap", "sleep 30"], check=True, capture_output=True, timeout=30)
    try:
        while True:
            out = subprocess.run(["squeue", "--noheader", f"--name={name}", "--format=%T"],
                                 capture_output=True, text=True, timeout=20).stdout
            if "RUNNING" in out:
                return time.monotonic() - t
            time.sleep(0.05)
    finally:
        subprocess.run(["scancel", f"--name={name}"], capture_output=True, timeout=20)


def profile(facts, base: Path, name: str, placement: str) -> dict:
    kw = dict(cores=1, memory="1GB", processes=1, queue=facts["PARTITION"], walltime="00:10:00",
              job_name=name, log_directory=str(base / "logs"), python=sys.executable,
              interface="ib0", scheduler_options={"dashboard_address": ":0"},
              worker_extra_args=["--dashboard-address", ":0"])
    return session_kwargs(kw, {"scheduler-placement": placement})


SCHEDULER_TRIPS: list[float] = []  # scheduler job submitted -> its scheduler connected


def apply_to_connected(kwargs: dict, n: int, config: Path, leave: bool = False) -> float:
    s = ClusterSession("slurm", kwargs, handle_exits=False, config_path=str(config))
    log = EventLog()
    s.subscribe(log)
    t = time.monotonic()
    s.start()
    s.scale(n)
    try:
        log.wait_for(ev.WorkerJoined, count=n, timeout=300)
        took = time.monotonic() - t
        submitted = [e for e in log.of(ev.JobSubmitted) if e.role == "scheduler"]
        if submitted:
            SCHEDULER_TRIPS.append(log.of(ev.ClusterStarted)[0].at - submitted[0].at)
        return took
    finally:
        s.close(leave=leave)
        s.wait_closed(120)


def reattach_session(kwargs: dict, config: Path, n: int) -> float:
    from hpctui.core.session.attach import find_cluster

    state, _ = find_cluster("slurm", config)
    t = time.monotonic()
    s = ClusterSession("slurm", kwargs, handle_exits=False, config_path=str(config),
                       attach=state)
    log = EventLog()
    s.subscribe(log)
    s.start()
    try:
        log.wait_for(ev.WorkerJoined, count=n, timeout=60)
        return time.monotonic() - t
    finally:
        s.close(leave=True)
        s.wait_closed(60)


def write_config(facts, base: Path, name: str) -> Path:
    config = base / "site.yaml"
    config.write_text(
        "jobqueue:\n  slurm:\n"
        f"    name: {name}\n    cores: 1\n    memory: 1GB\n    queue: {facts['PARTITION']}\n"
        f"    walltime: '00:10:00'\n    interface: ib0\n    python: {sys.executable}\n"
        f"    log-directory: {base / 'logs'}\n    scheduler-placement: job\n"
        "    scheduler-options: {dashboard_address: ':0'}\n"
        "    worker-extra-args: ['--dashboard-address', ':0']\n")
    return config


async def reattach_screen(config: Path, n: int) -> float:
    from textual.css.query import NoMatches

    from hpctui.core.session.context import LaunchContext
    from hpctui.core.session.workspace import Workspace
    from hpctui.ui.app import HpcTuiApp

    t = time.monotonic()
    app = HpcTuiApp(LaunchContext("slurm", "bench", config, True),
                    workspace_loader=lambda: Workspace.from_config("slurm", config, paths=[],
                                                                   environ={}))
    took = None
    async with app.run_test(size=(160, 48)) as pilot:
        while time.monotonic() - t < 60:
            try:
                text = str(app.pane("workers").query_one("#workers-count").render())
            except NoMatches:
                text = ""
            if f"{n}/{n} connected" in text:
                took = time.monotonic() - t
                break
            await pilot.pause(0.02)
        app.session.close(leave=True)
    app.shutdown(60)
    return took if took is not None else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    facts = testbed_facts()
    n = args.workers
    trips, login, job, again, screen = [], [], [], [], []
    with tempfile.TemporaryDirectory(prefix="hpctui-bench-placement-") as tmp:
        base = Path(tmp)
        import os

        os.environ["HPCTUI_STATE_DIR"] = str(base / "state")
        os.environ["DASK_CONFIG"] = str(base / "dask")
        name = f"bench-place-{uuid.uuid4().hex[:6]}"
        config = write_config(facts, base, name)
        try:
            for run in range(args.runs):
                trips.append(queue_round_trip(facts["PARTITION"]))
                login.append(apply_to_connected(profile(facts, base, name, "login"), n, config))
                job.append(apply_to_connected(profile(facts, base, name, "job"), n, config,
                                              leave=True))
                again.append(reattach_session(profile(facts, base, name, "job"), config, n))
                screen.append(asyncio.run(reattach_screen(config, n)))
                from hpctui.core.session.attach import cancel_cluster, find_cluster

                state, _ = find_cluster("slurm", config)
                if state is not None:
                    cancel_cluster(state, force=True)
                print(f"run {run + 1}: round trip {trips[-1]:.2f} s, login {login[-1]:.2f} s, "
                      f"job {job[-1]:.2f} s, reattach {again[-1]:.2f} s (session), "
                      f"{screen[-1]:.2f} s (screen)", flush=True)
        finally:
            subprocess.run(["scancel", f"--name={name},{name}-scheduler"], capture_output=True,
                           timeout=20)
    print()
    print(summary("one queue round trip (sbatch -> RUNNING)", trips))
    print(summary(f"apply -> {n} connected, login", login))
    print(summary(f"apply -> {n} connected, job", job))
    extra = [j - lo for j, lo in zip(job, login)]
    print(summary("job - login (extra)", extra))
    print(summary("scheduler job: submitted -> connected", SCHEDULER_TRIPS))
    ratio = statistics.median(job) / statistics.median(login)
    # The extra is one job's way through the queue and its python's start: measured here as
    # the scheduler job's own submit -> connected, and against the bare queue latency.
    trip = statistics.median(SCHEDULER_TRIPS)
    print(f"{'ratio job / login (medians)':40s} {ratio:.2f}x; extra {statistics.median(extra):.2f} s"
          f" = {statistics.median(extra) / trip:.2f} x the scheduler job's own round trip "
          f"(target <= 1); bare queue latency {statistics.median(trips):.2f} s")
    print(summary("reattach -> N connected (session)", again))
    print(summary("reattach -> N/N on screen (app)", screen) + "   (target < 2 s)")


if __name__ == "__main__":
    main()
