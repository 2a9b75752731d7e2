"""Adaptive reaction: how fast adapt reacts in an hpctui session, against plain dask-jobqueue's
`cluster.adapt()` measured in the same run (target: no slower).

    .venv/bin/python benchmarks/adapt_reaction.py [--repeats 6] [--interval 0.2]

Two figures per run, each on the local backend (job scripts run under bash here), with the
same cluster class, the same adaptive settings (bounds 0..2 jobs, `interval`, wait-count 3,
target-duration 1 s) and the same workload:

  (a) burst -> first job submitted: from a burst of 40 tasks (`time.sleep(0.2)`) submitted
      through a Client to the first job of the cluster holding a batch job id;
  (b) idle -> jobs released: from the last task's result to the cluster holding no job.

Both are timed the same way for both sides: a thread polls the cluster's `workers` (its Job
objects) every 5 ms. The plain side is the kind's dask-jobqueue cluster class with
`cluster.adapt(minimum_jobs=0, maximum_jobs=2, ...)`; the hpctui side is a `ClusterSession`
with the profile's `adapt` settings (which calls the same `adapt()` with hpctui's reporting
Adaptive). Rounds alternate between the sides; medians are compared. Target: hpctui's median
<= plain's x 1.25 + 0.1 s for each figure (the adaptive interval makes single rounds vary by
up to one interval). Exit 1 naming the missed target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

RATIO = 1.25
SLACK_S = 0.1
POLL_S = 0.005
TASKS, TASK_S = 40, 0.2


def cluster_kwargs(tmp: str) -> dict:
    return dict(cores=1, memory="1GiB", processes=1, python=sys.executable,
                log_directory=os.path.join(tmp, "logs"), job_name="hpctui-bench-adapt",
                scheduler_options={"dashboard_address": "127.0.0.1:0", "host": "127.0.0.1"},
                worker_extra_args=["--dashboard-address", "127.0.0.1:0"], interface="lo")


def _wait(condition, timeout: float = 120.0) -> float:
    """time.monotonic() once `condition()` holds (polled every POLL_S)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("benchmark: timed out waiting for the cluster")
        time.sleep(POLL_S)
    return time.monotonic()


def _has_job(get_cluster) -> bool:
    c = get_cluster()
    return c is not None and any(getattr(j, "job_id", None) for j in list(c.workers.values()))


def _no_job(get_cluster) -> bool:
    c = get_cluster()
    return c is not None and not any(getattr(j, "job_id", None)
                                     for j in list(c.workers.values()))


def one_round(address: str, get_cluster) -> tuple[float, float]:
    """(burst -> first job, idle -> released) in seconds, against the scheduler at `address`."""
    from distributed import Client

    _wait(lambda: _no_job(get_cluster))
    with Client(address, set_as_default=False) as client:
        t0 = time.monotonic()
        futures = client.map(time.sleep, [TASK_S] * TASKS, pure=False)
        up = _wait(lambda: _has_job(get_cluster)) - t0
        client.gather(futures)
        t1 = time.monotonic()
        del futures
        down = _wait(lambda: _no_job(get_cluster)) - t1
    return up, down


def plain_side(tmp: str, interval: float):
    from hpctui.core.batch.kinds import cluster_class

    cluster = cluster_class("local")(**cluster_kwargs(tmp))
    cluster.adapt(minimum_jobs=0, maximum_jobs=2, interval=interval, wait_count=3,
                  target_duration=1.0)
    return cluster.scheduler_address, (lambda: cluster), cluster.close


def hpctui_side(tmp: str, interval: float):
    from hpctui.core.session.adapt_settings import ADAPT_KWARG, AdaptSettings
    from hpctui.core.session.cluster import ClusterSession
    from hpctui.core.session.events import ClusterStarted

    started = []
    s = ClusterSession("local", {**cluster_kwargs(tmp), ADAPT_KWARG: AdaptSettings(
        0, 2, "jobs", interval, 3, 1.0)}, handle_exits=False)
    s.subscribe(lambda e: started.append(e) if isinstance(e, ClusterStarted) else None)
    s.start()
    _wait(lambda: started)

    def close():
        s.close()
        s.wait_closed(60)

    return started[0].scheduler_address, (lambda: s._cluster), close


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=6)  # single rounds vary by an interval
    parser.add_argument("--interval", type=float, default=0.2)
    args = parser.parse_args()
    from hpctui.core.batch.djq import ensure_imported
    from hpctui.core.session.library_output import LibraryCapture

    ensure_imported()
    results: dict[str, list[tuple[float, float]]] = {"plain": [], "hpctui": []}
    with tempfile.TemporaryDirectory() as tmp, LibraryCapture():
        sides = {"plain": plain_side(tmp, args.interval), "hpctui": hpctui_side(tmp, args.interval)}
        try:
            for _ in range(args.repeats):
                for name, (address, get_cluster, _close) in sides.items():
                    results[name].append(one_round(address, get_cluster))
        finally:
            for _address, _get, close in sides.values():
                close()
    missed = []
    for i, label in enumerate(("burst -> first job submitted", "idle -> jobs released")):
        plain = statistics.median(r[i] for r in results["plain"])
        ours = statistics.median(r[i] for r in results["hpctui"])
        ratio = ours / plain if plain else float("inf")
        print(f"{label}: hpctui {ours:.3f} s, plain dask-jobqueue {plain:.3f} s, "
              f"ratio {ratio:.2f} (medians of {args.repeats}; interval {args.interval:g} s)")
        if ours > plain * RATIO + SLACK_S:
            missed.append(f"{label}: {ours:.3f} s > {RATIO:g} x {plain:.3f} s + {SLACK_S:g} s")
    for m in missed:
        print(f"MISSED target (no slower than plain dask-jobqueue): {m}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
