"""The compute-node probe, run for real as a plain script against real loopback listeners."""

from __future__ import annotations

import ast
import errno
import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from needs import need

import hpctui.on_node.netprobe as netprobe

SCRIPT = Path(netprobe.__file__)
# The system python, outside the venv: proves the probe needs neither hpctui nor its dependencies.
PLAIN_PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable


class Listener:
    """A loopback TCP listener that records every line block sent to it, like probe_run's."""

    def __init__(self, backlog: int = 16, accept: bool = True):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        if accept:
            threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                chunks = []
                try:
                    while chunk := conn.recv(65536):
                        chunks.append(chunk)
                        if b"\n" in chunk and b" hello " in chunks[0]:
                            break
                    conn.sendall(b"ok\n")
                except OSError:
                    pass
                self.received.append(b"".join(chunks))

    def close(self):
        self.sock.close()


def _closed_port() -> int:
    # Bound but never listening: the kernel answers a connect with RST, i.e. "refused".
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _run(*args, python=PLAIN_PYTHON, timeout=60):
    return subprocess.run([python, "-I", str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=timeout)


def test_open_port_ok_closed_port_refused_report_by_tcp_and_file(tmp_path):
    listener = Listener()
    closed = _closed_port()
    try:
        out = _run(f"open=127.0.0.1:{listener.port}", f"closed=127.0.0.1:{closed}",
                   "--out-dir", str(tmp_path), "--token", "tok123", "--timeout", "2")
    finally:
        listener.close()
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    by_name = {t["name"]: t for t in report["targets"]}
    assert by_name["open"]["status"] == "ok" and by_name["open"]["error"] == ""
    assert by_name["open"]["local_address"] == "127.0.0.1"
    assert by_name["closed"]["status"] == "refused"
    assert "Connection refused" in by_name["closed"]["error"]
    assert all(isinstance(t["ms"], float) and t["ms"] < 2000 for t in report["targets"])
    assert report["reported_to"] == "open"
    assert report["hostname"] == socket.gethostname()
    # The file channel is always written, whatever TCP did.
    on_disk = json.loads((tmp_path / "hpctui-probe-tok123.json").read_text())
    assert on_disk["targets"] == report["targets"]
    # The listener got the hello from the connectivity check and then the whole report.
    lines = [block.decode() for block in listener.received]
    assert any(b.startswith("HPCTUI-PROBE tok123 hello open") for b in lines)
    (report_block,) = [b for b in lines if b.startswith("HPCTUI-PROBE tok123 report\n")]
    sent = json.loads(report_block.split("\n", 1)[1])
    assert sent["token"] == "tok123" and sent["targets"] == report["targets"]


def test_slow_import_check_does_not_delay_the_network_report(tmp_path):
    # The venv's python takes about a second to import dask and distributed: more than the grace.
    listener = Listener()
    try:
        out = _run(f"open=127.0.0.1:{listener.port}", "--out-dir", str(tmp_path), "--token", "two",
                   "--python", sys.executable, "--python-grace", "0.05")
    finally:
        listener.close()
    reports = [json.loads(b.decode().split("\n", 1)[1]) for b in listener.received
               if b.startswith(b"HPCTUI-PROBE two report\n")]
    assert [r["stage"] for r in reports] == ["network", "final"]
    assert reports[0]["python"] is None and reports[1]["python"]["ok"] is True
    assert reports[0]["targets"] == reports[1]["targets"]
    assert json.loads((tmp_path / "hpctui-probe-two.json").read_text())["stage"] == "final"
    assert json.loads(out.stdout)["stage"] == "final"


def test_full_accept_queue_is_a_timeout():
    # A listener that never accepts, with its queue full: further SYNs are dropped silently,
    # exactly what a firewall that drops does.
    listener = Listener(backlog=0, accept=False)
    fillers = []
    try:
        for _ in range(3):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", listener.port))
            fillers.append(s)
        out = _run(f"silent=127.0.0.1:{listener.port}", "--timeout", "0.7")
    finally:
        for s in fillers:
            s.close()
        listener.close()
    (target,) = json.loads(out.stdout)["targets"]
    assert target["status"] == "timeout", target
    assert 600 <= target["ms"] < 3000
    assert json.loads(out.stdout)["reported_to"] is None


def test_nothing_reachable_still_writes_the_file(tmp_path):
    out = _run(f"a=127.0.0.1:{_closed_port()}", "--out-dir", str(tmp_path / "shared"),
               "--token", "lonely")
    report = json.loads((tmp_path / "shared" / "hpctui-probe-lonely.json").read_text())
    assert report["reported_to"] is None
    assert [t["status"] for t in report["targets"]] == ["refused"]
    assert "wrote" in out.stderr


def test_targets_from_json_file(tmp_path):
    listener = Listener()
    f = tmp_path / "targets.json"
    f.write_text(json.dumps(["x=127.0.0.1:%d" % listener.port,
                             {"name": "y", "host": "127.0.0.1", "port": _closed_port()}]))
    try:
        out = _run("--targets-file", str(f))
    finally:
        listener.close()
    statuses = {t["name"]: t["status"] for t in json.loads(out.stdout)["targets"]}
    assert statuses == {"x": "ok", "y": "refused"}


def test_python_check_reports_versions_and_failures():
    import dask
    import distributed

    out = _run(f"a=127.0.0.1:{_closed_port()}", "--python", sys.executable)
    py = json.loads(out.stdout)["python"]
    assert py["ok"] is True
    assert (py["dask"], py["distributed"]) == (dask.__version__, distributed.__version__)

    missing = netprobe.check_python("/nonexistent/python3")
    assert missing["ok"] is False and "No such file" in missing["error"]


def test_python_without_dask_is_not_ok(tmp_path):
    # An isolated interpreter (-I ignores PYTHONPATH and user site) with no dask installed.
    need(PLAIN_PYTHON != sys.executable, "no system python outside the venv")
    probe = subprocess.run([PLAIN_PYTHON, "-I", "-c", "import dask"], capture_output=True)
    need(probe.returncode != 0, "the system python has dask")
    py = netprobe.check_python(PLAIN_PYTHON)
    assert py["ok"] is False and py["dask"] is None
    assert "ModuleNotFoundError" in py["error"] and "dask" in py["error"]


@pytest.mark.parametrize("use_ip", [True, False])
def test_interfaces_include_loopback(use_ip):
    interfaces, source = netprobe.node_interfaces(use_ip_command=use_ip)
    lo = [i for i in interfaces if i["loopback"]]
    assert lo and "127.0.0.1/8" in lo[0]["ipv4"] and lo[0]["up"]
    if not use_ip:
        assert source == "/proc/net/dev+ioctl"


def test_both_interface_sources_agree_on_ipv4():
    by_ip, _ = netprobe.node_interfaces(True)
    by_proc, source = netprobe.node_interfaces(False)
    assert source == "/proc/net/dev+ioctl"
    # ioctl sees an interface's first IPv4 address only.
    assert {i["name"]: i["ipv4"][:1] for i in by_ip} == {i["name"]: i["ipv4"] for i in by_proc}
    assert {i["name"]: i["up"] for i in by_ip} == {i["name"]: i["up"] for i in by_proc}


def test_bad_target_is_a_clear_error():
    out = _run("ib0=10.0.0.1")
    assert out.returncode == 2
    assert "target 'ib0=10.0.0.1'" in out.stderr and "no :port" in out.stderr


@pytest.mark.parametrize("text,expected", [
    ("ib0=10.0.0.1:4000", {"name": "ib0", "host": "10.0.0.1", "port": 4000}),
    ("v6=[fd00::2]:80", {"name": "v6", "host": "fd00::2", "port": 80}),
])
def test_parse_target(text, expected):
    assert netprobe.parse_target(text) == expected


@pytest.mark.parametrize("bad", ["=1.2.3.4:5", "x=1.2.3.4:0", "x=:80", "noequals"])
def test_parse_target_rejects(bad):
    with pytest.raises(netprobe.TargetError, match=repr(bad).replace("[", r"\[")):
        netprobe.parse_target(bad)


@pytest.mark.parametrize("err,status", [
    (errno.EHOSTUNREACH, "no-route"),
    (errno.ENETUNREACH, "unreachable"),
    (errno.ECONNREFUSED, "refused"),
    (errno.ETIMEDOUT, "timeout"),
    (errno.EADDRNOTAVAIL, "error"),
])
def test_classify_error(err, status):
    assert netprobe.classify_error(OSError(err, "x")) == status


def test_unwritable_out_dir_is_said_and_tcp_still_works(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the directory should be")
    listener = Listener()
    try:
        out = _run(f"open=127.0.0.1:{listener.port}", "--out-dir", str(blocker / "sub"),
                   "--token", "nodir")
    finally:
        listener.close()
    assert out.returncode == 0
    assert f"cannot write the report into {blocker / 'sub'}" in out.stderr
    assert any(b.startswith(b"HPCTUI-PROBE nodir report\n") for b in listener.received)


def test_script_is_valid_python_3_10():
    # Compute nodes may run an older python than hpctui's; 3.10 is the floor.
    ast.parse(SCRIPT.read_text(), feature_version=(3, 10))


def _other_pythons() -> list[str]:
    # Interpreters this machine happens to have besides the venv's (pyenv builds, the system's).
    found = sorted(str(p) for p in Path("/root/.pyenv/versions").glob("3.1[0-9]*/bin/python3")
                   if Path("/root/.pyenv/versions").exists())
    return found or [PLAIN_PYTHON]


@pytest.mark.parametrize("python", _other_pythons())
def test_runs_under_other_pythons(python, tmp_path):
    listener = Listener()
    try:
        out = _run(f"open=127.0.0.1:{listener.port}", "--no-ip-command", "--out-dir", str(tmp_path),
                   "--token", "py", python=python)
    finally:
        listener.close()
    assert out.returncode == 0, out.stderr
    assert [t["status"] for t in json.loads(out.stdout)["targets"]] == ["ok"]
    assert (tmp_path / "hpctui-probe-py.json").exists()


def test_script_imports_only_the_standard_library():
    for script in (SCRIPT, SCRIPT.with_name("hpctui_netifs.py")):
        tree = ast.parse(script.read_text())
        modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules.add(node.module.split(".")[0])
        # hpctui_netifs is its sibling, copied beside it by install_probe_script.
        assert modules - set(sys.stdlib_module_names) - {"hpctui_netifs"} == set(), script


def test_installed_copy_runs_where_hpctui_is_not_importable(tmp_path):
    from hpctui.core.network.probe_job import install_probe_script

    script = install_probe_script(str(tmp_path / "shared"), "cp")
    listener = Listener()
    try:
        # -I: no site-packages, no PYTHONPATH, no current directory: only the copied files.
        out = subprocess.run([sys.executable, "-I", script, f"open=127.0.0.1:{listener.port}",
                              "--out-dir", str(tmp_path), "--token", "cp"],
                             capture_output=True, text=True, timeout=120)
    finally:
        listener.close()
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert [t["status"] for t in report["targets"]] == ["ok"]
    assert report["interfaces"], report
