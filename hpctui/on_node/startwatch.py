"""Watch a worker's start-up from exec(): its state, blocking call and open files, from outside.

Usage on a compute node (standard library only, Python 3.8+, hpctui not installed):

    python -I -S startwatch.py --out DIR [--interval S] [--abort-after S] -- PYTHON-ARGS...

``-I -S``: no ``site``, no user site, no PYTHON* variables, so nothing a ``.pth`` file,
``sitecustomize`` or a hung site-packages mount does can block the watcher itself. It starts
``<this python> -X faulthandler PYTHON-ARGS...`` as its child (``-m distributed.cli.dask_worker
...``, or the stack sampler with its own arguments), with the child's stderr through a pipe it
copies to its own stderr unchanged (the job log still gets every byte), and records into
``DIR/<host>-<watcher pid>.startup``, every ``--interval`` seconds (0.15) until the worker
registers with its scheduler, what ``hpctui_procview`` (its sibling file) reads of the child and
its descendants in /proc: state, kernel wait channel, the blocked system call with its file, the
open files, and each file's filesystem type. What each source shows and when it is unavailable
is in ``hpctui_procview``'s docstring; a source that is denied is recorded as such in the header.

Once the in-process stack sampler writes ``DIR/<host>-<pid>.stacks`` for a process, its samples
are the better view of that process's Python frames. Before that (``site``, ``.pth`` lines,
``sitecustomize``) only this watcher sees anything. With ``--abort-after S`` (doctor's
observation round only) a Python process still in start-up, without sampler samples, that has
neither used CPU nor changed its blocking call for S seconds gets SIGABRT: ``-X faulthandler``
then prints every thread's Python traceback to stderr, which the watcher copies through and
records (with the ``.pth`` file behind a ``site.addpackage`` frame). No debugger, no ptrace.

Record format (one per line, ``<kind> <json>``):

    H {"version", "host", "pid", "child", "argv", "exec", "python", "interval", "abort_after",
       "access": {"stat", "wchan", "syscall", "fd"}}      header; access: "ok" or why not
    M {"mounts": [[mount point, fs type, source], ...]}
    P {"t", "pid", "ppid", "state", "wchan", "cpu", "threads", "start", "syscall", "files"}
                                    a process's view when it changed
    T {"t"}                         heartbeat: nothing changed up to t
    L {"t", "mark", "line"}         a worker log line that marks a phase
    A {"t", "pid", "reason"}        SIGABRT sent
    D {"t", "pid", "text", "frames", "pth"}    the traceback faulthandler printed
    G {"t", "pid"}                  a watched process is gone
    Q {"t", "reason"}               sampling stopped (connected, time limit)
    X {"t", "pid", "status"}        the child exited (status as ``subprocess``: -N for signal N)
    E {"t", "reason"}               the watcher ends

Signals: the child stays in the watcher's process group, so the batch system's and a
terminal's signals reach it directly and are not forwarded (a second SIGTERM makes distributed
skip its graceful close); a signal sent to the watcher alone reaches the child after 5 s.
The watcher exits with the child's code (128+N when a signal N ended it).
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
INTERVAL = 0.15
SUFFIX = ".startup"


def _parse(argv):
    """(out, interval, abort_after, child args) from the command line; SystemExit on misuse."""
    usage = "usage: startwatch.py --out DIR [--interval S] [--abort-after S] -- PYTHON-ARGS..."
    out, interval, abort_after = os.getcwd(), INTERVAL, None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            if i + 1 >= len(argv):
                raise SystemExit("startwatch.py: nothing to run after --\n" + usage)
            return out, interval, abort_after, argv[i + 1:]
        if a in ("--out", "--interval", "--abort-after") and i + 1 < len(argv):
            v = argv[i + 1]
            if a == "--out":
                out = v
            else:
                try:
                    num = float(v)
                except ValueError:
                    raise SystemExit("startwatch.py: %s must be seconds, got %r" % (a, v))
                if num <= 0:
                    raise SystemExit("startwatch.py: %s must be > 0, got %r" % (a, v))
                interval, abort_after = (num, abort_after) if a == "--interval" else (interval, num)
            i += 2
            continue
        raise SystemExit("startwatch.py: unexpected %r\n%s" % (a, usage))
    raise SystemExit("startwatch.py: missing -- before the python arguments\n" + usage)


def _spawn(argv, stderr_fd):
    """Start the child with ``stderr_fd`` as its stderr; its pid."""
    if hasattr(os, "posix_spawn"):
        actions = [(os.POSIX_SPAWN_DUP2, stderr_fd, 2)]
        return os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - only where posix_spawn is missing
        try:
            os.dup2(stderr_fd, 2)
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    return pid


def main(argv=None):
    """Start the child first (nothing of ours delays it), then watch it until it exits."""
    out, interval, abort_after, args = _parse(sys.argv[1:] if argv is None else argv)
    import time

    child_argv = [sys.executable, "-X", "faulthandler"] + list(args)
    try:
        os.makedirs(out, exist_ok=True)
        path = os.path.join(out, "%s-%d%s" % (os.uname().nodename, os.getpid(), SUFFIX))
        record = open(path, "w", encoding="utf-8")
    except OSError as e:
        # Nowhere to record: say so once and run the worker as if the watcher were not there.
        sys.stderr.write("startwatch.py: not watching, cannot write to %r: %s\n" % (out, e))
        sys.stderr.flush()
        os.execv(child_argv[0], child_argv)
    read_fd, write_fd = os.pipe()
    exec_time = time.time()
    try:
        pid = _spawn(child_argv, write_fd)
    except OSError as e:
        # What a shell says and returns when it cannot run a command (126: found, not run).
        sys.stderr.write("startwatch.py: cannot run %s: %s\n" % (child_argv[0], e.strerror or e))
        record.close()
        os._exit(127 if isinstance(e, FileNotFoundError) else 126)
    os.close(write_fd)
    if _HERE not in sys.path:
        sys.path.insert(0, _HERE)
    from hpctui_startloop import Watcher

    watcher = Watcher(record, pid, read_fd, child_argv, exec_time, interval, abort_after)
    code = watcher.run()
    sys.stdout.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
