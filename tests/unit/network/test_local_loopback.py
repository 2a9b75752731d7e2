"""The local backend's safe default: the scheduler, the workers and the dashboard listen on
loopback only (the workers are local), so a first start has nothing to warn about; a user's
`interface` or `scheduler-options` still wins, and batch systems are unchanged."""

from __future__ import annotations

import psutil
import pytest
from session_events import EventLog

from hpctui.core.config.load import LOCAL_DEFAULTS, loopback_interface
from hpctui.core.network.address import address_source, describe_scheduler_address
from hpctui.core.network.security import listens_on_all_interfaces, tls_warning
from hpctui.core.network.tunnel import bound_dashboard_link, dashboard_access
from hpctui.core.session.cluster import ClusterSession
from hpctui.core.session.events import ClusterStarted, WorkerJoined
from hpctui.core.session.workspace import Workspace

pytestmark = pytest.mark.timeout(180)


def _workspace(tmp_path, kind: str = "local", body: str = ""):
    path = tmp_path / "dask.yaml"
    path.write_text(f"jobqueue:\n  {kind}:\n    log-directory: {tmp_path / 'logs'}\n{body}")
    return Workspace.from_config(kind, path, paths=[], environ={})


def test_first_start_listens_on_loopback_and_says_where_that_comes_from(tmp_path):
    ws = _workspace(tmp_path)
    profile = ws.pending
    assert profile.get("interface") == loopback_interface() == "lo"
    assert profile.get("scheduler-options") == {"dashboard_address": "127.0.0.1:8787"}
    assert ws.provenance("interface") == LOCAL_DEFAULTS == "hpctui's local defaults"
    assert ws.provenance("interface", short=True) == "hpctui"
    assert ws.provenance("cores") == LOCAL_DEFAULTS
    assert ws.provenance("walltime") == "default"  # dask-jobqueue's own
    assert not listens_on_all_interfaces(profile)
    assert tls_warning(profile, "tcp://127.0.0.1:41000") is None
    # dask-jobqueue hands `interface` to the scheduler and to every worker.
    kwargs = profile.cluster_kwargs()
    assert kwargs["interface"] == "lo"
    assert kwargs["scheduler_options"] == {"dashboard_address": "127.0.0.1:8787"}


@pytest.mark.parametrize("body,source", [
    ("    interface: eth0\n", ("interface", "eth0")),
    ("    scheduler-options: {interface: eth0}\n", ("scheduler-options.interface", "eth0")),
    ("    scheduler-options: {host: 10.0.0.1}\n", ("scheduler-options.host", "10.0.0.1")),
])
def test_a_users_address_setting_wins(tmp_path, body, source):
    profile = _workspace(tmp_path, body=body).pending
    found = address_source(profile.settings)  # no "both host and interface" from the merge
    assert (found.key, found.value) == source
    assert not listens_on_all_interfaces(profile)


def test_a_user_who_binds_every_interface_gets_the_warning_back(tmp_path):
    ws = _workspace(tmp_path, body="    scheduler-options: {host: 0.0.0.0}\n")
    profile = ws.pending
    assert profile.get("scheduler-options") == {"dashboard_address": "127.0.0.1:8787",
                                                "host": "0.0.0.0"}
    assert ws.provenance("scheduler-options") == str(tmp_path / "dask.yaml")
    assert listens_on_all_interfaces(profile)
    assert "all interfaces" in tls_warning(profile, "tcp://192.0.2.2:41000")


def test_batch_systems_keep_dask_jobqueues_defaults_and_the_warning(tmp_path):
    profile = _workspace(tmp_path, "slurm", "    cores: 1\n    memory: 1GB\n").pending
    assert profile.get("interface") is None and not profile.get("scheduler-options")
    assert listens_on_all_interfaces(profile)
    assert tls_warning(profile, "tcp://192.0.2.2:41000") is not None


def test_loopback_is_no_mistake_when_the_workers_are_local():
    remote = describe_scheduler_address("tcp://127.0.0.1:5", "tcp://127.0.0.1:5", {"interface": "lo"})
    local = describe_scheduler_address("tcp://127.0.0.1:5", "tcp://127.0.0.1:5", {"interface": "lo"},
                                       workers_local=True)
    assert any("loopback" in w for w in remote.warnings)
    assert local.warnings == () and "`interface: lo` chose it" in local.explanation


def _listening(process: psutil.Process) -> set[tuple[str, int]]:
    return {(c.laddr.ip, c.laddr.port) for c in process.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN}


def test_scheduler_dashboard_and_workers_really_listen_on_loopback_only(tmp_path):
    profile = _workspace(tmp_path).pending
    session = ClusterSession("local", profile.cluster_kwargs(), handle_exits=False)
    log = EventLog()
    session.subscribe(log)
    try:
        session.start()
        session.scale(1)
        started = log.wait_for(ClusterStarted, timeout=60)[0]
        joined = log.wait_for(WorkerJoined, timeout=120)[0]
        assert started.listen_address.startswith("tcp://127.0.0.1:")
        assert started.scheduler_address.startswith("tcp://127.0.0.1:")
        assert joined.address.startswith("tcp://127.0.0.1:")  # the worker's contact address
        link = bound_dashboard_link(started.dashboard_link, "127.0.0.1:8787")
        access = dashboard_access(link, login_host="login1", user="me")
        # The tunnel's far end is the loopback address the dashboard is bound to.
        assert access.ssh_command == f"ssh -N -L {access.port}:127.0.0.1:{access.port} me@login1"
        ours = _listening(psutil.Process())
        for port in (int(started.scheduler_address.rsplit(":", 1)[1]), access.port):
            assert {ip for ip, p in ours if p == port} == {"127.0.0.1"}, (port, ours)
        # The worker's own port too (`--interface lo`). Its dashboard is not in hpctui's
        # defaults: that is `worker-extra-args`, a list a user's setting replaces whole.
        job = psutil.Process(int(session.snapshot().jobs[0].job_id))
        worker_side = set().union(*(_listening(p) for p in job.children(recursive=True)))
        worker_port = int(joined.address.rsplit(":", 1)[1])
        assert {ip for ip, p in worker_side if p == worker_port} == {"127.0.0.1"}, worker_side
    finally:
        session.close()
        assert session.wait_closed(60)
