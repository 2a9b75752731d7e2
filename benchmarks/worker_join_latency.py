"""Worker-join latency: from the scheduler registering a worker to a subscriber receiving
WorkerJoined, through the session's scheduler plugin, tracker and event bus.

    .venv/bin/python benchmarks/worker_join_latency.py                 # 200 workers, in-process
    .venv/bin/python benchmarks/worker_join_latency.py --mode local -n 8
    .venv/bin/python benchmarks/worker_join_latency.py --slow-subscriber 0.05

`--mode inprocess` (default): a ClusterSession on the local backend starts its scheduler; one
child process then starts N `distributed.Worker`s on its own loop, all connecting to that
scheduler at once. Chosen for 200 because 200 real worker processes (each a nanny plus a worker,
about 100 MB and a second or more of CPU to import) do not fit the 2 shared cores of this
machine; the path measured is the same: each worker registers over TCP with the session's
scheduler, whose add_worker hook fires the event.
`--mode local`: N real jobs of the local backend (bash-run `dask worker` processes), via
`session.scale(N)`, end to end.

Latency is time.perf_counter() in the subscriber minus time.perf_counter() in the plugin's
add_worker hook, both in this process. Prints p50, p95 and max; target p95 < 250 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from hpctui.core.session.events import ClusterStarted, WorkerJoined  # noqa: E402
from hpctui.core.session.cluster import ClusterSession  # noqa: E402


async def _run_workers(address: str, n: int, hold: float) -> None:
    from distributed import Worker

    workers = [Worker(address, nthreads=1, name=f"bench-{i}", dashboard=False,
                      host="127.0.0.1", memory_limit="1GiB") for i in range(n)]
    await asyncio.gather(*workers)
    await asyncio.sleep(hold)
    await asyncio.gather(*(w.close() for w in workers), return_exceptions=True)


def _child(address: str, n: int, hold: float) -> None:
    import logging

    import distributed  # noqa: F401  (configures its loggers on import; quiet them after)

    logging.getLogger("distributed").setLevel(logging.ERROR)
    asyncio.run(_run_workers(address, n, hold))


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * len(s) + 0.5) - 1))]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mode", choices=("inprocess", "local"), default="inprocess")
    p.add_argument("-n", "--workers", type=int, default=200)
    p.add_argument("--timeout", type=float, default=300.0)
    p.add_argument("--slow-subscriber", type=float, default=0.0, metavar="SECONDS",
                   help="also subscribe one that sleeps this long per event (isolation check)")
    args = p.parse_args()

    import logging

    import distributed  # noqa: F401  (configures its loggers on import; quiet them after)

    logging.getLogger("distributed").setLevel(logging.ERROR)
    logdir = tempfile.mkdtemp(prefix="hpctui-bench-")
    kwargs = dict(cores=1, memory="1GiB", processes=1, python=sys.executable,
                  log_directory=logdir,
                  scheduler_options={"dashboard_address": "127.0.0.1:0", "host": "127.0.0.1"},
                  worker_extra_args=["--dashboard-address", "127.0.0.1:0"])
    session = ClusterSession("local", kwargs, poll_queue=args.mode == "local",
                             follow_logs=args.mode == "local")
    latencies: list[float] = []
    started: list[ClusterStarted] = []
    all_in = threading.Event()
    ready = threading.Event()

    def on_event(e) -> None:
        now = time.perf_counter()
        if isinstance(e, WorkerJoined):
            latencies.append(now - e.registered_at)
            if len(latencies) >= args.workers:
                all_in.set()
        elif isinstance(e, ClusterStarted):
            started.append(e)
            ready.set()

    session.subscribe(on_event)
    if args.slow_subscriber:
        session.subscribe(lambda e: time.sleep(args.slow_subscriber))
    session.start()
    if not ready.wait(60):
        sys.exit("the session's cluster did not start within 60 s")
    t0 = time.perf_counter()
    child = None
    if args.mode == "inprocess":
        child = subprocess.Popen([sys.executable, "-c",
                                  "import sys; sys.path.insert(0, %r); "
                                  "from benchmarks.worker_join_latency import _child; "
                                  "_child(%r, %d, %f)" % (os.path.join(os.path.dirname(__file__), ".."),
                                                          started[0].scheduler_address,
                                                          args.workers, args.timeout)])
    else:
        session.scale(args.workers)
    ok = all_in.wait(args.timeout)
    wall = time.perf_counter() - t0
    if child is not None:
        child.terminate()
        child.wait(30)
    session.close()
    session.wait_closed(60)
    if not ok:
        sys.exit(f"only {len(latencies)} of {args.workers} workers joined in {args.timeout:g} s")
    ms = [x * 1000 for x in latencies]
    slow = f" slow-subscriber={args.slow_subscriber:g}s" if args.slow_subscriber else ""
    print(f"mode={args.mode} workers={len(ms)}{slow} all joined in {wall:.1f} s")
    print(f"registration -> event delivery: p50={statistics.median(ms):.2f} ms "
          f"p95={percentile(ms, 95):.2f} ms max={max(ms):.2f} ms (target p95 < 250 ms)")


if __name__ == "__main__":
    main()
