"""`hpctui serve`: the same TUI in a browser, through textual-serve, on 127.0.0.1 only.

The seed's "tunnel once" idea without JupyterLab: one `ssh -L` from the laptop reaches the
whole UI. The server binds to loopback only, because anyone who can reach it drives a session
that submits jobs as this user; the SSH tunnel is the way in.
"""

from __future__ import annotations

import argparse
import shlex
import socket
import sys

DEFAULT_PORT = 8765


def add_parser(subparsers, add_common) -> argparse.ArgumentParser:
    """Register `serve` on `subparsers`."""
    parser = subparsers.add_parser(
        "serve", help="serve the TUI in a browser on 127.0.0.1 (reach it with ssh -L)",
        description="Serve hpctui in a web browser through textual-serve, bound to 127.0.0.1 "
        "only, and print the ssh -L command that reaches it from a laptop.")
    add_common(parser)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, metavar="P",
                        help=f"port on 127.0.0.1 (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.set_defaults(handler=run)
    return parser


def app_command(args: argparse.Namespace) -> str:
    """The command textual-serve runs for each browser session: this hpctui, same options."""
    argv = [sys.executable, "-m", "hpctui"]
    scheduler = getattr(args, "scheduler", None)
    config = getattr(args, "config", None)
    if scheduler:
        argv += ["--scheduler", scheduler]
    if config:
        argv += ["--config", str(config)]
    return shlex.join(argv)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args: argparse.Namespace) -> int:
    """Run `hpctui serve` until interrupted; returns the exit code."""
    from hpctui.cli.errors import UsageError
    from hpctui.core.network.tunnel import dashboard_access

    port = args.port or free_port()
    if not 0 < port < 65536:
        raise UsageError(f"--port {args.port}: must be 1-65535 (or 0 for a free port)")
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise UsageError(f"--port {port}: cannot listen on 127.0.0.1:{port} ({exc.strerror})") from None

    from textual_serve.server import Server

    access = dashboard_access(f"127.0.0.1:{port}")
    print(f"hpctui is served at http://127.0.0.1:{port}/ (this machine only).", flush=True)
    print(f"On your laptop run:  {access.ssh_command}", flush=True)
    print(f"then open            http://localhost:{port}/", flush=True)
    Server(app_command(args), host="127.0.0.1", port=port, title="hpctui").serve()
    return 0
