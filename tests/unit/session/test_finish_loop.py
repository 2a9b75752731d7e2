"""`finish_loop`: a loop ended with a task still waiting on a batch query (the probe's job watch,
`probe_jobstate._query`, here on `sleep` as its status command) prints nothing: the task gets
its turn to end, and the query kills and reaps its child when cancelled. Closing it bare printed "Exception ignored in
... BaseSubprocessTransport.__del__ ... RuntimeError: Event loop is closed" (and "Task was
destroyed but it is pending!") on the terminal, as benchmarks/time_to_verdict.py showed."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import weakref
from types import SimpleNamespace

from waits import wait_until

from hpctui.core.network.probe_jobstate import _query
from hpctui.core.session.loop import finish_loop


def _loop_with_a_query_pending(seconds: str):
    scheduler = SimpleNamespace(status_command=lambda ids: ["sleep", seconds])

    async def query():
        await _query(scheduler, "1")

    async def start():
        task = asyncio.create_task(query())
        while not [p for p in asyncio.all_tasks() if p is not asyncio.current_task()]:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # the child started: the task waits on its pipes
        return task

    loop = asyncio.new_event_loop()
    task = loop.run_until_complete(start())
    return loop, task


def _transports() -> list:
    return [o for o in gc.get_objects() if type(o).__name__ == "_UnixSubprocessTransport"]


def test_a_pending_subprocess_query_ends_quietly(monkeypatch, caplog):
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(repr(u.exc_value)))
    # Only this test's transport counts: earlier tests in the same process may keep their own.
    before = weakref.WeakSet(_transports())
    loop, task = _loop_with_a_query_pending("30")
    ours = weakref.WeakSet(t for t in _transports() if t not in before)
    assert len(ours) == 1
    with caplog.at_level(logging.WARNING, logger="asyncio"):
        finish_loop(loop)
        assert loop.is_closed() and task.cancelled()
        del task
        # The query killed and reaped its child while the loop still ran: the transport is
        # closed (or already collected), never left for __del__ with the loop closed.
        wait_until(lambda: (gc.collect(), all(t.is_closing() for t in list(ours)))[1],
                   "the query's transport closed")
        gc.collect()
    assert unraisable == []
    assert not [r for r in caplog.records if "destroyed but it is pending" in r.getMessage()]
