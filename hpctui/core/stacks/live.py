"""Live main-thread samples from connected Dask workers, asked for over Dask's own RPC.

``hpctui_live_sample`` runs on each worker the way ``Client.run`` runs a function (the
worker's ``run`` handler): it starts a thread that samples the worker's main thread (its
event loop) for ``seconds`` while the coroutine itself just awaits, so the loop keeps
serving; the samples come back as ``Sample``s, the same type the sampler's files give
(hpctui/core/stacks/samples.py).

Two ways to ask:
- ``sample_workers(client, ...)``: through an asynchronous ``distributed.Client``;
- ``sample_through_scheduler(scheduler, targets, ...)``: through the scheduler that runs in
  hpctui's own process (what ``ClusterSession.sample_live`` uses: no Client to keep), one
  request per worker, each with its own timeout. A worker whose event loop is blocked cannot
  answer: that absence is itself the sign, reported as ``answered=False``.

The compute node need not have hpctui installed: this module is registered with cloudpickle
to travel *by value*, so the worker receives the function's code, not a reference it would
have to import (``hpctui_live_sample`` uses the standard library only).
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from typing import Any

import cloudpickle

from hpctui.core.stacks.samples import Frame, Sample

# By value, not by reference: the worker must not need `import hpctui` (distributed's
# pickler switches to cloudpickle for modules in this registry).
cloudpickle.register_pickle_by_value(sys.modules[__name__])

DEFAULT_SECONDS = 1.0
DEFAULT_RATE = 20.0
DEFAULT_GRACE = 2.0  # seconds to wait for an answer beyond the sampling time


async def hpctui_live_sample(seconds: float, rate: float, late_after: float,
                             dask_worker: Any = None) -> dict:
    """Sample this process's main thread for ``seconds`` at ``rate`` Hz (runs on the worker).

    Standard library only, plain data back: ``{"host", "pid", "now", "stacks", "samples",
    "late"}`` where ``stacks`` is a list of distinct stacks (``[file, function, line]``
    outermost first) and ``samples`` ``[unix time, index into stacks]``. If the event loop
    was blocked so long that the caller gave up (more than ``late_after`` seconds in all),
    the samples, which show where it was blocked, are kept on the worker and come back as
    ``late`` with the next call.
    """
    import asyncio
    import logging
    import os
    import socket
    import sys
    import threading
    import time

    # distributed logs "Run out-of-band function" at INFO for every call: every few seconds
    # in the worker's log. Drop that one line (this function's) and nothing else.
    wlog = logging.getLogger("distributed.worker")
    if not any(getattr(f, "hpctui_live", False) for f in wlog.filters):
        class QuietLiveSampling(logging.Filter):
            hpctui_live = True

            def filter(self, record):
                return not (record.msg == "Run out-of-band function %r"
                            and record.args == ("hpctui_live_sample",))

        wlog.addFilter(QuietLiveSampling())

    main_id = threading.main_thread().ident
    stacks: dict = {}
    samples: list = []
    done = threading.Event()

    def sample():
        while not done.wait(1.0 / rate):
            frame = sys._current_frames().get(main_id)
            stack = []
            while frame is not None:
                stack.append((frame.f_code.co_filename, frame.f_code.co_name, frame.f_lineno or 0))
                frame = frame.f_back
            key = tuple(stack[::-1])
            samples.append((time.time(), stacks.setdefault(key, len(stacks))))

    started = time.time()
    t = threading.Thread(target=sample, name="hpctui-live-sampler", daemon=True)
    t.start()
    try:
        await asyncio.sleep(seconds)
    finally:
        done.set()
        t.join()
    state = getattr(dask_worker, "__dict__", {})
    mine = {"stacks": [list(map(list, s)) for s in stacks], "samples": samples}
    late = state.pop("_hpctui_late_samples", None)
    if time.time() - started > late_after and dask_worker is not None:
        state["_hpctui_late_samples"] = mine  # nobody waits for this answer any more
    return {"host": socket.gethostname(), "pid": os.getpid(), "now": time.time(),
            "late": late, **mine}


@dataclass(frozen=True)
class WorkerLive:
    """One worker's answer (or its silence) in one round of live sampling."""

    address: str
    name: str
    job_id: str | None
    answered: bool  # an answer came within the timeout (samples, or an error)
    samples: tuple[Sample, ...] = ()  # times on this machine's clock
    host: str = ""
    pid: int = 0
    error: str = ""  # the worker answered with an error, or could not be reached

    @property
    def silent(self) -> bool:
        """No answer at all within the timeout: the worker's event loop is likely blocked."""
        return not self.answered and not self.error


@dataclass(frozen=True)
class LiveSamples:
    """One round of live sampling over the connected workers."""

    time: float  # when it was asked (unix time, this machine)
    seconds: float
    rate: float
    timeout: float  # how long each worker had to answer
    workers: tuple[WorkerLive, ...] = ()

    @property
    def silent(self) -> tuple[WorkerLive, ...]:
        return tuple(w for w in self.workers if w.silent)


