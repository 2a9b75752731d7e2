"""Waiting for a state, never for a number of seconds.

A test that sleeps a fixed time and then looks passes on an idle machine and fails on a busy
one (`tests/run --stress`). These poll the condition and return as soon as it holds; the
overall time-out only says when to give up, so it is generous: a passing test never waits
for it. Failing, they name what was awaited and, with `explain`, what was seen instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable

WAIT_S = 60.0  # give up after this long: far beyond any state's time on a loaded machine
POLL_S = 0.02  # between two looks (threads)
PILOT_POLL_S = 0.05  # between two looks in a Pilot test (the app runs meanwhile)


def _failed(what: str, timeout: float, explain: Callable[[], str] | None) -> AssertionError:
    detail = f": {explain()}" if explain is not None else ""
    return AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{detail}")


def wait_until(condition: Callable[[], object], what: str, timeout: float = WAIT_S,
               explain: Callable[[], str] | None = None) -> None:
    """Return once `condition()` is true; AssertionError naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise _failed(what, timeout, explain)
        time.sleep(POLL_S)


async def pilot_until(pilot, condition: Callable[[], object], what: str,
                      timeout: float = WAIT_S,
                      explain: Callable[[], str] | None = None) -> None:
    """`wait_until` in a Pilot test: the app processes its messages between two looks."""
    deadline = time.monotonic() + timeout
    await pilot.pause()
    while not condition():
        if time.monotonic() > deadline:
            raise _failed(what, timeout, explain)
        await pilot.pause(PILOT_POLL_S)
