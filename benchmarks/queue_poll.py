"""Queue-polling benchmark: how often hpctui's policy asks the batch system over a scripted
10-minute session, on a simulated clock (no batch system needed, runs in well under a second).

The script: submit 4 jobs (t=0), they pend for a minute, start at 60-75 s, their workers connect
at 70-90 s, steady state, a worker's job fails at 300 s, scale to 8 at 360 s (4 more jobs pend,
start, connect), steady, cancel all at 540 s, then nothing. Pokes happen where the session would
call poke(): submit, worker left, scale, cancel. Prints queries per minute, overall and per phase,
next to the fixed-interval pollers of peers (FAILURE-MODES.md: turm 2 s, stui / Open OnDemand 30 s).

    .venv/bin/python benchmarks/queue_poll.py

`--testbed slurm|sge` also measures the real poller against a real batch system (the testbeds,
tests/testbed/start [--gridengine]), about 100 s: one sleep job submitted held (pending), then
released (running; the job counts as connected once it runs, as its worker would), each phase
`--phase` seconds. Prints queries per minute in each phase and the mean time of one query
(squeue for SLURM; qstat -xml -r for Grid Engine, which lists all of the user's jobs).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from hpctui.core.batch.poller import PollPolicy  # noqa: E402
from hpctui.schedulers.base import JobRow, JobState  # noqa: E402

DURATION = 600.0

# job id -> (pending until, running until or None, final state, connected at or None)
JOBS = {
    "1": (0, 60, 540, JobState.CANCELLED, 70),
    "2": (0, 62, 300, JobState.FAILED, 72),  # the job dies at 300 s: its worker leaves
    "3": (0, 75, 540, JobState.CANCELLED, 88),
    "4": (0, 75, 540, JobState.CANCELLED, 90),
    "5": (360, 400, 540, JobState.CANCELLED, 412),
    "6": (360, 405, 540, JobState.CANCELLED, 415),
    "7": (360, 410, 540, JobState.CANCELLED, 420),
    "8": (360, 410, 540, JobState.CANCELLED, 425),
}
POKES = [0.0, 300.0, 360.0, 540.0]  # submit, worker left, scale, cancel
PHASES = [  # (name, start, end)
    ("submit+pending", 0, 60),
    ("running, connecting", 60, 90),
    ("steady (4 workers)", 90, 300),
    ("worker lost", 300, 360),
    ("scale to 8", 360, 425),
    ("steady (7 workers)", 425, 540),
    ("cancel, then idle", 540, 600),
]
COMPLETING_FOR = 5.0  # a cancelled job shows COMPLETING this long


def picture(t: float) -> tuple[list[str], dict[str, JobRow], set[str]]:
    """This session's job ids, what squeue would show, and connected jobs, at time t."""
    ids, rows, connected = [], {}, set()
    for j, (submit, start, end, final, conn) in JOBS.items():
        if t < submit:
            continue
        ids.append(j)
        if t < start:
            state = JobState.PENDING
        elif t < end:
            state = JobState.RUNNING
            if t >= conn:
                connected.add(j)
        elif t < end + COMPLETING_FOR and final is JobState.CANCELLED:
            state = JobState.COMPLETING
        else:
            state = final
        rows[j] = JobRow(j, state, state.value)
    return ids, rows, connected


def simulate(policy: PollPolicy) -> list[float]:
    """Times of the queries the runner would make (QueuePoller's logic on a simulated clock)."""
    queries, t, pokes = [], 0.0, list(POKES)
    seen: dict[str, JobRow] = {}
    while t < DURATION:
        ids, rows, connected = picture(t)
        active = PollPolicy.active_ids(ids, seen)
        if active:
            queries.append(t)
            seen.update({j: rows[j] for j in active})
        delay = policy.next_delay(ids, seen, connected, t)
        # A paused runner re-reads the job list each second without querying.
        wake = t + (1.0 if delay is None else delay)
        if pokes and pokes[0] <= wake:
            p = max(pokes.pop(0), t)
            policy.poke()  # resets the back-off...
            policy.take_poke()  # ...and the sleeping runner acts on it at once
            wake = p + policy.poke_delay
        t = wake
    return queries


def per_minute(times: list[float], start: float, end: float) -> float:
    return sum(start <= q < end for q in times) * 60.0 / (end - start)


# How to submit a held sleep job, release it, and cancel it, per batch system.
REAL = {
    "slurm": (["sbatch", "--parsable", "-H", "--time=00:05:00", "--output=/dev/null", "--job-name=hpctui-bench-poll"],
              ["scontrol", "release"], ["scancel"]),
    "sge": (["qsub", "-terse", "-h", "-j", "y", "-o", "/dev/null", "-l", "h_rt=00:05:00", "-N", "hpctui-bench-poll"],
            ["qrls"], ["qdel"]),
}


def real(kind: str, phase: float) -> None:
    """The real QueuePoller against the real `kind`: pending (held), then running."""
    from hpctui.core.batch.poller import QueuePoller

    submit, release, cancel = REAL[kind]
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
        f.write("#!/bin/bash\nsleep 300\n")
    out = subprocess.run([*submit, f.name], capture_output=True, text=True, check=True, timeout=30)
    job_id = out.stdout.strip().split(";")[0]
    rows: dict[str, JobRow] = {}
    durations: list[float] = []

    def on_rows(ev) -> None:
        rows.update({r.job_id: r for r in ev.rows})
        durations.append(ev.duration)

    running = lambda: {j for j, r in rows.items() if r.state is JobState.RUNNING}  # noqa: E731
    poller = QueuePoller(kind, lambda: [job_id], on_rows, lambda ev: print("failed:", ev.message),
                         connected_fn=running)
    try:
        poller.start()
        time.sleep(phase)
        pending = poller.queries
        subprocess.run([*release, job_id], capture_output=True, check=True, timeout=30)
        poller.poke()
        time.sleep(phase)
        steady = poller.queries - pending
    finally:
        poller.stop()
        subprocess.run([*cancel, job_id], capture_output=True, timeout=30)
        os.unlink(f.name)
    print(f"{kind} (real, job {job_id}): pending {pending * 60 / phase:.1f}/min, "
          f"released then running {steady * 60 / phase:.1f}/min, "
          f"one query {1000 * sum(durations) / max(1, len(durations)):.0f} ms on average")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--testbed", choices=sorted(REAL), action="append", default=[],
                        help="also poll this real batch system (repeatable)")
    parser.add_argument("--phase", type=float, default=50.0, help="seconds per real phase")
    args = parser.parse_args()
    times = simulate(PollPolicy())
    print(f"scripted session: {DURATION / 60:.0f} min, {len(JOBS)} jobs, {len(times)} queries")
    print(f"{'phase':<22} {'seconds':>8} {'queries':>8} {'per min':>8}")
    for name, start, end in PHASES:
        n = sum(start <= q < end for q in times)
        print(f"{name:<22} {end - start:>8.0f} {n:>8d} {per_minute(times, start, end):>8.1f}")
    print(f"{'overall':<22} {DURATION:>8.0f} {len(times):>8d} {per_minute(times, 0, DURATION):>8.1f}")
    print("fixed-interval peers over the same 10 min (they never pause): "
          f"every 2 s = {60 / 2:.1f}/min, every 30 s = {60 / 30:.1f}/min")
    for kind in args.testbed:
        real(kind, args.phase)


if __name__ == "__main__":
    main()
