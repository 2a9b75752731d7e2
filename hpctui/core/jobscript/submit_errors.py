"""Turn dask-jobqueue's submission exceptions back into fields.

dask-jobqueue reports a failed `sbatch`/`qsub` as one RuntimeError string and a submit output
with no job id as one ValueError string. The user needs the command, exit code, stdout and
stderr separately (the rejection view shows sbatch's own words), so they are parsed back here.
The formats are fixed by `dask_jobqueue.core.Job._call` and `Job._job_id_from_submit_output`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CALL_FAILED = re.compile(
    r"\ACommand exited with non-zero exit code\.\n"
    r"Exit code: (?P<code>-?\d+)\n"
    r"Command:\n(?P<command>.*?)\n"
    r"stdout:\n(?P<stdout>.*?)\n"
    r"stderr:\n(?P<stderr>.*)\n\Z",
    re.DOTALL,
)
_NO_JOB_ID = re.compile(
    r"\ACould not parse job id from submission command output\.\n"
    r"Job id regexp is (?P<regexp>.*?)\n"
    r"Submission command output is:\n(?P<stdout>.*)\Z",
    re.DOTALL,
)


@dataclass(frozen=True)
class SubmitError:
    """Why one submission gave no job. `id_not_parsed`: the command succeeded but its output
    held no job id (then `stdout` is that output and `exit_code` is 0)."""

    command: str
    exit_code: int | None
    stdout: str
    stderr: str
    id_not_parsed: bool = False
    job_id_regexp: str = ""
    message: str = ""  # the exception's full text, kept for anything the parse missed

    def summary(self) -> str:
        """One line for the user."""
        if self.id_not_parsed:
            return f"could not find a job id in the output of {self.command or 'the submit command'}"
        detail = next((ln.strip() for ln in self.stderr.splitlines() if ln.strip()), "")
        if not detail:
            detail = next((ln.strip() for ln in self.stdout.splitlines() if ln.strip()), "")
        head = f"{self.command.split(' ')[0] if self.command else 'submit'} exited with code {self.exit_code}"
        return f"{head}: {detail}" if detail else head


def parse_submit_exception(exc: BaseException, command: str = "") -> SubmitError:
    """Fields of a submission failure. `command` is what was run, when the caller knows it
    (the ValueError for a missing job id does not say)."""
    text = str(exc)
    m = _CALL_FAILED.match(text)
    if m:
        return SubmitError(command=m["command"], exit_code=int(m["code"]), stdout=m["stdout"],
                           stderr=m["stderr"], message=text)
    m = _NO_JOB_ID.match(text)
    if m:
        return SubmitError(command=command, exit_code=0, stdout=m["stdout"], stderr="",
                           id_not_parsed=True, job_id_regexp=_unrepr(m["regexp"]), message=text)
    # Anything else (the command not found, a bug in a Job subclass): keep the text whole.
    return SubmitError(command=command, exit_code=None, stdout="",
                       stderr=f"{type(exc).__name__}: {text}", message=text)


def _unrepr(s: str) -> str:
    # dask-jobqueue formats the regexp with {!r}; show it as the user wrote it.
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1].encode().decode("unicode_escape")
    return s
