"""The TUI through Pilot on the SLURM testbed: a worker that hangs without a word, from the
plain statement in seconds to the cause named with one key.

The workers' `global.lock` is held (flock) as a hung NFS lock would be, and `interface: ib0` is
right: the early probe finds the network fine, and the worker's log says nothing that explains
why it never connects. A few seconds on (doctor's patience, not the tracker's minute of
"started, not connected") the Findings pane states what is known; `f` on it switches the stack
sampler on and re-submits, and the new worker's samples name the file lock. Asserted on states
(the job's phase, the pane's findings), never on seconds.
"""

from __future__ import annotations

import subprocess
import uuid

import pytest
from testbed_profiles import app_on, quit_app, write_profile
from waits import pilot_until

from hpctui.core.stacks.sampler_toggle import sampler_on
from hpctui.ui.screens.apply import ApplyScreen

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(300)]


def _finding(app, rule_id: str):
    findings = app.pane("findings")
    if findings is None:
        return None
    return next((f for f in findings.findings if f.rule_id == rule_id), None)


async def test_a_silent_worker_is_stated_in_seconds_and_f_samples_it_to_the_lock(
        tmp_path, testbed):
    job_name = f"tui-silent-{uuid.uuid4().hex[:6]}"
    local = tmp_path / "local"
    path = write_profile(tmp_path / "site.yaml", job_name, queue=testbed.partition,
                         interface="ib0", extra=f"    local-directory: {local}\n")
    # distributed puts the workspace in <local-directory>/dask-scratch-space and takes
    # global.lock there before the worker says anything.
    lock = local / "dask-scratch-space" / "global.lock"
    lock.parent.mkdir(parents=True)
    holder = subprocess.Popen(["flock", str(lock), "-c", "echo held; exec sleep 600"],
                              stdout=subprocess.PIPE, text=True)
    app = app_on(path)
    try:
        assert holder.stdout.readline().strip() == "held"
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot_until(pilot, lambda: app.session is not None, "the session", 30)
            await pilot.press("plus")
            # Generous: another user's job may hold the node for a while first.
            await pilot_until(pilot, lambda: _finding(app, "running-no-worker") is not None,
                              "the plain statement about the silent job", 150)
            # Stated from the silence after the probe answered, not from the tracker's
            # minute: the job is still "starting", and the probe found the network fine.
            snap = app.session.snapshot()
            [job] = [j for j in snap.jobs if j.role != "scheduler"]
            assert job.queue_state == "RUNNING" and job.phase.value == "starting", job
            assert snap.connected_workers == 0
            statement = _finding(app, "running-no-worker")
            assert "No cause is claimed" in statement.explanation
            assert any(e.source == "probe" and "reachable" in e.text
                       for e in statement.evidence), statement.evidence
            assert not sampler_on(app.workspace.applied)

            # f on it: the sampler on, applied, the worker re-submitted under it.
            app.show_pane("findings")
            findings = app.pane("findings")
            assert findings.select_rule("running-no-worker")
            await pilot.press("f")
            # The apply preview shows the job script with the sampler in `python`: accepted.
            await pilot_until(pilot, lambda: isinstance(app.screen, ApplyScreen), "the preview", 30)
            assert any(d.op == "+" and "hpctui-sampler.py" in d.text
                       for d in app.screen.preview.script_diff), app.screen.preview.script_diff
            await pilot.press("y")
            await pilot_until(pilot, lambda: sampler_on(app.workspace.applied),
                              "the profile applied with the sampler on", 60)
            await pilot_until(pilot, lambda: _finding(app, "nfs-file-locks") is not None,
                              "the file-lock finding from the sampled worker", 150)
            lock_finding = _finding(app, "nfs-file-locks")
            assert lock_finding.fix.ops, lock_finding  # its own config fix, one key away
            await quit_app(pilot, app)
        assert app.shutdown(60)
    finally:
        holder.kill()
        holder.wait()
        subprocess.run(["scancel", f"--name={job_name}"], capture_output=True, timeout=20)
