"""Live samples from connected workers through an asynchronous Dask client (real LocalCluster)."""

from __future__ import annotations

import pytest

from hpctui.core.stacks.live import sample_workers
from hpctui.core.stacks.samples import is_idle

pytestmark = pytest.mark.timeout(90)


async def test_live_samples_show_each_workers_event_loop():
    from distributed import Client, LocalCluster

    async with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, asynchronous=True,
                            dashboard_address="127.0.0.1:0", host="127.0.0.1") as cluster:
        async with Client(cluster, asynchronous=True) as client:
            got = await sample_workers(client, seconds=0.5, rate=20)
            (addr,) = cluster.scheduler.workers
            assert list(got) == [addr]
            samples = got[addr]
            assert 5 <= len(samples) <= 12
            # An idle worker's main thread waits in its event loop's select.
            assert sum(is_idle(s.stack) for s in samples) >= len(samples) // 2
            assert any(fr.function == "run_forever" for fr in samples[-1].stack)
            with pytest.raises(ValueError, match="rate"):
                await sample_workers(client, rate=0)