@dataclass(frozen=True)
class LiveTarget:
    """A worker to ask: its address, and how hpctui names it (the tracker's snapshot)."""

    address: str
    name: str = ""
    job_id: str | None = None


def check_args(seconds: float, rate: float, timeout: float | None) -> float:
    """Validate the sampling arguments; the timeout to use (default: seconds + 2 s)."""
    if not (isinstance(seconds, (int, float)) and seconds > 0):
        raise ValueError(f"seconds: must be > 0, got {seconds!r}")
    if not (isinstance(rate, (int, float)) and rate > 0):
        raise ValueError(f"rate: must be > 0 samples per second, got {rate!r}")
    if timeout is None:
        return seconds + DEFAULT_GRACE
    if not (isinstance(timeout, (int, float)) and timeout > seconds):
        raise ValueError(f"timeout: must be more than seconds={seconds!r}, got {timeout!r}")
    return float(timeout)


def decode(reply: dict, received: float) -> tuple[tuple[Sample, ...], str, int]:
    """``(samples, host, pid)`` from a worker's reply; times moved onto this machine's clock
    (the compute node's clock may differ: the offset is taken when the answer arrives)."""
    offset = received - float(reply.get("now", received))
    out: list[Sample] = []
    for part in (reply.get("late"), reply):
        if not part:
            continue
        stacks = [tuple(Frame(f, fn, int(ln)) for f, fn, ln in s) for s in part["stacks"]]
        out.extend(Sample(t + offset, stacks[i]) for t, i in part["samples"])
    out.sort(key=lambda s: s.time)
    return tuple(out), str(reply.get("host", "")), int(reply.get("pid", 0))


def run_message(seconds: float, rate: float, late_after: float) -> dict:
    """The ``run`` message ``Client.run`` sends (distributed's client.py ``_run``)."""
    from distributed.protocol import pickle

    return dict(op="run", function=pickle.dumps(hpctui_live_sample),
                args=pickle.dumps((seconds, rate, late_after)), wait=True,
                kwargs=pickle.dumps({}))


def _plain(result: Any) -> Any:
    # The scheduler passes the worker's result on without deserializing it (the client
    # would); here the scheduler is the last stop.
    from distributed.protocol.serialize import Serialized, deserialize

    if isinstance(result, Serialized):
        return deserialize(result.header, result.frames)
    return result


async def _ask_one(scheduler, target: LiveTarget, msg: dict, timeout: float) -> WorkerLive:
    from distributed.core import clean_exception

    try:
        replies = await asyncio.wait_for(
            scheduler.broadcast(msg=msg, workers=[target.address], on_error="return"), timeout)
    except asyncio.TimeoutError:
        return WorkerLive(target.address, target.name, target.job_id, answered=False)
    received = time.time()
    reply = replies.get(target.address)
    if isinstance(reply, Exception):
        # OSError (CommClosedError is one): gone, or the connection failed. Anything else was
        # raised on the worker before the function ran (it could not be unpickled, say).
        return WorkerLive(target.address, target.name, target.job_id,
                          answered=not isinstance(reply, OSError),
                          error=f"{type(reply).__name__}: {reply}")
    if not isinstance(reply, dict) or reply.get("status") != "OK":
        _, exc, _ = clean_exception(**reply) if isinstance(reply, dict) else (None, reply, None)
        return WorkerLive(target.address, target.name, target.job_id, answered=True,
                          error=f"{type(exc).__name__}: {exc}")
    samples, host, pid = decode(_plain(reply["result"]), received)
    return WorkerLive(target.address, target.name, target.job_id, answered=True,
                      samples=samples, host=host, pid=pid)


async def sample_through_scheduler(scheduler, targets: list[LiveTarget],
                                   seconds: float = DEFAULT_SECONDS, rate: float = DEFAULT_RATE,
                                   timeout: float | None = None) -> LiveSamples:
    """Ask every target worker for ``seconds`` of main-thread samples, all at once, each with
    its own ``timeout`` (default ``seconds`` + 2 s). Runs on the scheduler's event loop."""
    timeout = check_args(seconds, rate, timeout)
    asked = time.time()
    msg = run_message(seconds, rate, timeout)
    answers = await asyncio.gather(*(_ask_one(scheduler, t, msg, timeout) for t in targets))
    return LiveSamples(asked, float(seconds), float(rate), timeout, tuple(answers))


async def sample_workers(client, seconds: float = DEFAULT_SECONDS, rate: float = DEFAULT_RATE,
                         workers: list[str] | None = None) -> dict[str, list[Sample]]:
    """``{worker address: samples}`` of each connected worker's main thread over ``seconds``.

    ``client`` is an asynchronous ``distributed.Client`` (``asynchronous=True``); it waits for
    every worker (a blocked one holds it up: ``sample_through_scheduler`` has timeouts).
    """
    check_args(seconds, rate, None)
    raw = await client.run(hpctui_live_sample, seconds, rate, float("inf"), workers=workers)
    received = time.time()
    return {addr: list(decode(reply, received)[0]) for addr, reply in raw.items()}
