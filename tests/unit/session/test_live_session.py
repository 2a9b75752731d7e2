"""Live stack samples through ClusterSession on the local backend: real bash-run jobs running
real Dask workers, sampled over the in-process scheduler. A worker whose event loop is blocked
is reported as silent, and once it answers its late samples show where it was blocked; a
worker that cannot import hpctui is sampled all the same (the function travels by value)."""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import CancelledError

import cloudpickle
import pytest
from session_events import EventLog
from waits import WAIT_S, wait_until

from hpctui.core.session.events import ClusterStarted, WorkerJoined
from hpctui.core.stacks.live_window import LiveWindow, findings, live_label
from hpctui.core.session.cluster import ClusterSession
from hpctui.core.stacks.samples import is_idle

pytestmark = pytest.mark.timeout(240)

# The functions below run on the workers: by value, as the test module is not importable there.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


async def block_the_loop(seconds: float) -> None:
    """Runs on the worker's event loop and blocks it (what a careless task callback does)."""
    time.sleep(seconds)


def live_round_sampling() -> bool:
    """Runs on the worker: a live round's sampler thread is sampling it now."""
    import threading

    return any(t.name == "hpctui-live-sampler" for t in threading.enumerate())


def local_kwargs(tmp_path, **extra):
    kw = dict(cores=1, memory="1GiB", processes=1, python=sys.executable,
              log_directory=str(tmp_path / "logs"), job_name="hpctui-live",
              scheduler_options={"dashboard_address": "127.0.0.1:0", "host": "127.0.0.1"},
              worker_extra_args=["--dashboard-address", "127.0.0.1:0"])
    kw.update(extra)
    return kw


@pytest.fixture
def session():
    made = []

    def make(kwargs):
        s = ClusterSession("local", kwargs, handle_exits=False, poll_queue=False)
        log = EventLog()
        s.subscribe(log)
        made.append(s)
        s.start()
        s.scale(1)
        started = log.wait_for(ClusterStarted)[0]
        joined = log.wait_for(WorkerJoined, timeout=120)[0]
        return s, started, joined

    yield make
    for s in made:
        s.close()
        assert s.wait_closed(60), "session did not close"


def test_live_samples_then_a_blocked_worker_is_silent_then_shows_where(tmp_path, session):
    from distributed import Client

    s, started, joined = session(local_kwargs(tmp_path))
    window = LiveWindow(window=60.0, stuck_after=3.0)

    t = time.perf_counter()
    fut = s.sample_live(seconds=1.0, rate=20.0, timeout=4.0)
    # Returns at once (well before the 1 s round could end): it runs on the session loop.
    assert time.perf_counter() - t < 0.5
    assert s.sample_live(seconds=1.0, rate=20.0, timeout=4.0) is fut  # never two rounds at once
    first = fut.result(WAIT_S)
    (w,) = first.workers
    assert (w.address, w.name, w.job_id) == (joined.address, joined.name, joined.job_id)
    assert w.answered and not w.error and not first.silent
    assert w.pid > 0 and w.pid != os.getpid()
    assert 8 <= len(w.samples) <= 25
    # Idle: the worker's main thread waits in its event loop's select.
    assert sum(is_idle(x.stack) for x in w.samples) >= len(w.samples) // 2
    # Times are on this machine's clock, within the round.
    assert first.time <= w.samples[0].time <= w.samples[-1].time <= time.time()
    window.add(first)
    view = window.view()[live_label(joined.name, joined.address)]
    assert view.answered and view.silent_for() is None and findings(view) == []
    assert view.summary.current is not None and view.summary.stuck is None

    with Client(started.scheduler_address, timeout=30) as client:
        # A round samples for 4 s; once it is sampling, a coroutine blocks the worker's loop
        # for 6 s (blocked before the round began, there would be no samples of the block).
        fut = s.sample_live(seconds=4.0, rate=20.0, timeout=5.0)
        wait_until(lambda: client.run(live_round_sampling, workers=[joined.address])[
            joined.address], "the round sampling the worker")
        client.run(block_the_loop, 6.0, wait=False, workers=[joined.address])
        blocked = fut.result(WAIT_S)
        (w,) = blocked.workers
        assert w.silent and not w.answered and w.samples == ()
        assert [x.address for x in blocked.silent] == [joined.address]
        window.add(blocked)
        view = window.view()[live_label(joined.name, joined.address)]
        assert view.silent_for() is not None
        assert "no answer in 5 s" in view.describe() and "event loop blocked?" in view.describe()
        assert [f.site for f in findings(view)] == ["no-answer"]

        # Once the loop is free, the next round answers, with the blocked round's samples.
        deadline = time.monotonic() + 60
        while True:
            again = s.sample_live(seconds=1.0, rate=20.0, timeout=4.0).result(WAIT_S)
            if again.workers[0].answered or time.monotonic() > deadline:
                break
    (w,) = again.workers
    assert w.answered
    blocking = [x for x in w.samples if any(fr.function == "block_the_loop" for fr in x.stack)]
    assert len(blocking) >= 40  # ~6 s at 20 Hz, sampled while nobody could ask
    window.add(again)
    view = window.view()[live_label(joined.name, joined.address)]
    assert view.silent_for() is None
    # Where the loop spent the window: in the blocking coroutine, the hottest stack.
    assert view.summary.hot[0].stack[-1].function == "block_the_loop"
    # The worker's log says "Run out-of-band function" for the first round only (the filter
    # it installs then drops that line), and still for anything else run on it.
    err = (tmp_path / "logs" / f"hpctui-live-{joined.job_id}.err").read_text()
    assert err.count("Run out-of-band function 'hpctui_live_sample'") == 1
    assert "Run out-of-band function 'block_the_loop'" in err


def test_worker_that_cannot_import_hpctui_is_sampled(tmp_path, session):
    """The worker runs with a `hpctui` package first on its path that refuses to import (a
    compute node without hpctui): a function pickled by reference fails there, the live
    sampler does not."""
    from distributed import Client

    import hpctui.core.stacks.samples

    shadow = tmp_path / "no-hpctui"
    (shadow / "hpctui").mkdir(parents=True)
    (shadow / "hpctui" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'hpctui' (this worker stands for a "
        "compute node without it)\")\n")
    s, started, joined = session(local_kwargs(
        tmp_path, job_script_prologue=[f"cd {shadow}", f"export PYTHONPATH={shadow}"]))

    with Client(started.scheduler_address, timeout=30) as client:
        # By reference, the worker would have to import hpctui: it cannot.
        with pytest.raises(Exception, match="No module named .hpctui. .this worker"):
            client.run(hpctui.core.stacks.samples.fold, (), workers=[joined.address])
    live = s.sample_live(seconds=0.5, rate=20.0).result(WAIT_S)
    (w,) = live.workers
    assert w.answered and not w.error, w.error
    assert len(w.samples) >= 4

    # Closing the session ends a round in flight at once: nobody waits on a closed cluster.
    fut = s.sample_live(seconds=20.0, rate=20.0)
    t = time.monotonic()
    s.close()
    with pytest.raises(CancelledError):
        fut.result(WAIT_S)
    assert time.monotonic() - t < 10
    assert s.wait_closed(60)
    assert s.sample_live().result(0).workers == ()  # closed: done at once, no workers
