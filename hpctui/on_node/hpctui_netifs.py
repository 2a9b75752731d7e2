"""A compute node's network interfaces, for the network probe (netprobe.py), standard library only.

From `ip -j addr` when it works, else names from /proc/net/dev and the rest by ioctl (and IPv6
from /proc/net/if_inet6), since minimal compute-node images often lack iproute2.
`install_probe_script` copies this file beside the probe script under this same name.
"""

from __future__ import annotations

import array
import fcntl
import json
import os
import shutil
import socket
import struct
import subprocess


def _interfaces_from_ip_command() -> list[dict] | None:
    ip = shutil.which("ip") or next(
        (p for p in ("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip") if os.path.exists(p)), None)
    if ip is None:
        return None
    try:
        out = subprocess.run([ip, "-j", "addr"], capture_output=True, text=True, timeout=5)
        data = json.loads(out.stdout) if out.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None
    if not isinstance(data, list):
        return None
    result = []
    for link in data:
        flags = link.get("flags", [])
        ipv4, ipv6 = [], []
        for a in link.get("addr_info", []):
            entry = "%s/%s" % (a.get("local"), a.get("prefixlen"))
            (ipv4 if a.get("family") == "inet" else ipv6).append(entry)
        result.append({
            "name": link.get("ifname"),
            "up": "UP" in flags,
            "loopback": "LOOPBACK" in flags,
            "mtu": link.get("mtu"),
            "ipv4": ipv4,
            "ipv6": ipv6,
        })
    return result


_SIOCGIFFLAGS = 0x8913
_SIOCGIFADDR = 0x8915
_SIOCGIFNETMASK = 0x891B
_SIOCGIFMTU = 0x8921
_IFF_UP = 0x1
_IFF_LOOPBACK = 0x8


def _ioctl(sock: socket.socket, request: int, name: str) -> bytes | None:
    buf = array.array("B", struct.pack("256s", name.encode()[:15]))
    try:
        fcntl.ioctl(sock.fileno(), request, buf, True)
    except OSError:
        return None
    return buf.tobytes()


def _interfaces_from_proc() -> list[dict]:
    """Interfaces without the `ip` command: names from /proc/net/dev, the rest by ioctl."""
    names = []
    try:
        with open("/proc/net/dev") as f:
            for line in f.readlines()[2:]:
                if ":" in line:
                    names.append(line.split(":", 1)[0].strip())
    except OSError:
        names = [name for _, name in socket.if_nameindex()]
    ipv6: dict[str, list[str]] = {}
    try:
        with open("/proc/net/if_inet6") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6:
                    hexaddr, prefix, name = parts[0], int(parts[2], 16), parts[5]
                    addr = socket.inet_ntop(socket.AF_INET6, bytes.fromhex(hexaddr))
                    ipv6.setdefault(name, []).append(f"{addr}/{prefix}")
    except OSError:
        pass
    result = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for name in names:
            raw_flags = _ioctl(sock, _SIOCGIFFLAGS, name)
            flags = struct.unpack("H", raw_flags[16:18])[0] if raw_flags else 0
            raw_mtu = _ioctl(sock, _SIOCGIFMTU, name)
            raw_addr = _ioctl(sock, _SIOCGIFADDR, name)
            raw_mask = _ioctl(sock, _SIOCGIFNETMASK, name)
            ipv4 = []
            if raw_addr:
                addr = socket.inet_ntoa(raw_addr[20:24])
                prefix = bin(struct.unpack("!I", raw_mask[20:24])[0]).count("1") if raw_mask else 32
                ipv4.append(f"{addr}/{prefix}")
            result.append({
                "name": name,
                "up": bool(flags & _IFF_UP),
                "loopback": bool(flags & _IFF_LOOPBACK),
                "mtu": struct.unpack("i", raw_mtu[16:20])[0] if raw_mtu else None,
                "ipv4": ipv4,
                "ipv6": ipv6.get(name, []),
            })
    return result


def node_interfaces(use_ip_command: bool = True) -> tuple[list[dict], str]:
    """(interfaces, source): from `ip -j addr` when it works, else from /proc and ioctls."""
    if use_ip_command:
        found = _interfaces_from_ip_command()
        if found is not None:
            return found, "ip -j addr"
    return _interfaces_from_proc(), "/proc/net/dev+ioctl"
