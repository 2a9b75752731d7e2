"""Dashboard address -> ssh -L command and jupyter-server-proxy path."""

from __future__ import annotations

import shlex

import pytest

from hpctui.core.network.tunnel import dashboard_access, parse_dashboard_address


def test_ssh_command_for_a_dashboard_link():
    a = dashboard_access("http://10.213.7.1:8787/status", login_host="login1.example.org",
                         user="alice", env={})
    assert a.ssh_command == "ssh -N -L 8787:10.213.7.1:8787 alice@login1.example.org"
    assert a.laptop_url == "http://localhost:8787/status"
    assert a.url_on_login_node == "http://10.213.7.1:8787/status"
    assert a.proxy_path == "/proxy/8787/status"
    # The command is one shell line a user can paste.
    assert shlex.split(a.ssh_command)[-1] == "alice@login1.example.org"


def test_all_interfaces_forwards_to_localhost_and_other_local_port():
    a = dashboard_access(":40123", login_host="login1", user="bob", local_port=8787, env={})
    assert a.ssh_command == "ssh -N -L 8787:localhost:40123 bob@login1"
    assert a.laptop_url == "http://localhost:8787/status"
    assert dashboard_access("0.0.0.0:9", login_host="l", user="u", env={}).host == "localhost"


def test_ipv6_is_bracketed():
    a = dashboard_access("http://[fd00::2]:8787/status", login_host="l", user="u", env={})
    assert a.ssh_command == "ssh -N -L 8787:[fd00::2]:8787 u@l"
    assert a.url_on_login_node == "http://[fd00::2]:8787/status"


def test_jupyterhub_prefix_and_nonstandard_ssh_port():
    env = {"JUPYTERHUB_SERVICE_PREFIX": "/user/alice", "SSH_CONNECTION": "1.2.3.4 5555 10.0.0.1 2222"}
    a = dashboard_access("10.0.0.1:8787", login_host="login1", user="alice", env=env)
    assert a.proxy_path == "/user/alice/proxy/8787/status"
    assert a.ssh_command == "ssh -N -p 2222 -L 8787:10.0.0.1:8787 alice@login1"


def test_defaults_come_from_this_machine(monkeypatch):
    import getpass
    import socket

    a = dashboard_access("127.0.0.1:8787", env={})
    assert a.ssh_command.endswith(f"{getpass.getuser()}@{socket.gethostname()}")


@pytest.mark.parametrize("bad", ["10.0.0.1", "http://host/status", "h:0", "h:99999", ""])
def test_bad_address_names_the_value(bad):
    with pytest.raises(ValueError, match="dashboard address"):
        parse_dashboard_address(bad)


def test_bound_dashboard_link_uses_the_host_the_dashboard_is_bound_to():
    from hpctui.core.network.tunnel import bound_dashboard_link

    link = "http://192.0.2.2:8787/status"
    assert bound_dashboard_link(link, "127.0.0.1:8787") == "http://127.0.0.1:8787/status"
    # The port stays the one really bound (8787 may have been taken).
    assert bound_dashboard_link("http://192.0.2.2:40123/status", "127.0.0.1:0") == \
        "http://127.0.0.1:40123/status"
    # All interfaces, or no setting: the advertised host is right.
    assert bound_dashboard_link(link, ":8787") == link
    assert bound_dashboard_link(link, "0.0.0.0:8787") == link
    assert bound_dashboard_link(link, None) == link


def test_a_dashboard_on_a_compute_node_goes_through_the_login_node():
    # scheduler-placement: job: the dashboard is on the node that runs the scheduler's job.
    a = dashboard_access("http://10.213.7.2:37201/status", login_host="login1", user="me",
                         env={}, remote=True)
    assert a.ssh_command == "ssh -N -L 37201:10.213.7.2:37201 me@login1"
    assert a.proxy_path == "/proxy/10.213.7.2:37201/status"
    here = dashboard_access("http://10.213.7.2:37201/status", login_host="login1", user="me",
                            env={})
    assert here.proxy_path == "/proxy/37201/status"
