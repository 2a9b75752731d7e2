"""`finish_loop`: a loop ended with a task still waiting on a batch query (the probe's job watch,
`probe_jobstate._query`, here on `sleep` as its status command) prints nothing once the child
exits: the task gets its turn to end, and the query reaps its child when cancelled. Closing it bare printed "Exception ignored in
... BaseSubprocessTransport.__del__ ... RuntimeError: Event loop is closed" (and "Task was
destroyed but it is pending!") on the terminal, as benchmarks/time_to_verdict.py showed."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
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


def test_a_pending_subprocess_query_ends_quietly(monkeypatch, caplog):
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(repr(u.exc_value)))
    loop, task = _loop_with_a_query_pending("30")
    with caplog.at_level(logging.WARNING, logger="asyncio"):
        finish_loop(loop)
        assert loop.is_closed() and task.cancelled()
        del task
        # The child exits by itself now: its transport is collected with the loop closed.
        wait_until(lambda: (gc.collect(), not [o for o in gc.get_objects()
                            if type(o).__name__ == "_UnixSubprocessTransport"
                            and not o.is_closing()])[1], "the query's transport closed")
        gc.collect()
    assert unraisable == []
    assert not [r for r in caplog.records if "destroyed but it is pending" in r.getMessage()]
