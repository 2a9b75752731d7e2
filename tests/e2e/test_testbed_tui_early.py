"""The TUI through Pilot on the SLURM testbed: no `interface`, the answer while the job runs.

The worker dials the default-route address, which the compute node cannot reach; its nanny
says nothing until distributed's connect timeout (30 s, left at its default here). A couple
of seconds after the job is RUNNING with no worker, the app sends the network probe by itself;
the Findings pane must name the interface problem, quoting the probe, while the job is still
RUNNING and before the worker's own time-out line exists. Asserted on states (the job's queue
state, the log's content), never on seconds.
"""

from __future__ import annotations

import subprocess
import time
import uuid

import pytest
from testbed_profiles import app_on, quit_app, write_profile
from waits import pilot_until


pytestmark = [pytest.mark.testbed, pytest.mark.timeout(240)]


def _queued(**by) -> list[str]:
    key, value = next(iter(by.items()))
    out = subprocess.run(["squeue", "--noheader", f"--{key}={value}", "--format=%i"],
                         capture_output=True, text=True, timeout=20)
    return out.stdout.split()


async def test_findings_name_the_interface_from_the_probe_before_any_worker_times_out(
        tmp_path, testbed):
    job_name = f"tui-early-{uuid.uuid4().hex[:6]}"
    path = write_profile(tmp_path / "site.yaml", job_name, queue=testbed.partition)
    app = app_on(path)
    probe_job = None
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot_until(pilot, lambda: app.session is not None, "the session", 30)
            await pilot.press("plus")

            def network_finding():
                findings = app.pane("findings")
                if findings is None:
                    return None
                return next((f for f in findings.findings if f.mode == 1), None)

            # Generous: another user's job may hold the node for a while first.
            await pilot_until(pilot, lambda: network_finding() is not None,
                              "the interface finding in the Findings pane", 150)
            # At that moment: the job is RUNNING, no worker connected, and the worker has not
            # given up yet (its time-out line is not in its log).
            snap = app.session.snapshot()
            job = snap.job(app.selected_job)
            assert job is not None and job.queue_state == "RUNNING", job
            assert snap.connected_workers == 0
            log_text = "\n".join(e.text for e in app.logs.lines(job.job_id))
            assert "Timed out trying to connect" not in log_text
            assert "Nanny failed to start" not in log_text
            f = network_finding()
            assert any(op.key == "interface" and op.value == "ib0" for op in f.fix.ops), f
            probe_rows = [e.text for e in f.evidence if e.source == "probe"]
            assert any(testbed.default_addr in t and "the address the scheduler advertises" in t
                       for t in probe_rows), f.evidence
            assert any(testbed.host_ib0 in t and "reachable" in t for t in probe_rows)
            # The network pane shows the probe the app sent, recommending ib0.
            network = app.pane("network")
            assert network.probe is not None and network.probe.recommendation.interface == "ib0"
            probe_job = network.probe.job_id
            await quit_app(pilot, app)
        assert app.shutdown(60)
    finally:
        subprocess.run(["scancel", f"--name={job_name}"], capture_output=True, timeout=20)
    deadline = time.monotonic() + 30
    while (_queued(name=job_name) or (probe_job and _queued(jobs=probe_job))) \
            and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _queued(name=job_name) == []
    assert not probe_job or _queued(jobs=probe_job) == []  # the probe cancelled its own job
