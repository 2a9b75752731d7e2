"""How to open the scheduler's dashboard from a laptop: the `ssh -L` command and the proxy URL.

The dashboard listens on the login node, which the laptop usually reaches only through SSH. From
the dashboard address this module builds the port-forward command to run on the laptop and the
jupyter-server-proxy path (`/proxy/<port>/status`) for users on a JupyterHub.
"""

from __future__ import annotations

import getpass
import ipaddress
import os
import re
import socket
from dataclasses import dataclass
from typing import Mapping

# Hosts that mean "every interface": from the login node itself, localhost reaches them.
_WILDCARD_HOSTS = {"", "0.0.0.0", "::", "*"}


@dataclass(frozen=True)
class DashboardAccess:
    """Ways to open one dashboard from elsewhere."""

    host: str  # the host the dashboard listens on, as the login node reaches it
    port: int
    url_on_login_node: str  # http://host:port/status
    ssh_command: str  # run on the laptop, then open `laptop_url`
    laptop_url: str
    proxy_path: str  # jupyter-server-proxy, relative to the Jupyter server's base URL


def parse_dashboard_address(address: str) -> tuple[str, int]:
    """(host, port) from `http://h:p/status`, `h:p`, `[v6]:p` or `:p`; ValueError naming it."""
    text = address.strip()
    m = re.fullmatch(r"(?:https?://)?(\[[^\]]*\]|[^/:]*)(?::(\d+))?(?:/.*)?", text)
    if not m or m.group(2) is None:
        raise ValueError(f"dashboard address {address!r}: expected host:port "
                         "(like 10.0.0.1:8787 or http://10.0.0.1:8787/status)")
    host, port = m.group(1).strip("[]"), int(m.group(2))
    if not 0 < port < 65536:
        raise ValueError(f"dashboard address {address!r}: port {port} is not 1-65535")
    return host, port


def _ssh_target(login_host: str, user: str | None) -> str:
    return f"{user}@{login_host}" if user else login_host


def dashboard_access(
    dashboard_address: str,
    login_host: str | None = None,
    user: str | None = None,
    local_port: int | None = None,
    env: Mapping[str, str] | None = None,
    remote: bool = False,
) -> DashboardAccess:
    """The ssh -L command and proxy path for a dashboard at `dashboard_address`.

    `login_host` defaults to this machine's host name, `user` to the current user, `local_port`
    (the laptop's end of the tunnel) to the dashboard's own port. `env` (default os.environ)
    supplies JUPYTERHUB_SERVICE_PREFIX for the proxy path and SSH_CONNECTION for a non-22 port.
    `remote`: the dashboard is on another host (a compute node, `scheduler-placement: job`):
    the tunnel goes through the login node to it, and jupyter-server-proxy is told its host
    (`/proxy/<host>:<port>/status`).
    """
    env = os.environ if env is None else env
    host, port = parse_dashboard_address(dashboard_address)
    if host in _WILDCARD_HOSTS:
        host = "localhost"
    login_host = login_host or socket.gethostname()
    user = user if user is not None else getpass.getuser()
    local_port = local_port or port
    try:
        is_v6 = ipaddress.ip_address(host).version == 6
    except ValueError:
        is_v6 = False
    forward_host = f"[{host}]" if is_v6 else host
    url_host = f"[{host}]" if is_v6 else host
    # The laptop reached sshd on SSH_CONNECTION's server port; a non-default one must be repeated.
    ssh_port = ""
    parts = env.get("SSH_CONNECTION", "").split()
    if len(parts) == 4 and parts[3] != "22":
        ssh_port = f"-p {parts[3]} "
    ssh_command = (f"ssh -N {ssh_port}-L {local_port}:{forward_host}:{port} "
                   f"{_ssh_target(login_host, user)}")
    prefix = env.get("JUPYTERHUB_SERVICE_PREFIX", "/") or "/"
    if not prefix.endswith("/"):
        prefix += "/"
    return DashboardAccess(
        host=host,
        port=port,
        url_on_login_node=f"http://{url_host}:{port}/status",
        ssh_command=ssh_command,
        laptop_url=f"http://localhost:{local_port}/status",
        proxy_path=(f"{prefix}proxy/{url_host}:{port}/status" if remote and host != "localhost"
                    else f"{prefix}proxy/{port}/status"),
    )


def bound_dashboard_link(link: str, dashboard_address: str | None) -> str:
    """The dashboard link with the host it is really bound to.

    distributed builds `dashboard_link` from the scheduler's advertised host, but
    `scheduler-options: {dashboard_address: "127.0.0.1:8787"}` binds the dashboard to
    loopback only: an `ssh -L` to the advertised host would then reach nothing. When the
    setting names a specific host, that host is used (the port stays the link's, which is
    the one really bound, e.g. after "port 8787 in use").
    """
    if not link or not dashboard_address:
        return link
    setting = str(dashboard_address).strip()
    host = setting.rsplit(":", 1)[0] if ":" in setting else ""
    host = host.strip("[]")
    if host in _WILDCARD_HOSTS:
        return link
    try:
        _, port = parse_dashboard_address(link)
    except ValueError:
        return link
    scheme = link.split("://", 1)[0] if "://" in link else "http"
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}/status"
