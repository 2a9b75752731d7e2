"""The testbed's network is what the seed's machine was: the node reaches the host only on ib0.

A listener on all the host's addresses is reachable from inside the compute node's namespace through
the host's ib0 address, while a connect to the host's default-route address hangs (silently dropped,
not refused) until its timeout: the condition behind "Timed out trying to connect".
"""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.testbed, pytest.mark.timeout(60)]

# Run inside the node's namespace: prints "connected", "refused" or "timeout" for host:port.
_PROBE = """
import socket, sys
s = socket.socket()
s.settimeout(float(sys.argv[3]))
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    print("connected")
except ConnectionRefusedError:
    print("refused")
except (socket.timeout, TimeoutError):
    print("timeout")
"""


def _connect_from_node(testbed, host: str, port: int, timeout: float = 3.0) -> str:
    # nsenter joins only the network namespace, like the testbed's slurmd, so the same python runs.
    out = subprocess.run(
        ["nsenter", f"--net=/run/netns/{testbed.netns}", sys.executable, "-c", _PROBE,
         host, str(port), str(timeout)],
        capture_output=True, text=True, timeout=timeout + 20,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.fixture
def listener():
    """A TCP listener on every host address (as a scheduler without `interface` has)."""
    sock = socket.socket()
    sock.bind(("0.0.0.0", 0))
    sock.listen(4)
    yield sock.getsockname()[1]
    sock.close()


def test_node_reaches_host_on_ib0(testbed, listener):
    assert _connect_from_node(testbed, testbed.host_ib0, listener) == "connected"


def test_default_address_is_routable_but_silent(testbed, listener):
    assert testbed.default_addr not in (testbed.host_ib0, "")
    # "timeout", not "refused": the packets are dropped, so the client waits its full timeout.
    assert _connect_from_node(testbed, testbed.default_addr, listener) == "timeout"


def test_both_ends_are_named_ib0(testbed):
    host = subprocess.run(["ip", "-4", "-o", "addr", "show", "dev", "ib0"],
                          capture_output=True, text=True, check=True).stdout
    node = subprocess.run(["ip", "-n", testbed.netns, "-4", "-o", "addr", "show", "dev", "ib0"],
                          capture_output=True, text=True, check=True).stdout
    assert f" {testbed.host_ib0}/" in host
    assert f" {testbed.compute_ib0}/" in node
