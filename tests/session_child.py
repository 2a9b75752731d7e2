"""Test helper run as a child process: a ClusterSession that submits N jobs, prints their ids,
then waits to be signalled (`wait`) or dies of an unhandled exception (`raise`).

usage: python session_child.py KIND CLUSTER_KWARGS_JSON N MODE
Prints one line `JOBS id1 id2 ...` once every job is submitted.
"""

from __future__ import annotations

import json
import sys
import threading
import time

from hpctui.core.session.events import JobSubmitted, SubmitFailed
from hpctui.core.session.cluster import ClusterSession


def main() -> None:
    kind, kwargs, n, mode = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    ids: list[str] = []
    done = threading.Event()

    def on_event(e) -> None:
        if isinstance(e, JobSubmitted) and e.role == "worker":
            ids.append(e.job_id)
            if len(ids) == n:
                done.set()
        elif isinstance(e, SubmitFailed):
            print("FAILED", e.error.summary(), flush=True)
            done.set()

    # With `hpctui_placement: job` in the kwargs the scheduler runs in a job, and the jobs
    # count here are the workers' (the scheduler's own job is told apart by its role).
    session = ClusterSession(kind, kwargs, poll_queue=False, follow_logs=False)
    session.subscribe(on_event)
    session.start()
    session.scale(n)
    if not done.wait(120):
        print("TIMEOUT", flush=True)
        sys.exit(3)
    print("JOBS", *ids, flush=True)
    if mode == "raise":
        raise RuntimeError("an unhandled exception in the application")
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
