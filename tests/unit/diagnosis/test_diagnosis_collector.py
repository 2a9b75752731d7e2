"""SignalCollector: session events in, Signals out, and diagnosis finds the seed's failures."""

import time
from pathlib import Path

from hpctui.core.session import events as ev
from hpctui.core.diagnosis import diagnose
from hpctui.core.diagnosis.collector import LOG_LINES_PER_JOB, SignalCollector
from hpctui.core.config.profile import Profile
from hpctui.core.jobscript.submit_errors import SubmitError

FIXTURES = Path(__file__).parents[2] / "fixtures"


def test_worker_log_time_outs_become_the_network_finding():
    lines = (FIXTURES / "diagnosis" / "testbed_no_interface.err").read_text().splitlines()
    c = SignalCollector()
    c.on_event(ev.ClusterStarted(kind="slurm", generation=1, scheduler_address="tcp://192.0.2.2:41000",
                                 dashboard_link="", cluster_name="c"))
    c.on_event(ev.JobSubmitted(job_id="17", spec_name="c-0", worker_names=("c-0",),
                               job_name="dask-worker", submit_output="Submitted batch job 17"))
    c.on_event(ev.LogLinesAppended(job_id="17", path="dask-worker-17.err", stream="stderr",
                                   lines=tuple(lines)))
    signals = c.signals(Profile("slurm", {"cores": 1, "memory": "1GB"}))
    assert signals.jobs_submitted == 1 and signals.worker_logs[0].job_id == "17"
    modes = {f.mode for f in diagnose(signals)}
    assert 1 in modes


def test_rejection_becomes_a_submit_failure_signal():
    c = SignalCollector()
    error = SubmitError(command="sbatch /tmp/x.sh", exit_code=1, stdout="",
                        stderr="sbatch: error: invalid partition specified: nosuch\n")
    c.on_event(ev.SubmitFailed(spec_name="c-0", error=error))
    signals = c.signals(Profile("slurm", {"cores": 1, "memory": "1GB", "queue": "nosuch"}))
    assert signals.submit_failures[0].exit_code == 1
    assert any(f.mode == 8 for f in diagnose(signals))


def test_logs_are_bounded_and_reset_forgets():
    c = SignalCollector()
    c.on_event(ev.LogLinesAppended(job_id="1", path="x.err", stream="stderr",
                                   lines=tuple(f"line {i}" for i in range(LOG_LINES_PER_JOB * 3))))
    assert len(c.signals().worker_logs[0].lines) == LOG_LINES_PER_JOB
    before = c.version
    c.reset()
    assert c.signals().worker_logs == () and c.version == 0 and before > 0


def test_scheduler_listening_everywhere_without_tls_offers_security_true():
    from hpctui.core.diagnosis.finding import apply_fix

    c = SignalCollector()
    c.on_event(ev.ClusterStarted(kind="slurm", generation=1, scheduler_address="tcp://192.0.2.2:41000",
                                 dashboard_link="", cluster_name="c",
                                 listen_address="tcp://0.0.0.0:41000"))
    profile = Profile("slurm", {"cores": 1, "memory": "1GB", "log-directory": "/shared/logs"})
    found = [f for f in diagnose(c.signals(profile)) if f.rule_id == "scheduler-open-without-tls"]
    assert found and "0.0.0.0:41000" in found[0].evidence[0].text
    fixed = apply_fix(profile, found[0].fix)
    assert fixed.get("security") is True
    kwargs = fixed.cluster_kwargs()
    assert kwargs["security"] is True
    assert kwargs["shared_temp_directory"] == "/shared/logs/.hpctui-tls"
    # Once TLS is on, or when the scheduler listens on one interface only, nothing to say.
    assert not [f for f in diagnose(c.signals(fixed)) if f.rule_id == "scheduler-open-without-tls"]
    c2 = SignalCollector()
    c2.on_event(ev.ClusterStarted(kind="slurm", generation=1, scheduler_address="tcp://10.0.0.1:1",
                                  dashboard_link="", cluster_name="c",
                                  listen_address="tcp://10.0.0.1:1"))
    assert not [f for f in diagnose(c2.signals(profile))
                if f.rule_id == "scheduler-open-without-tls"]


def test_worker_jobs_waiting_for_their_scheduler_job_are_not_quiet():
    """scheduler-placement: job, workers submitted alongside (workers_ahead.py): a worker job
    that runs before its scheduler does is waiting, not silent; once the scheduler is up the
    time counts from then."""
    t0 = time.time()
    c = SignalCollector()
    for e in [
        ev.JobSubmitted(job_id="10", spec_name="scheduler", worker_names=(), job_name="x-scheduler",
                        submit_output="", role="scheduler", at=t0),
        ev.JobSubmitted(job_id="11", spec_name="S-0", worker_names=("S-0",), job_name="x",
                        submit_output="", at=t0),
        ev.JobStateChanged(job_id="11", old="pending", new="starting", queue_state="RUNNING",
                           reason="", at=t0 + 1),
    ]:
        c.on_event(e)
    assert c.signals(quiet_after=0.0, now=t0 + 100).quiet_jobs == ()
    assert not c.has_job_without_worker()
    c.on_event(ev.ClusterStarted(kind="slurm", generation=1, scheduler_address="tcp://10.0.0.2:1",
                                 dashboard_link="", cluster_name="c", placement="job",
                                 at=t0 + 60))
    assert c.has_job_without_worker()
    assert c.signals(quiet_after=6.0, now=t0 + 65).quiet_jobs == ()
    [quiet] = c.signals(quiet_after=6.0, now=t0 + 67).quiet_jobs
    assert (quiet.job_id, quiet.running_for) == ("11", 7.0)
