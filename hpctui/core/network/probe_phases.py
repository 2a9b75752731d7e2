"""How far the probe job got, so "the probe sent no report" says which of its phases it reached.

The probe leaves marks, one per line, in `<report file>.phases` on the shared directory:
- `started`: written by the job script's own shell just before it runs the probe's python
  (`shell_mark`): the job ran and reached the probe's command;
- `python-started`: written by `netprobe.py` as its first statement: the interpreter got through
  its whole start-up (`site`, `.pth` files, `sitecustomize`) and ran the script;
- `connected <target>`: a TCP connection to one of hpctui's listeners succeeded.
With no report, the last mark is a measured statement: "python does not start" is `started`
without `python-started`. No mark at all cannot tell a job that never reached its command from
a directory the compute nodes do not share, and says both.
"""

from __future__ import annotations

import shlex

STARTED, PYTHON_STARTED, CONNECTED = "started", "python-started", "connected"
SUFFIX = ".phases"


def phases_path(report_path: str) -> str:
    """The marks file beside the report (removed with it: same prefix)."""
    return report_path + SUFFIX


def shell_mark(path: str) -> str:
    """The shell command the job runs just before the probe's python."""
    return f"echo {STARTED} >> {shlex.quote(path)}"


def read_phases(path: str) -> list[str]:
    """The marks written so far, in order (first word of each line), [] when none."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return [line.split()[0] for line in f if line.strip()]
    except OSError:
        return []


def describe(reached: list[str], python: str, seconds: float, shared_dir: str) -> str:
    """Which phases the probe reached, and what that says, in words."""
    if CONNECTED in reached:
        return ("it reached 'connected' (a TCP connection to one of hpctui's listeners "
                "succeeded) but its report never arrived")
    if PYTHON_STARTED in reached:
        return ("it reached 'python started' (its python ran the probe) but not 'connected': "
                "no listener answered, and the report it writes when none does never reached "
                f"{shared_dir}")
    if STARTED in reached:
        return (f"it reached 'started' (the job ran the probe's command) but not 'python "
                f"started': its python ({python}) did not get through its own start-up "
                f"(`site`, .pth files, sitecustomize, the interpreter itself) in {seconds:g} s")
    return (f"it reached no phase, not even 'started': the job never got to the probe's "
            f"command (its prologue hung or failed), or {shared_dir} is not shared with the "
            "compute nodes")
