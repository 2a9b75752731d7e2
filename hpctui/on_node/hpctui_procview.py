"""What one process looks like from outside, through /proc, without root and without ptrace.

Standard library only (it runs with the workers' python under ``-I -S``, beside
``startwatch.py``, which copies it along). Each source, what it shows, and when it is missing:

- ``/proc/PID/stat``: state (R running, S sleeping, D disk wait...), parent, threads, CPU time
  (user + system, in clock ticks) and start time. Always readable.
- ``/proc/PID/wchan``: the kernel function a sleeping process waits in (``hrtimer_nanosleep``,
  ``pipe_read``, ``fifo_open``, ``nfs_...``, ``rpc_wait_bit_killable``). Shows ``0`` when the
  process runs, or when the kernel hides it (``kernel.kptr_restrict``, no ptrace-read access).
- ``/proc/PID/syscall``: the system call the process is blocked in and its six arguments.
  Needs ptrace-attach *access* (no attach happens): the parent may read it for its own child
  under Yama ``ptrace_scope`` 0 and 1, not under 2 or 3; then it is recorded as denied.
- ``/proc/PID/mem``: read only to turn a path argument of that call (``openat``, ``stat``...)
  into text; same access rule as ``syscall``.
- ``/proc/PID/fd``: the files the process holds open (a ``.pth`` file during its execution up
  to Python 3.12, the FIFO or NFS file a read waits on). Needs ptrace-read access: a parent
  has it for a child of the same user.
- ``/proc/self/mounts``: the filesystem type of each path (nfs, lustre, gpfs, ext4...).

Everything here returns None (or an empty list) where a source is missing: the watcher records
what it could see and says what it could not.
"""

from __future__ import annotations

import os

# Blocking calls worth naming: number -> (name, which argument is a file descriptor or a path).
# ("fd", i): argument i is an fd; ("path", i): argument i points to a path string.
_X86_64 = {
    0: ("read", "fd", 0), 1: ("write", "fd", 0), 2: ("open", "path", 0), 4: ("stat", "path", 0),
    5: ("fstat", "fd", 0), 6: ("lstat", "path", 0), 7: ("poll", None, 0), 16: ("ioctl", "fd", 0),
    17: ("pread64", "fd", 0), 18: ("pwrite64", "fd", 0), 19: ("readv", "fd", 0),
    20: ("writev", "fd", 0), 21: ("access", "path", 0), 23: ("select", None, 0),
    34: ("pause", None, 0), 35: ("nanosleep", None, 0), 42: ("connect", "fd", 0),
    43: ("accept", "fd", 0), 44: ("sendto", "fd", 0), 45: ("recvfrom", "fd", 0),
    61: ("wait4", None, 0), 72: ("fcntl", "fd", 0), 73: ("flock", "fd", 0),
    74: ("fsync", "fd", 0), 78: ("getdents", "fd", 0), 82: ("rename", "path", 0),
    83: ("mkdir", "path", 0), 84: ("rmdir", "path", 0), 87: ("unlink", "path", 0),
    89: ("readlink", "path", 0), 128: ("rt_sigtimedwait", None, 0),
    130: ("rt_sigsuspend", None, 0), 202: ("futex", None, 0), 217: ("getdents64", "fd", 0),
    230: ("clock_nanosleep", None, 0), 232: ("epoll_wait", None, 0), 247: ("waitid", None, 0),
    257: ("openat", "path", 1), 258: ("mkdirat", "path", 1), 262: ("newfstatat", "path", 1),
    263: ("unlinkat", "path", 1), 269: ("faccessat", "path", 1), 270: ("pselect6", None, 0),
    271: ("ppoll", None, 0), 281: ("epoll_pwait", None, 0), 288: ("accept4", "fd", 0),
    332: ("statx", "path", 1), 437: ("openat2", "path", 1), 439: ("faccessat2", "path", 1),
}
# arm64 (and other asm-generic architectures) number them differently.
_GENERIC = {
    22: ("epoll_pwait", None, 0), 25: ("fcntl", "fd", 0), 29: ("ioctl", "fd", 0),
    32: ("flock", "fd", 0), 34: ("mkdirat", "path", 1), 35: ("unlinkat", "path", 1),
    48: ("faccessat", "path", 1), 56: ("openat", "path", 1), 61: ("getdents64", "fd", 0),
    63: ("read", "fd", 0), 64: ("write", "fd", 0), 65: ("readv", "fd", 0),
    66: ("writev", "fd", 0), 67: ("pread64", "fd", 0), 68: ("pwrite64", "fd", 0),
    72: ("pselect6", None, 0), 73: ("ppoll", None, 0), 79: ("newfstatat", "path", 1),
    80: ("fstat", "fd", 0), 82: ("fsync", "fd", 0), 95: ("waitid", None, 0),
    98: ("futex", None, 0), 101: ("nanosleep", None, 0), 115: ("clock_nanosleep", None, 0),
    133: ("rt_sigsuspend", None, 0), 137: ("rt_sigtimedwait", None, 0),
    202: ("accept", "fd", 0), 203: ("connect", "fd", 0), 206: ("sendto", "fd", 0),
    207: ("recvfrom", "fd", 0), 242: ("accept4", "fd", 0), 260: ("wait4", None, 0),
    291: ("statx", "path", 1), 437: ("openat2", "path", 1), 439: ("faccessat2", "path", 1),
}
SYSCALLS = _X86_64 if os.uname().machine in ("x86_64", "amd64") else _GENERIC

