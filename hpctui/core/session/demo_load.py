"""The built-in demo workload: a few hundred short tasks, then idle, to watch adaptive scaling.

It submits `time.sleep` calls through a Dask `Client` on the session's scheduler: a builtin,
so the compute nodes need nothing but Dask (not hpctui) to run it. Progress arrives as
`DemoLoadProgressed` events (done/total, then finished or the error) through `publish`. It
runs on a thread of its own (the Client is synchronous there), never on the caller's loop;
`stop()` cancels what is left and closes the client.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from hpctui.core.session.events import SessionEvent

DEFAULT_TASKS = 300
DEFAULT_SECONDS = 0.1  # each task's sleep
PROGRESS_EVERY = 0.25  # seconds between two progress events (floods coalesced)


@dataclass(frozen=True, kw_only=True)
class DemoLoadProgressed(SessionEvent):
    """The demo workload's progress: `done` of `total` tasks; `finished` once all are."""

    done: int
    total: int
    finished: bool = False
    error: str = ""  # why it stopped early ("" when it did not)


class DemoLoad:
    """One run of the demo workload against the scheduler at `address`."""

    def __init__(self, address: str, publish: Callable[[SessionEvent], None], *,
                 tasks: int = DEFAULT_TASKS, seconds: float = DEFAULT_SECONDS,
                 security=None, connect_timeout: float = 30.0) -> None:
        if not isinstance(tasks, int) or isinstance(tasks, bool) or tasks < 1:
            raise ValueError(f"demo load: tasks must be a positive whole number, got {tasks!r}")
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
            raise ValueError(f"demo load: seconds must be >= 0, got {seconds!r}")
        self.address, self.tasks, self.seconds = address, tasks, float(seconds)
        self._publish, self._security, self._timeout = publish, security, connect_timeout
        self._stop = threading.Event()
        self.done = 0
        self.finished = threading.Event()
        self.thread = threading.Thread(target=self._run, name="hpctui-demo-load", daemon=True)

    def start(self) -> "DemoLoad":
        self.thread.start()
        return self

    def stop(self) -> None:
        """Cancel the tasks left; the thread ends soon after (`finished` is set)."""
        self._stop.set()

    def _run(self) -> None:
        error = ""
        try:
            self._work()
        except Exception as e:  # the user must see why, as an event, never a traceback
            error = f"{type(e).__name__}: {e}"
        finally:
            self._publish(DemoLoadProgressed(done=self.done, total=self.tasks,
                                             finished=not error and self.done == self.tasks,
                                             error=error or ("" if self.done == self.tasks
                                                             else "stopped")))
            self.finished.set()

    def _work(self) -> None:
        from distributed import Client

        kwargs = {"security": self._security} if self._security is not None else {}
        with Client(self.address, timeout=self._timeout, set_as_default=False,
                    **kwargs) as client:
            futures = client.map(time.sleep, [self.seconds] * self.tasks, pure=False)
            self._publish(DemoLoadProgressed(done=0, total=self.tasks))
            while self.done < self.tasks:
                # distributed.wait needs a default client, which this one must not be.
                if self._stop.wait(PROGRESS_EVERY):
                    client.cancel(futures)
                    return
                failed = next((f for f in futures if f.status == "error"), None)
                if failed is not None:
                    failed.result()  # raises the task's own error, reported by _run
                done = sum(1 for f in futures if f.done())
                if done != self.done and done < self.tasks:
                    self._publish(DemoLoadProgressed(done=done, total=self.tasks))
                self.done = done
            del futures  # released: the scheduler is idle again, and adapt scales down


class DemoLoadMixin:
    """`ClusterSession.start_demo_load(...)`: the demo workload on the session's scheduler."""

    def start_demo_load(self, tasks: int = DEFAULT_TASKS,
                        seconds: float = DEFAULT_SECONDS) -> DemoLoad:
        """Start the demo workload (progress as DemoLoadProgressed events); RuntimeError
        when no cluster runs. Returns at once."""
        cluster = getattr(self, "_cluster", None)
        if cluster is None:
            raise RuntimeError("demo load: no cluster is running yet")
        load = DemoLoad(cluster.scheduler_address, self._publish, tasks=tasks, seconds=seconds,
                        security=getattr(cluster, "security", None))
        old = getattr(self, "demo_load", None)
        if old is not None:
            old.stop()
        self.demo_load = load
        return load.start()
