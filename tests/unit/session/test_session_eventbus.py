"""EventBus: each subscriber on its own thread, in order, bounded, never blocking the publisher."""

from __future__ import annotations

import threading
import time

import pytest
from session_events import EventLog
from waits import WAIT_S, wait_until

from hpctui.core.session.eventbus import EventBus
from hpctui.core.session.events import EventsDropped, QueueError


def ev(i: int) -> QueueError:
    return QueueError(message=str(i), retry_in=0.0)


def test_order_kept_and_delivered_on_another_thread():
    bus = EventBus()
    threads = set()
    log = EventLog()

    def who(e):
        threads.add(threading.current_thread().name)

    bus.subscribe(log)
    bus.subscribe(who)
    for i in range(500):
        bus.publish(ev(i))
    log.wait_for(QueueError, count=500, timeout=WAIT_S)
    assert [e.message for e in log.events] == [str(i) for i in range(500)]
    bus.close()
    assert threading.current_thread().name not in threads and threads


def test_stuck_subscriber_drops_oldest_and_is_told_how_many():
    bus = EventBus(maxlen=5)
    gate = threading.Event()
    got = []

    def stuck(e):
        got.append(e)
        gate.wait(WAIT_S)

    bus.subscribe(stuck)
    bus.publish(ev(0))
    wait_until(lambda: got, "the first event delivered")
    t = time.perf_counter()
    for i in range(1, 101):
        bus.publish(ev(i))
    # The publisher never waited (for the stuck subscriber, that would be until the gate opens).
    assert time.perf_counter() - t < 2.0
    gate.set()
    bus.close()
    assert isinstance(got[1], EventsDropped) and got[1].count == 95
    assert [e.message for e in got[2:]] == [str(i) for i in range(96, 101)]


def test_unsubscribe_stops_delivery_and_a_raising_subscriber_keeps_its_thread():
    bus = EventBus()
    log = EventLog()
    calls = []

    def bad(e):
        calls.append(e)
        raise ValueError("bug")

    bus.subscribe(bad)
    unsub = bus.subscribe(log)
    bus.publish(ev(1))
    log.wait_for(QueueError)
    unsub()
    bus.publish(ev(2))
    bus.close()
    assert [e.message for e in log.events] == ["1"]
    assert [e.message for e in calls] == ["1", "2"]


def test_bad_maxlen_is_named():
    with pytest.raises(ValueError, match="maxlen must be a positive integer, got 0"):
        EventBus(maxlen=0)
