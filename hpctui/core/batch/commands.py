"""Run one batch-system command (squeue, qstat, bjobs, ps...) with a timeout, and say what happened.

Everything that asks a batch system something goes through `run_command`, so a hung, failing or
missing command always comes back as the same dataclass, never as an exception, and the caller
can turn it into a message the user reads ("squeue timed out after 10 s", "squeue not found").
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class CommandResult:
    """What one run of a command did. `exit_code` is None when it never ran or was killed."""

    argv: tuple[str, ...]
    exit_code: int | None
    stdout: str
    stderr: str
    duration: float  # seconds, wall clock, from launch to exit (or to the kill)
    timeout: float
    timed_out: bool = False
    not_found: bool = False  # the program is not on PATH (or the path doesn't exist)
    launch_error: str = ""  # why it could not be started at all (e.g. permission denied)

    @property
    def program(self) -> str:
        """The command's name as the user knows it ("squeue")."""
        return os.path.basename(self.argv[0]) if self.argv else ""

    @property
    def ok(self) -> bool:
        """True when the command ran to the end and exited 0."""
        return self.exit_code == 0 and not self.timed_out

    def describe(self) -> str:
        """One line for the user; "" when the command succeeded."""
        if self.not_found:
            return f"{self.program} not found"
        if self.launch_error:
            return f"{self.program} could not be started: {self.launch_error}"
        if self.timed_out:
            return f"{self.program} timed out after {self.timeout:g} s"
        if self.exit_code != 0:
            detail = next((ln.strip() for ln in self.stderr.splitlines() if ln.strip()), "")
            return f"{self.program} exited with code {self.exit_code}" + (f": {detail}" if detail else "")
        return ""


def run_command(
    argv: Sequence[str],
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> CommandResult:
    """Run `argv` (no shell), wait at most `timeout` seconds, and return what happened.

    The command gets its own session so that on timeout the whole process group is killed:
    a hung `squeue` wrapper script must not leave its children behind holding the pipes.
    """
    argv = tuple(str(a) for a in argv)
    if not argv:
        raise ValueError("run_command: argv is empty; give at least the program name")
    if timeout <= 0:
        raise ValueError(f"run_command: timeout must be > 0 seconds, got {timeout!r}")
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
    except FileNotFoundError:
        return CommandResult(argv, None, "", "", time.monotonic() - start, timeout, not_found=True)
    except OSError as e:
        return CommandResult(argv, None, "", "", time.monotonic() - start, timeout,
                             launch_error=e.strerror or str(e))
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        duration = time.monotonic() - start
        _kill_group(proc)
        try:
            # Whatever it printed before hanging is worth showing.
            out, err = proc.communicate(timeout=2)
        except subprocess.TimeoutExpired:
            out, err = b"", b""
        return CommandResult(argv, None, _text(out), _text(err), duration, timeout, timed_out=True)
    return CommandResult(argv, proc.returncode, _text(out), _text(err),
                         time.monotonic() - start, timeout)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    except PermissionError:  # pragma: no cover - a setuid wrapper we may not signal
        proc.kill()


def _text(data: bytes | None) -> str:
    # Batch-system output is mostly ASCII; a stray byte must not lose the whole answer.
    return (data or b"").decode("utf-8", errors="replace")