MAX_FILES = 16  # open files recorded per process: the start-up's few, not a worker's hundreds


def read_text(path):
    """A small /proc file's text, or None (gone, or not ours to read)."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return None


def access_error(path):
    """Why ``path`` cannot be read ("PermissionError: ..."), or None when it can."""
    try:
        with open(path, "rb") as f:
            f.read(1)
    except OSError as e:
        return "%s: %s" % (type(e).__name__, e.strerror or e)
    return None


def stat_fields(pid, main_thread=False):
    """(state, ppid, threads, cpu ticks, start ticks) from /proc/PID/stat, or None when gone.

    ``main_thread``: the main thread's own state and CPU (/proc/PID/task/PID/stat), so a
    sampler thread's few ticks do not hide a main thread that sleeps.
    """
    text = read_text("/proc/%d/task/%d/stat" % (pid, pid) if main_thread else "/proc/%d/stat" % pid)
    if not text:
        return None
    # The command name may hold spaces and parentheses: the fields start after the last ")".
    rest = text[text.rfind(")") + 2:].split()
    try:
        return rest[0], int(rest[1]), int(rest[17]), int(rest[11]) + int(rest[12]), int(rest[19])
    except (IndexError, ValueError):
        return None


def cmdline(pid):
    """The process's arguments, or None when gone."""
    text = read_text("/proc/%d/cmdline" % pid)
    return None if text is None else text.rstrip("\0").split("\0")


def read_string(pid, address, limit=4096):
    """The NUL-terminated string at ``address`` in the process, or None without access."""
    try:
        with open("/proc/%d/mem" % pid, "rb", buffering=0) as f:
            f.seek(address)
            data = f.read(limit)
    except (OSError, ValueError, OverflowError):
        return None
    return data.split(b"\0", 1)[0].decode("utf-8", "replace")


def fd_path(pid, fd):
    """Where fd ``fd`` of the process points ("/x/y.pth", "pipe:[123]"), or None."""
    try:
        return os.readlink("/proc/%d/fd/%d" % (pid, fd))
    except (OSError, ValueError):
        return None


