"""WorkerLogTracker / fetch_worker_logs against a real in-process Dask cluster."""

from __future__ import annotations

import logging

import pytest

from hpctui.core.logs.workerlogs import WorkerLogTracker, fetch_worker_logs

pytestmark = pytest.mark.timeout(120)


def _say(text, dask_worker=None):
    logging.getLogger("distributed.worker").warning("%s from %s", text, dask_worker.address)


async def test_only_new_records_are_delivered_per_worker():
    from dask.distributed import Client, LocalCluster

    async with LocalCluster(n_workers=2, processes=False, asynchronous=True,
                            dashboard_address="127.0.0.1:0") as cluster, \
            Client(cluster, asynchronous=True) as client:
        addrs = sorted((await client.scheduler.identity(n_workers=-1))["workers"])
        tracker = WorkerLogTracker()
        await client.run(_say, "hello 1")
        first = await fetch_worker_logs(client.scheduler, tracker)
        assert sorted(u.worker for u in first) == addrs
        for update in first:
            assert any(f"hello 1 from {update.worker}" in line for line in update.lines)
            assert [r.created for r in update.records] == sorted(r.created for r in update.records)
        # Nothing new: nothing delivered, and the known workers were asked only from then on.
        assert await fetch_worker_logs(client.scheduler, tracker) == []
        assert tracker.request(addrs)["start"] > 0
        await client.run(_say, "hello 2")
        # The in-process scheduler works the same as the client's rpc.
        second = await fetch_worker_logs(cluster.scheduler, tracker)
        assert sorted(u.worker for u in second) == addrs
        for update in second:
            joined = "\n".join(update.lines)
            assert f"hello 2 from {update.worker}" in joined
            assert "hello 1" not in joined
            assert all(r.level == "WARNING" for r in update.records if "hello" in r.text)
        # A worker that joins later is asked for everything: its start-up lines come too.
        cluster.scale(3)
        await client.wait_for_workers(3, timeout=60)
        third = await fetch_worker_logs(client.scheduler, tracker)
        late = [u for u in third if u.worker not in addrs]
        assert len(late) == 1
        assert any("Start worker at" in line for line in late[0].lines)


def test_records_sharing_a_timestamp_are_not_lost_or_repeated():
    tracker = WorkerLogTracker()
    a = tracker.update({"tcp://w:1": [(10.0, "INFO", "b"), (10.0, "INFO", "a"), (9.0, "INFO", "z")]})
    assert [r.text for r in a[0].records] == ["z", "b", "a"]
    assert tracker.request(["tcp://w:1"])["start"] == 10.0
    assert tracker.request(["tcp://w:1", "tcp://new:2"])["start"] == 0.0
    assert tracker.split_new(["tcp://w:1", "tcp://new:2"]) == (["tcp://new:2"], ["tcp://w:1"])
    # Asked again from 10.0: the same two come back, plus one more at that instant and a later one.
    b = tracker.update({"tcp://w:1": [(11.0, "ERROR", "d"), (10.0, "INFO", "c"),
                                      (10.0, "INFO", "b"), (10.0, "INFO", "a")]})
    assert [r.text for r in b[0].records] == ["c", "d"]
    # A worker that failed to answer is skipped; a forgotten one starts over.
    assert tracker.update({"tcp://w:1": OSError("gone")}) == []
    tracker.forget("tcp://w:1")
    assert tracker.request(["tcp://w:1"])["start"] == 0.0
