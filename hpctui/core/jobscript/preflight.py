"""Pre-flight: ask the batch system whether it would take a job script, before any job exists.

SLURM (`sbatch --test-only`), Grid Engine (`qsub -w v`) and HTCondor (`condor_submit -dry-run`)
can check a script and queue nothing; each module in `hpctui/schedulers` that can says how
(`preflight_command(path)`, and `parse_preflight(exit_code, stdout, stderr) -> (accepted, line)`,
accepted None when the command ran but checked nothing), and one that can't says why
in one line (`PREFLIGHT_NONE`): no verdict is ever made up. `check` runs it once on the exact
text that would be submitted; `PreflightChecker` runs it after edits settle (debounced), on its
own thread, with a time-out, and hands each verdict to a callback (the UI posts it to itself).
A refusal carries a `SubmitRejection`, so it opens in the same rejection view as a real one.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass

from hpctui.core.batch.commands import run_command
from hpctui.core.jobscript.rejection import SubmitRejection

ACCEPTED = "accepted"
REFUSED = "refused"
NOT_AVAILABLE = "not available"  # this batch system has no such check
FAILED = "failed"  # the check could not run (command missing, time-out): no verdict

DEFAULT_TIMEOUT = 15.0
DEFAULT_DELAY = 0.8  # seconds without a new edit before the check runs


@dataclass(frozen=True)
class PreflightVerdict:
    """What the batch system said about one script."""

    status: str  # ACCEPTED, REFUSED, NOT_AVAILABLE or FAILED
    message: str  # the line to show
    script: str  # the exact script checked
    rejection: SubmitRejection | None = None  # for REFUSED: command, exit code, stdout, stderr

    @property
    def refused(self) -> bool:
        return self.status == REFUSED

    def line(self) -> str:
        """One line for the job script pane."""
        mark = {ACCEPTED: "✓", REFUSED: "✗", NOT_AVAILABLE: "·", FAILED: "?"}[self.status]
        return f"{mark} pre-flight: {self.message}"


def available(kind: str) -> str | None:
    """None when `kind` has a pre-flight check, else the one line that says why not."""
    from hpctui import schedulers

    sched = schedulers.get(kind)
    if hasattr(sched, "preflight_command"):
        return None
    return getattr(sched, "PREFLIGHT_NONE", f"{kind} has no check that queues nothing")


def check(kind: str, script: str, timeout: float = DEFAULT_TIMEOUT,
          directory: str | None = None) -> PreflightVerdict:
    """Run `kind`'s check on `script` (written to a temporary file, removed after)."""
    from hpctui import schedulers

    why_not = available(kind)
    if why_not is not None:
        return PreflightVerdict(NOT_AVAILABLE, why_not, script)
    sched = schedulers.get(kind)
    fd, path = tempfile.mkstemp(prefix="hpctui-preflight-", suffix=".sh", dir=directory)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(script)
        argv = sched.preflight_command(path)
        result = run_command(argv, timeout=timeout)
    finally:
        os.unlink(path)
    command = " ".join(argv)
    if result.timed_out or result.exit_code is None:
        return PreflightVerdict(FAILED, f"`{command}` gave no answer: {result.describe()}", script)
    accepted, said = sched.parse_preflight(result.exit_code, result.stdout, result.stderr)
    if accepted is None:  # the command ran but checked nothing (not set up on this node)
        return PreflightVerdict(FAILED, f"`{command}` could not check it: {said}"
                                if said else f"`{command}` could not check it", script)
    if accepted:
        return PreflightVerdict(ACCEPTED, f"{argv[0]} would accept it ({said})" if said
                                else f"{argv[0]} would accept it", script)
    rejection = SubmitRejection(command=command, exit_code=result.exit_code,
                                stdout=result.stdout, stderr=result.stderr)
    return PreflightVerdict(REFUSED, f"{argv[0]} refuses it: {said}", script, rejection)


class PreflightChecker:
    """Checks the latest script `request`ed once `delay` seconds pass with no newer one, on one
    background thread (never two checks at once), and calls `on_verdict` there. A script equal
    to the one last checked is not checked again. `close()` ends the thread."""

    def __init__(self, kind: str, on_verdict: Callable[[PreflightVerdict], None], *,
                 delay: float = DEFAULT_DELAY, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.kind = kind
        self._on_verdict = on_verdict
        self.delay = delay
        self.timeout = timeout
        self._wanted: str | None = None
        self._last: str | None = None
        self._changed = threading.Condition()
        self._closing = False
        self.checks = 0  # checks run so far
        self._thread = threading.Thread(target=self._run, name=f"hpctui-preflight-{kind}",
                                        daemon=True)
        self._thread.start()

    def request(self, script: str) -> None:
        """Check `script` once edits settle. Returns at once."""
        with self._changed:
            self._wanted = script
            self._changed.notify()

    def close(self) -> None:
        with self._changed:
            self._closing = True
            self._changed.notify()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._closing and (self._wanted is None or self._wanted == self._last):
                    self._changed.wait()
                if self._closing:
                    return
                # Debounce: wait until no newer script arrives for `delay` seconds.
                script = self._wanted
                while True:
                    self._changed.wait(self.delay)
                    if self._closing:
                        return
                    if self._wanted == script:
                        break
                    script = self._wanted
                self._last = script
            verdict = check(self.kind, script, self.timeout)
            self.checks += 1
            try:
                self._on_verdict(verdict)
            except Exception:  # the subscriber's bug must not end the checker
                import logging

                logging.getLogger(__name__).exception("pre-flight callback failed")