def open_files(pid):
    """The regular files and FIFOs the process holds open: [(fd, path)], or None without access."""
    try:
        names = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return None
    out = []
    for name in sorted(names, key=lambda n: int(n) if n.isdigit() else 0):
        target = fd_path(pid, int(name)) if name.isdigit() else None
        # Pipes, sockets and devices say nothing about what start-up is reading.
        if target and target.startswith("/") and not target.startswith(("/dev/", "/proc/")):
            out.append((int(name), target))
            if len(out) >= MAX_FILES:
                break
    return out


def blocked_call(pid, text=None):
    """The system call the process sits in: {"nr", "name", "fd"?, "path"?}, "running", or None.

    None means the source is unreadable (gone, or denied: see the module docstring).
    """
    text = read_text("/proc/%d/syscall" % pid) if text is None else text
    if not text:
        return None
    parts = text.split()
    if parts[0] == "running":
        return "running"
    try:
        nr = int(parts[0])
        args = [int(a, 16) for a in parts[1:7]]
    except (ValueError, IndexError):
        return None
    if nr < 0:
        return {"nr": nr, "name": "(not in a system call)"}
    name, kind, index = SYSCALLS.get(nr, ("syscall %d" % nr, None, 0))
    call = {"nr": nr, "name": name}
    if kind == "fd" and index < len(args):
        call["fd"] = args[index]
        path = fd_path(pid, args[index])
        if path:
            call["path"] = path
    elif kind == "path" and index < len(args) and args[index]:
        path = read_string(pid, args[index])
        if path:
            call["path"] = path
    return call


def mounts(path="/proc/self/mounts"):
    """[(mount point, filesystem type, source)], longest mount point first (for lookups)."""
    text = read_text(path) or ""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            # Mount points escape spaces and tabs as octal (\040).
            point = _unescape(parts[1])
            out.append((point, parts[2], parts[0]))
    out.sort(key=lambda m: len(m[0]), reverse=True)
    return out


def mountinfo(path="/proc/self/mountinfo"):
    """The same table from mountinfo (the process's own mount namespace, with optional fields
    before ``-``: "36 35 98:0 / /home rw - nfs4 fs01:/export/home rw"); [] if unreadable."""
    out = []
    for line in (read_text(path) or "").splitlines():
        parts = line.split()
        if "-" not in parts[6:]:
            continue
        dash = parts.index("-", 6)
        if len(parts) >= dash + 3 and len(parts) > 4:
            out.append((_unescape(parts[4]), parts[dash + 1], _unescape(parts[dash + 2])))
    out.sort(key=lambda m: len(m[0]), reverse=True)
    return out


def mount_table():
    """The node's mounts as this process sees them: mountinfo, else /proc/self/mounts."""
    return mountinfo() or mounts()


def _unescape(field):
    """A mount point as /proc/self/mounts escapes it (space as \\040) back to the path."""
    if "\\" not in field:
        return field
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1:i + 4].isdigit() and len(field[i + 1:i + 4]) == 3:
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def fs_type(path, table):
    """The filesystem type ``path`` lives on, by the longest mount point that contains it."""
    for point, fstype, _ in table:
        if path == point or path.startswith(point.rstrip("/") + "/"):
            return fstype
    return None


# -- faulthandler's dump ---------------------------------------------------------------------

def parse_dump(text):
    """faulthandler's text -> [(thread header, [(file, line, function)], innermost first)]."""
    import re  # only here: re (through json too) costs a worker's start-up 10+ ms to import

    frame_line = re.compile(r'^\s+File "(.*)", line (\d+) in (.*)$')
    threads = []
    for line in text.splitlines():
        if line.startswith(("Current thread", "Thread 0x")):
            threads.append((line.rstrip(":").strip(), []))
            continue
        m = frame_line.match(line)
        if m and threads:
            threads[-1][1].append((m.group(1), int(m.group(2)), m.group(3)))
    return threads


def source_line(path, number):
    """Line ``number`` of a file on this node, stripped, or None."""
    try:
        with open(path, "rb") as f:
            for n, raw in enumerate(f, 1):
                if n == number:
                    return raw.decode("utf-8", "replace").strip()
    except OSError:
        pass
    return None


