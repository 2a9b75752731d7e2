"""`hpctui serve`: the TUI served on 127.0.0.1, with the ssh -L command printed; page fetched over loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request

from hpctui.cli.serve import free_port
from waits import wait_until


def test_serve_binds_loopback_prints_tunnel_and_serves_the_page(tmp_path):
    port = free_port()
    env = dict(os.environ, HOME=str(tmp_path), DASK_CONFIG=str(tmp_path))
    proc = subprocess.Popen(
        [sys.executable, "-m", "hpctui", "--scheduler", "local", "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True,
    )
    try:
        banner = [proc.stdout.readline() for _ in range(3)]
        assert f"127.0.0.1:{port}" in banner[0]
        assert banner[1].split(":", 1)[1].strip().startswith("ssh -N")
        assert f"-L {port}:127.0.0.1:{port}" in banner[1] or f"-L {port}:localhost:{port}" in banner[1]
        page = ""

        def served() -> bool:
            nonlocal page
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    page = r.read().decode()
                return True
            except OSError:
                return False

        wait_until(served, "the page served")
        assert "hpctui" in page and "<html" in page.lower()
        # Bound to loopback only: the port is not open on any other address of this host.
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True,
                                   text=True).stdout
        local = [line.split()[3] for line in listening.splitlines() if line.strip()]
        assert local and all(addr == f"127.0.0.1:{port}" for addr in local), listening
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def test_serve_rejects_a_bad_port():
    out = subprocess.run([sys.executable, "-m", "hpctui", "serve", "--port", "70000"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "--port 70000" in out.stderr and "Traceback" not in out.stderr
