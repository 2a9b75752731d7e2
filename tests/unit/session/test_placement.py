"""scheduler-placement and scheduler-idle-timeout: parsing, validation messages, what restarts
the scheduler job, and the scheduler job's command line."""

from __future__ import annotations

import pytest

from hpctui.core.config.profile import Profile
from hpctui.core.config.validate import validate
from hpctui.core.session import placement as pl
from hpctui.core.session.scheduler_job import SchedulerPlan, scheduler_args


def test_placement_defaults_to_login_and_reads_job():
    assert pl.placement_of({}) == "login"
    assert pl.placement_of({"scheduler-placement": "JOB "}) == "job"


@pytest.mark.parametrize("value", ["compute", 3, "logn"])
def test_bad_placement_names_key_and_value(value):
    problems = validate(Profile("local", {"scheduler-placement": value}), interfaces=["lo"])
    [p] = [p for p in problems if p.key == "scheduler-placement"]
    assert p.message.startswith(f"scheduler-placement: {value!r} is not a placement")
    assert "login" in p.message and "job" in p.message


@pytest.mark.parametrize("value, seconds", [("30 minutes", 1800), ("2h", 7200), (600, 600)])
def test_idle_timeout_parses_durations(value, seconds):
    assert pl.idle_timeout_of({"scheduler-idle-timeout": value}) == seconds
    assert pl.idle_timeout_of({}) == 1800  # the default


@pytest.mark.parametrize("value, words", [("soon", "is not a duration"), ("1s", "too short")])
def test_bad_idle_timeout_names_key_and_value(value, words):
    problems = validate(Profile("local", {"scheduler-idle-timeout": value}), interfaces=["lo"])
    [p] = [p for p in problems if p.key == "scheduler-idle-timeout"]
    assert p.message.startswith(f"scheduler-idle-timeout: {value!r}") and words in p.message


def test_job_placement_accepts_an_interface_only_compute_nodes_have():
    base = {"cores": 1, "memory": "1GB", "interface": "ib0"}
    login = validate(Profile("slurm", base), interfaces=["lo", "eth0"])
    assert any(p.key == "interface" and p.severity == "error" for p in login)
    job = validate(Profile("slurm", {**base, "scheduler-placement": "job"}),
                   interfaces=["lo", "eth0"])
    assert not [p for p in job if p.key == "interface"]


def test_only_the_scheduler_jobs_own_settings_restart_it():
    old = {"cores": 1, "memory": "1GB", "python": "/a/python", "interface": "ib0"}
    assert pl.scheduler_changes(old, {**old, "cores": 4, "worker-extra-args": ["--x"],
                                      "job-extra-directives": ["--exclusive"]}) == []
    assert pl.scheduler_changes(old, {**old, "python": "/b/python"}) == ["python"]
    assert pl.scheduler_changes(old, old, {"worker.use-file-locking": True}, {}) == []
    assert pl.scheduler_changes(old, old, {"comm.timeouts.connect": "30s"}, {}) == [
        "distributed.comm.timeouts.connect"]
    kw = {"cores": 1, "python": "/a", pl.IDLE_KWARG: 60.0}
    assert pl.scheduler_kwarg_changes(kw, {**kw, "cores": 8}) == []
    assert pl.scheduler_kwarg_changes(kw, {**kw, pl.IDLE_KWARG: 90.0}) == [pl.IDLE_KWARG]


def test_session_kwargs_round_trip():
    kw = pl.session_kwargs({"cores": 1}, {"scheduler-placement": "job",
                                          "scheduler-idle-timeout": "1 minute"})
    assert pl.split_session_kwargs(kw) == ({"cores": 1}, "job", 60.0)
    assert pl.split_session_kwargs({"cores": 1}) == ({"cores": 1}, "login", 1800.0)
    with pytest.raises(ValueError, match="scheduler-placement: 'cloud'"):
        pl.split_session_kwargs({pl.PLACEMENT_KWARG: "cloud"})


def test_scheduler_command_line(tmp_path):
    plan = SchedulerPlan.make("slurm", {"log_directory": str(tmp_path), "job_name": "w"}, 90.0,
                              token="abc")
    assert plan.scheduler_file == str(tmp_path / "hpctui-scheduler-abc.json")
    assert plan.job_name == "w-scheduler"
    args = scheduler_args(plan, {"interface": "ib0", "dashboard_address": ":0",
                                 "protocol": None, "security": None})
    assert args[:2] == ["-m", "distributed.cli.dask_scheduler"]
    text = " ".join(args)
    assert f"--scheduler-file {plan.scheduler_file}" in text
    assert "--idle-timeout 90s" in text and f"--preload {plan.preload}" in text
    assert "--interface ib0" in text and "--port 0" in text and "--dashboard-address :0" in text
    assert "--protocol" not in text


def test_scheduler_command_line_with_tls(tmp_path):
    from hpctui.core.network.security import cluster_certificates

    sec = cluster_certificates(tmp_path / "tls")
    plan = SchedulerPlan.make("slurm", {}, 60.0, token="t")
    options = {"security": sec, "protocol": "tls://", "interface": "ib0"}
    text = " ".join(scheduler_args(plan, options))
    assert "--protocol tls" in text and "--tls-cert" not in text
    # The files reach the scheduler through Dask's config variables (see scheduler_exports).
    from hpctui.core.session.scheduler_job import build_scheduler_job

    script = build_scheduler_job(plan, {"cores": 1, "memory": "1GB"}, options).job_script()
    assert f"export DASK_DISTRIBUTED__COMM__TLS__CA_FILE={sec.tls_ca_file}" in script
    assert f"export DASK_DISTRIBUTED__COMM__TLS__SCHEDULER__KEY={sec.tls_scheduler_key}" in script
    assert oct((tmp_path / "tls").stat().st_mode & 0o777) == "0o700"
    assert oct((tmp_path / "tls" / "key.pem").stat().st_mode & 0o777) == "0o600"
    # Made once: a reattach reads the same certificates.
    again = cluster_certificates(tmp_path / "tls")
    assert (tmp_path / "tls" / "cert.pem").read_text().startswith("-----BEGIN CERTIFICATE")
    assert again.tls_ca_file == sec.tls_ca_file


def test_the_scheduler_job_script_is_the_profiles_own(tmp_path):
    from hpctui.core.session.scheduler_job import build_scheduler_job

    kwargs = {"cores": 2, "memory": "2GB", "queue": "debug", "job_name": "w",
              "python": "/opt/py/bin/python", "job_script_prologue": ["module load dask"],
              "log_directory": str(tmp_path)}
    plan = SchedulerPlan.make("slurm", kwargs, 60.0, token="t")
    script = build_scheduler_job(plan, kwargs, {"interface": "ib0"}).job_script()
    assert "#SBATCH -J w-scheduler" in script and "#SBATCH -p debug" in script
    assert "module load dask" in script
    assert "/opt/py/bin/python -m distributed.cli.dask_scheduler --scheduler-file" in script
    assert "dask_worker" not in script
