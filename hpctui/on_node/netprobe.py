#!/usr/bin/env python3
"""Network probe run on a compute node: which login-node addresses can this node reach?

Standard library only, Python 3.10+, runnable as a plain script where hpctui is not installed
(only the profile's python need exist there). hpctui's login side opens a listener on each of its
addresses and submits this script through the batch system with the same header, python and
prologue as the Dask workers. The probe:

- reports the node's hostname and interfaces (`ip -j addr` when available, else /proc/net/dev,
  ioctls and /proc/net/if_inet6);
- tries a TCP connection to every target at once (one thread each, short timeout) and classifies
  each: ok / refused / timeout / no-route / unreachable / error, with the error text and the time;
- checks whether the python to test can import dask and distributed, and their versions;
- sends its report to the first reachable target (one line `HPCTUI-PROBE <token> report` then one
  line of JSON), AND always writes the same JSON to `<out-dir>/hpctui-probe-<token>.json` (a shared
  file system), so "no address reachable" is itself a result the login side can read.
- The network report goes out as soon as the connect checks end (`"stage": "network"`) when the
  import check is still running; a `"stage": "final"` report with it follows the same ways.

Usage:
    python netprobe.py [--targets-file F.json] [--out-dir DIR] [--token T] [--timeout S]
                       [--python PY] [name=address:port ...]
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import socket
import subprocess
import sys
import threading
import time

def _mark(phase):
    """Append a phase mark to `<out-dir>/hpctui-probe-<token>.json.phases` (see the login side's
    probe_phases.py): the login side reads it when no report arrives. Never raises."""
    argv = sys.argv[1:]
    try:
        out = argv[argv.index("--out-dir") + 1]
        token = argv[argv.index("--token") + 1]
        with open(os.path.join(out, "hpctui-probe-%s.json.phases" % token), "a") as f:
            f.write(phase + "\n")
    except (ValueError, IndexError, OSError):
        pass


# First thing: the interpreter got through its start-up (site, .pth files) to this script.
_mark("python-started")

# The interface code sits in a sibling file: beside this script on the node (copied by
# install_probe_script) and in this package in hpctui. Its directory first, so the sibling of
# this very copy is used, never another version found elsewhere on the node's path.
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
from hpctui_netifs import node_interfaces  # noqa: E402

PROTOCOL_MAGIC = "HPCTUI-PROBE"
PROTOCOL_VERSION = 1
DEFAULT_CONNECT_TIMEOUT = 2.5

# errno -> status: the distinctions a user needs (firewall drop vs closed port vs no route).
_ERRNO_STATUS = {
    errno.ECONNREFUSED: "refused",
    errno.ETIMEDOUT: "timeout",
    errno.EHOSTUNREACH: "no-route",
    errno.ENETUNREACH: "unreachable",
}

_IMPORT_CHECK = (
    "import json, sys\n"
    "out = {'python_version': sys.version.split()[0], 'executable': sys.executable}\n"
    "for mod in ('dask', 'distributed'):\n"
    "    try:\n"
    "        m = __import__(mod)\n"
    "        out[mod] = getattr(m, '__version__', 'unknown')\n"
    "    except Exception as e:\n"
    "        out[mod] = None\n"
    "        out[mod + '_error'] = '%s: %s' % (type(e).__name__, e)\n"
    "print(json.dumps(out))\n"
)


class TargetError(ValueError):
    """A target that is not `name=address:port`."""


def parse_target(text: str) -> dict:
    """`ib0=10.0.0.1:4000` (IPv6 as `name=[addr]:port`) -> {"name", "host", "port"}."""
    name, sep, hostport = text.partition("=")
    if not sep or not name:
        raise TargetError(f"target {text!r}: expected name=address:port")
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif ":" not in hostport:
        raise TargetError(f"target {text!r}: no :port after the address {hostport!r}")
    else:
        host, _, port_text = hostport.rpartition(":")
    try:
        port = int(port_text)
    except ValueError:
        raise TargetError(f"target {text!r}: port {port_text!r} is not a number") from None
    if not host or not 0 < port < 65536:
        raise TargetError(f"target {text!r}: expected name=address:port with port 1-65535")
    return {"name": name, "host": host, "port": port}


def load_targets_file(path: str) -> list[dict]:
    """Targets from a JSON list of `name=address:port` strings or {"name","host","port"} objects."""
    with open(path) as f:
        data = json.load(f)
    if isinstance(data, dict):
        data = data.get("targets", [])
    targets = []
    for item in data:
        if isinstance(item, str):
            targets.append(parse_target(item))
        elif isinstance(item, dict) and {"name", "host", "port"} <= set(item):
            targets.append({"name": str(item["name"]), "host": str(item["host"]),
                            "port": int(item["port"])})
        else:
            raise TargetError(f"{path}: target {item!r} is neither name=address:port nor "
                              "an object with name, host and port")
    return targets


# --- connectivity ----------------------------------------------------------------------------

def classify_error(exc: BaseException) -> str:
    """ok-less status of a failed connect: refused / timeout / no-route / unreachable / error."""
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, OSError) and exc.errno in _ERRNO_STATUS:
        return _ERRNO_STATUS[exc.errno]
    return "error"


def check_target(target: dict, token: str, timeout: float) -> dict:
    """One TCP connect to a target; on success say hello so the login side sees us arrive."""
    result = dict(target)
    started = time.monotonic()
    try:
        family = socket.AF_INET6 if ":" in target["host"] else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect((target["host"], target["port"]))
            result["ms"] = round((time.monotonic() - started) * 1000, 2)
            result["status"] = "ok"
            result["error"] = ""
            # The address this node used to get there tells the login side which of the node's
            # interfaces faces that network (its name may differ from the login node's).
            result["local_address"] = sock.getsockname()[0]
            try:
                sock.sendall(f"{PROTOCOL_MAGIC} {token} hello {target['name']}\n".encode())
            except OSError:
                pass
    except (OSError, ValueError) as exc:
        result["ms"] = round((time.monotonic() - started) * 1000, 2)
        result["status"] = classify_error(exc)
        result["error"] = f"{type(exc).__name__}: {exc}"
        result["local_address"] = None
    return result


def check_targets(targets: list[dict], token: str, timeout: float) -> list[dict]:
    """All targets at once: the slowest (a silent drop) costs one timeout, not one each."""
    results: list[dict | None] = [None] * len(targets)

    def run(i: int) -> None:
        results[i] = check_target(targets[i], token, timeout)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(targets))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 5)
    return [r if r is not None else dict(targets[i], status="timeout", ms=None,
                                         error="connect thread did not finish", local_address=None)
            for i, r in enumerate(results)]


def check_python(python: str, timeout: float = 60.0) -> dict:
    """Can `python` import dask and distributed? Versions, or the error."""
    started = time.monotonic()
    try:
        out = subprocess.run([python, "-c", _IMPORT_CHECK], capture_output=True, text=True,
                             timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"python": python, "ok": False, "dask": None, "distributed": None,
                "error": f"{type(exc).__name__}: {exc}",
                "seconds": round(time.monotonic() - started, 3)}
    info: dict = {"python": python, "seconds": round(time.monotonic() - started, 3)}
    try:
        info.update(json.loads(out.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        info.update(dask=None, distributed=None)
        info["error"] = (f"exit code {out.returncode}: " + out.stderr.strip()[-500:]).strip()
    info["ok"] = bool(info.get("dask") and info.get("distributed"))
    info.setdefault("error", "; ".join(
        info[k] for k in ("dask_error", "distributed_error") if info.get(k)))
    return info


# --- reporting -------------------------------------------------------------------------------

def send_report(report: dict, targets: list[dict], timeout: float) -> dict | None:
    """Send the report to the first reachable target; that target (or None when none took it)."""
    payload = (f"{PROTOCOL_MAGIC} {report['token']} report\n" + json.dumps(report) + "\n").encode()
    for t in targets:
        try:
            family = socket.AF_INET6 if ":" in t["host"] else socket.AF_INET
            with socket.socket(family, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                sock.connect((t["host"], t["port"]))
                sock.sendall(payload)
                sock.shutdown(socket.SHUT_WR)
                sock.recv(16)  # the listener's "ok\n" (or close): the report was read whole
            return t
        except OSError:
            continue
    return None


def write_report_file(report: dict, out_dir: str) -> str:
    """Write the report atomically (temp file then rename) so the login side never reads half."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"hpctui-probe-{report['token']}.json")
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(report, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


class PythonCheck:
    """The dask/distributed import check, run in a thread while the network is probed."""

    def __init__(self, python: str):
        self.python = python
        self.result: dict = {}
        self._thread = threading.Thread(target=lambda: self.result.update(check_python(python)),
                                        daemon=True)
        self._thread.start()

    def wait(self, seconds: float) -> dict | None:
        self._thread.join(seconds)
        return None if self._thread.is_alive() else self.result


def run_probe(targets: list[dict], token: str, python: str | PythonCheck, timeout: float,
              use_ip_command: bool = True, python_grace: float = 90.0) -> dict:
    """Everything the probe measures, as one JSON-ready dict.

    The import check may be slow (a conda environment on NFS); it runs alongside the connect
    checks and is waited for at most `python_grace` seconds after them. If it is still running,
    the report has `"python": null` and `"stage": "network"`; `finish_report` completes it later.
    """
    started = time.time()
    check = python if isinstance(python, PythonCheck) else PythonCheck(python)
    interfaces, source = node_interfaces(use_ip_command)
    results = check_targets(targets, token, timeout)
    network_done = time.time()
    py = check.wait(python_grace)
    return {
        "protocol": PROTOCOL_VERSION,
        "token": token,
        "stage": "final" if py is not None else "network",
        "hostname": socket.gethostname(),
        "probe_python": sys.version.split()[0],
        "interfaces": interfaces,
        "interfaces_source": source,
        "targets": results,
        "python": py,
        "started_at": started,
        "network_done_at": network_done,
        "finished_at": time.time(),
    }


def finish_report(report: dict, check: PythonCheck, seconds: float = 90.0) -> dict:
    """The final report: the network one plus the import check (or its failure to finish)."""
    py = check.wait(seconds)
    final = dict(report, stage="final", finished_at=time.time())
    final["python"] = py if py is not None else {
        "python": check.python, "ok": False, "dask": None, "distributed": None,
        "error": f"importing dask and distributed took longer than {seconds:g} s"}
    return final


def deliver(report: dict, reachable: list[dict], timeout: float, out_dir: str | None) -> dict | None:
    """Send by TCP to the first reachable target, and always write the file; the target used."""
    sent_to = send_report(report, reachable, timeout) if reachable else None
    report["reported_to"] = sent_to["name"] if sent_to else None
    if out_dir:
        try:
            path = write_report_file(report, out_dir)
            print(f"netprobe: wrote {path} ({report['stage']})", file=sys.stderr)
        except OSError as exc:
            # The TCP channel may still have worked; say why the file one did not.
            print(f"netprobe: cannot write the report into {out_dir}: {exc}", file=sys.stderr)
    return sent_to


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="hpctui network probe (runs on a compute node)")
    parser.add_argument("targets", nargs="*", help="name=address:port")
    parser.add_argument("--targets-file", help="JSON list of targets")
    parser.add_argument("--out-dir", help="shared directory for the JSON result file")
    parser.add_argument("--token", default=None, help="id shared with the login side")
    parser.add_argument("--timeout", type=float, default=DEFAULT_CONNECT_TIMEOUT,
                        help="TCP connect timeout per target, seconds")
    parser.add_argument("--python", default=sys.executable,
                        help="python to check for dask and distributed")
    parser.add_argument("--python-grace", type=float, default=0.3,
                        help="seconds to wait for the import check before sending the network "
                             "report; the final report follows when the check ends")
    parser.add_argument("--no-ip-command", action="store_true",
                        help="read interfaces from /proc and ioctls even if `ip` exists")
    args = parser.parse_args(argv)
    try:
        targets = [parse_target(t) for t in args.targets]
        if args.targets_file:
            targets += load_targets_file(args.targets_file)
    except (TargetError, OSError, ValueError) as exc:
        print(f"netprobe: {exc}", file=sys.stderr)
        return 2
    token = args.token or os.urandom(8).hex()
    check = PythonCheck(args.python)
    report = run_probe(targets, token, check, args.timeout,
                       use_ip_command=not args.no_ip_command, python_grace=args.python_grace)
    reachable = [t for t in report["targets"] if t["status"] == "ok"]
    if reachable:
        _mark("connected " + reachable[0]["name"])
    # The network verdict goes out at once; the import check must not delay it.
    sent_to = deliver(report, reachable, args.timeout, args.out_dir)
    if report["stage"] != "final":
        report = finish_report(report, check)
        deliver(report, [sent_to] if sent_to else [], args.timeout, args.out_dir)
    json.dump(report, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
