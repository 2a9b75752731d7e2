"""Live stack samples on the real SLURM testbed: a worker on the compute node, which cannot
import hpctui (a refusing `hpctui` package first on its path), answers a live round over ib0
through the session's in-process scheduler."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from session_events import EventLog

from hpctui.core.session.events import ClusterStarted, WorkerJoined
from hpctui.core.session.cluster import ClusterSession
from hpctui.core.stacks.samples import is_idle

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(300)]


def test_live_round_from_a_compute_node_worker_without_hpctui(testbed, tmp_path):
    job_name = f"tb-live-{uuid.uuid4().hex[:8]}"
    shadow = tmp_path / "no-hpctui"
    (shadow / "hpctui").mkdir(parents=True)
    (shadow / "hpctui" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'hpctui' (compute node without it)\")\n")
    kw = dict(cores=1, memory="1GB", processes=1, queue=testbed.partition, walltime="00:10:00",
              job_name=job_name, log_directory=str(tmp_path / "logs"), python=sys.executable,
              interface="ib0", job_script_prologue=[f"cd {shadow}", f"export PYTHONPATH={shadow}"],
              scheduler_options={"dashboard_address": "127.0.0.1:0"},
              worker_extra_args=["--dashboard-address", "127.0.0.1:0"])
    s = ClusterSession("slurm", kw, handle_exits=False)
    log = EventLog()
    s.subscribe(log)
    try:
        s.start()
        s.scale(1)
        started = log.wait_for(ClusterStarted)[0]
        joined = log.wait_for(WorkerJoined, timeout=120)[0]
        assert joined.address.startswith(f"tcp://{testbed.compute_ib0}:")
        from distributed import Client

        import hpctui.core.stacks.samples

        with Client(started.scheduler_address, timeout=30) as client:
            # By reference, the worker would have to import hpctui: it cannot.
            with pytest.raises(Exception, match="No module named .hpctui. .compute node"):
                client.run(hpctui.core.stacks.samples.fold, (), workers=[joined.address])
        live = s.sample_live(seconds=1.0, rate=20.0).result(60)
        (w,) = live.workers
        assert (w.address, w.job_id) == (joined.address, joined.job_id)
        assert w.answered and not w.error, w.error
        assert 8 <= len(w.samples) <= 25
        assert sum(is_idle(x.stack) for x in w.samples) >= len(w.samples) // 2
    finally:
        s.close()
        assert s.wait_closed(60)
        subprocess.run(["scancel", f"--name={job_name}"], capture_output=True, timeout=20)