def pth_exec_lines(path):
    """[(line number, text)] of the lines site executes in a .pth file (those starting "import")."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return []
    return [(n, line.rstrip()) for n, line in enumerate(text.splitlines(), 1)
            if line.startswith(("import ", "import\t"))]


def site_dirs(user_site=True):
    """The directories whose .pth files a normal start of this python processes, in order.

    Computed here under ``-S`` (``import site`` does not run site then), with the child's
    rules: the user site first when it exists and is enabled, then the global ones.
    """
    import site
    import sys

    # Under -S, sys.prefix is the base installation's even in a venv: site.venv() is what
    # would have switched it, so find the venv the same way (pyvenv.cfg beside or above).
    exe_dir = os.path.dirname(os.path.abspath(sys.executable))
    venv, system = None, True
    for cfg in (os.path.join(exe_dir, "pyvenv.cfg"),
                os.path.join(os.path.dirname(exe_dir), "pyvenv.cfg")):
        text = read_text(cfg)
        if text is not None:
            venv = os.path.dirname(exe_dir)
            for line in text.splitlines():
                key, _, value = line.partition("=")
                if key.strip().lower() == "include-system-site-packages":
                    system = value.strip().lower() == "true"
            break
    dirs = []
    # site enables the user site in a venv only when it includes the system site-packages.
    if user_site and system and os.environ.get("PYTHONNOUSERSITE") is None:
        try:
            dirs.append(site.getusersitepackages())
        except Exception:
            pass
    try:
        if venv is not None:
            dirs.extend(site.getsitepackages([venv]))
        if system:
            dirs.extend(site.getsitepackages())
    except Exception:
        pass
    return [d for d in dirs if os.path.isdir(d)]


def pth_candidates(dirs):
    """[(path, [(line, text)])] of the .pth files in ``dirs`` that execute code, in site's order."""
    out = []
    for d in dirs:
        try:
            names = sorted(n for n in os.listdir(d) if n.endswith(".pth") and not n.startswith("."))
        except OSError:
            continue
        for name in names:
            lines = pth_exec_lines(os.path.join(d, name))
            if lines:
                out.append((os.path.join(d, name), lines))
    return out


# -- small helpers of the watcher's loop -----------------------------------------------------

def no_core(pid):
    """No core file for the abort: a diagnostic must not leave 20 MB in the job's directory."""
    try:
        import resource

        hard = resource.prlimit(pid, resource.RLIMIT_CORE)[1]
        resource.prlimit(pid, resource.RLIMIT_CORE, (0, hard))
    except (ImportError, AttributeError, OSError, ValueError):
        pass


def open_error(path):
    try:
        with open(path, "rb"):
            pass
    except OSError as e:
        return "%s: %s" % (type(e).__name__, e.strerror or e)
    return None


def write_all(fd, data):
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except OSError:
            return  # our own stderr is gone: keep watching, the record still matters
        view = view[n:]


# -- records ------------------------------------------------------------------------------

_ESCAPES = {i: "\\u%04x" % i for i in range(32)}
_ESCAPES.update({ord('"'): '\\"', ord("\\"): "\\\\", ord("\n"): "\\n", ord("\t"): "\\t"})


def dumps(value):
    """Compact JSON of dicts, lists, tuples, str, int, float, bool and None.

    Not ``json.dumps``: importing json imports re, and the watcher must reach its first
    sample and copy the child's first line of stderr without that cost.
    """
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return '"' + value.translate(_ESCAPES) + '"'
    if isinstance(value, (int, float)):
        return repr(value) if value == value and value not in (float("inf"), float("-inf")) \
            else "null"
    if isinstance(value, dict):
        return "{" + ",".join(dumps(str(k)) + ":" + dumps(v) for k, v in value.items()) + "}"
    return "[" + ",".join(dumps(v) for v in value) + "]"
