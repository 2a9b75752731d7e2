"""Queue-polling benchmark: how often hpctui's policy asks the batch system over a scripted
10-minute session, on a simulated clock (no batch system needed, runs in well under a second).

The script: submit 4 jobs (t=0), they pend for a minute, start at 60-75 s, their workers connect
at 70-90 s, steady state, a worker's job fails at 300 s, scale to 8 at 360 s (4 more jobs pend,
start, connect), steady, cancel all at 540 s, then nothing. Pokes happen where the session would
call poke(): submit, worker left, scale, cancel. Prints queries per minute, overall and per phase,
next to the fixed-interval pollers of peers (FAILURE-MODES.md: turm 2 s, stui / Open OnDemand 30 s).

    .venv/bin/python benchmarks/queue_poll.py
"""

from __future__ import annotations

import argparse
import os
import sys

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


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    times = simulate(PollPolicy())
    print(f"scripted session: {DURATION / 60:.0f} min, {len(JOBS)} jobs, {len(times)} queries")
    print(f"{'phase':<22} {'seconds':>8} {'queries':>8} {'per min':>8}")
    for name, start, end in PHASES:
        n = sum(start <= q < end for q in times)
        print(f"{name:<22} {end - start:>8.0f} {n:>8d} {per_minute(times, start, end):>8.1f}")
    print(f"{'overall':<22} {DURATION:>8.0f} {len(times):>8d} {per_minute(times, 0, DURATION):>8.1f}")
    print("fixed-interval peers over the same 10 min (they never pause): "
          f"every 2 s = {60 / 2:.1f}/min, every 30 s = {60 / 30:.1f}/min")


if __name__ == "__main__":
    main()
