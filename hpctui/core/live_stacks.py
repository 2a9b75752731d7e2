"""Live main-thread samples from connected Dask workers, through the Dask client.

``sample_workers(client, seconds, rate)`` runs a small coroutine on every worker with
``client.run``: it starts a thread that samples the worker's main thread (its event loop)
for ``seconds`` while the coroutine itself just awaits, so the loop keeps serving; the
samples come back as ``Sample``s, the same type the sampler's files give
(hpctui/core/stacks.py). A worker whose event loop is blocked cannot answer: its
``client.run`` times out, and that absence is itself the sign (the sampler file tells where).
"""

from __future__ import annotations

from hpctui.core.stacks import Frame, Sample


async def _sample_main_thread(seconds: float, rate: float) -> list[tuple[float, list[tuple[str, str, int]]]]:
    # Runs inside the worker process: standard library only, plain data back.
    import asyncio
    import sys
    import threading
    import time

    main_id = threading.main_thread().ident
    out: list[tuple[float, list[tuple[str, str, int]]]] = []
    done = threading.Event()

    def sample():
        while not done.wait(1.0 / rate):
            frame = sys._current_frames().get(main_id)
            stack = []
            while frame is not None:
                stack.append((frame.f_code.co_filename, frame.f_code.co_name, frame.f_lineno or 0))
                frame = frame.f_back
            out.append((time.time(), stack[::-1]))

    t = threading.Thread(target=sample, name="hpctui-live-sampler", daemon=True)
    t.start()
    try:
        await asyncio.sleep(seconds)
    finally:
        done.set()
        t.join()
    return out


async def sample_workers(client, seconds: float = 1.0, rate: float = 20.0,
                         workers: list[str] | None = None) -> dict[str, list[Sample]]:
    """``{worker address: samples}`` of each connected worker's main thread over ``seconds``.

    ``client`` is an asynchronous ``distributed.Client`` (``asynchronous=True``).
    """
    if seconds <= 0 or rate <= 0:
        raise ValueError(f"seconds and rate must be > 0, got seconds={seconds!r} rate={rate!r}")
    raw = await client.run(_sample_main_thread, seconds, rate, workers=workers)
    return {
        addr: [Sample(t, tuple(Frame(f, fn, ln) for f, fn, ln in stack)) for t, stack in samples]
        for addr, samples in raw.items()
    }
