"""The job script a profile submits: rendered by dask-jobqueue itself, diffed, compared.

The preview is built the way `JobQueueCluster._dummy_job` builds it: the kind's own Job
class, the same keyword arguments, the placeholder scheduler address and the worker name
`dummy-name`, so the text is byte for byte what `cluster.job_script()` returns, without
starting a scheduler or calling the batch system.

One side effect of dask-jobqueue's Job constructor is avoided: it creates `log-directory`
(os.makedirs) when it doesn't exist, and a preview must not create folders. The Job base
class uses `log_directory` for nothing but that makedirs; the header lines are built by the
subclass afterwards from `self.log_directory`. So a shim class is slotted between the
kind's Job class and `Job` in the method resolution order: it hands `Job.__init__` a folder
that exists ("/") and then restores the real value before the subclass builds its header.
Every line of the script is still produced by dask-jobqueue's own code from the real
values, which is why the output stays identical (a test compares it with a plain
`Cluster().job_script()` in a fresh process). Patching `os.makedirs` instead would not be
thread-safe: a real job being constructed in the session's thread at the same moment would
lose its log folder.
"""

from __future__ import annotations

import difflib
import re
import warnings
from dataclasses import dataclass
from typing import Any

from hpctui.core.batch.kinds import cluster_class, get_kind
from hpctui.core.config.profile import Profile

PLACEHOLDER_ADDRESS = "tcp://<insert-scheduler-address-here>:8786"
PLACEHOLDER_NAME = "dummy-name"


class ScriptError(ValueError):
    """dask-jobqueue refused to build a job script for this profile; the message is its own."""


@dataclass(frozen=True)
class RenderedScript:
    """A job script and the warnings dask-jobqueue emitted while building it."""

    text: str
    warnings: list[str]
    header_lines: list[str]  # the directive lines, in order (generated then added)


_SHIMS: dict[type, type] = {}


def _shim_class(job_cls: type) -> type:
    """`job_cls` with the no-makedirs shim before `Job` in its MRO (see module docstring)."""
    if job_cls in _SHIMS:
        return _SHIMS[job_cls]
    from dask_jobqueue.core import Job

    class _NoMakedirs(Job):
        def __init__(self, *args, log_directory=None, **kwargs):
            import dask

            if log_directory is None:
                log_directory = dask.config.get(
                    "jobqueue.%s.log-directory" % (kwargs.get("config_name")
                                                   or self.default_config_name()), None)
            # "/" exists, so Job.__init__ creates nothing; the real value is put back
            # before the kind's class builds its header lines.
            super().__init__(*args, log_directory="/" if log_directory else log_directory,
                             **kwargs)
            self.log_directory = log_directory
            if log_directory is None and getattr(self, "_hpctui_local", False):
                # BashLocalJob would create its default log folder when none is set;
                # the folder never appears in its script, so any path will do here.
                from hpctui.core.batch.localjob import default_log_directory

                self.log_directory = default_log_directory()

    # Same class name: dask-jobqueue's "You must specify..." message is derived from it.
    shim = type(job_cls.__name__, (job_cls, _NoMakedirs), {
        "_hpctui_local": job_cls.__module__ == "hpctui.core.batch.localjob",
    })
    _SHIMS[job_cls] = shim
    return shim


def preview_job_class(kind: str) -> type:
    """`kind`'s Job class, made to build a script without creating its log folder."""
    return _shim_class(job_class(kind))


def job_class(kind: str) -> type:
    """The Job class dask-jobqueue uses for `kind`."""
    return cluster_class(get_kind(kind).name).job_cls


def _build_job(profile: Profile, job_cls: type | None = None):
    import dask

    kind = profile.kind
    job_cls = job_cls or _shim_class(job_class(kind))
    kwargs: dict[str, Any] = profile.job_kwargs()
    # What JobQueueCluster adds before building any job.
    kwargs["config_name"] = kind
    if kwargs.get("interface") is None:
        kwargs["interface"] = dask.config.get(f"jobqueue.{kind}.interface", None)
    kwargs["protocol"] = None
    kwargs["security"] = None
    try:
        return job_cls(PLACEHOLDER_ADDRESS, name=PLACEHOLDER_NAME, **kwargs)
    except TypeError as exc:
        match = re.search("(unexpected keyword argument.+)", str(exc))
        raise ScriptError(match.group(1) if match else str(exc)) from None
    except KeyError as exc:  # HTCondor pops skipped keys: a key it doesn't generate
        raise ScriptError(f"job-directives-skip: {exc.args[0]!r} is not a generated key") \
            from None
    except (ValueError, OSError) as exc:
        raise ScriptError(str(exc)) from None


def render(profile: Profile) -> RenderedScript:
    """The job script dask-jobqueue would submit for `profile` (ScriptError if it refuses)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        job = _build_job(profile)
        text = job.job_script()
    return RenderedScript(text, [str(w.message) for w in caught], header_lines_of(profile.kind, job))


def render_job_script(profile: Profile) -> str:
    """Exactly what dask-jobqueue submits for `profile` (ScriptError if it refuses)."""
    return render(profile).text


def header_lines_of(kind: str, job) -> list[str]:
    """The directive lines of a built job: `#SBATCH ...` lines, or HTCondor's `Key = value`."""
    if kind == "htcondor":
        return ["%s = %s" % (k, v) for k, v in job.job_header_dict.items()]
    return [line for line in (job.job_header or "").split("\n") if line]


def generated_header_lines(profile: Profile) -> list[str]:
    """The directive lines dask-jobqueue generates before skipping and adding any."""
    base = profile.with_setting("job-directives-skip", []).with_setting(
        "job-extra-directives", {} if profile.kind == "htcondor" else [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return header_lines_of(profile.kind, _build_job(base))


def skippable_header_lines(profile: Profile) -> list[str]:
    """The generated lines a `job-directives-skip` entry can remove, in order.

    Not all of them: dask-jobqueue writes OAR's memory property line (`#OAR -p memcore>=...`)
    after applying the skips, so no entry ever removes it. Found by dask-jobqueue itself:
    the lines still there when every generated line (HTCondor: key) is an entry.
    """
    generated = generated_header_lines(profile)
    entries = [line.split(" = ", 1)[0] for line in generated] if profile.kind == "htcondor" \
        else generated
    base = profile.with_setting("job-directives-skip", entries).with_setting(
        "job-extra-directives", {} if profile.kind == "htcondor" else [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        left = set(header_lines_of(profile.kind, _build_job(base)))
    return [line for line in generated if line not in left]


@dataclass(frozen=True)
class DiffLine:
    """One line of a line diff: op is "+" (added), "-" (removed) or " " (unchanged)."""

    op: str
    text: str


def diff_lines(old: str, new: str) -> list[DiffLine]:
    """A full line diff of two scripts (every line, marked), for a live preview."""
    out: list[DiffLine] = []
    a, b = old.splitlines(), new.splitlines()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.extend(DiffLine(" ", t) for t in a[i1:i2])
        else:
            out.extend(DiffLine("-", t) for t in a[i1:i2])
            out.extend(DiffLine("+", t) for t in b[j1:j2])
    return out


def unified_diff(old: str, new: str, old_name: str = "before", new_name: str = "after") -> str:
    """A unified diff, for printing."""
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                        old_name, new_name))


@dataclass(frozen=True)
class IdentityLine:
    """A line that differs only by the scheduler address and/or the worker name."""

    number: int  # 1-based
    preview: str
    actual: str
    what: str  # "scheduler address" (or "scheduler file"), "worker name", or both with "and"


@dataclass(frozen=True)
class ScriptComparison:
    """How a submitted script compares with the preview."""

    matches: bool  # True when only scheduler address and worker name differ
    scheduler_address: str | None  # as found in the submitted script
    worker_name: str | None
    identity_lines: list[IdentityLine]
    differences: list[DiffLine]  # the other differences (empty when matches)

    def summary(self) -> str:
        """One paragraph a person can read."""
        if self.matches:
            lines = ", ".join(f"line {d.number} ({d.what})" for d in self.identity_lines)
            return "same script" + (f"; only {lines} differ" if lines else "")
        return "different scripts:\n" + "\n".join(f"{d.op} {d.text}" for d in self.differences)


# The address, or the scheduler file that stands in its place for workers submitted with
# their scheduler job (scheduler-placement: job, hpctui/core/session/workers_ahead.py).
_WORKER_CMD = re.compile(r"-m \S+ (?P<addr>\S+://\S+|--scheduler-file \S+) --name (?P<name>\S+)")


def compare_scripts(preview: str, actual: str) -> ScriptComparison:
    """Compare the preview with a script the batch system received.

    The scheduler address and worker name are read from the submitted script's worker
    command, put in place of the placeholders, and the lines that differ only by them are
    listed; anything else is a real difference.
    """
    found = _WORKER_CMD.search(actual)
    address = found.group("addr") if found else None
    name = found.group("name") if found else None
    # HTCondor quotes the command with doubled quotes; the name is still a plain token.
    if name:
        name = name.rstrip('"\'')

    def substitute(line: str) -> tuple[str, list[str]]:
        what = []
        if address and address != PLACEHOLDER_ADDRESS and PLACEHOLDER_ADDRESS in line:
            line = line.replace(PLACEHOLDER_ADDRESS, address)
            what.append("scheduler file" if address.startswith("--") else "scheduler address")
        if name and name != PLACEHOLDER_NAME and PLACEHOLDER_NAME in line:
            line = line.replace(PLACEHOLDER_NAME, name)
            what.append("worker name")
        return line, what

    pre = preview.splitlines()
    act = actual.splitlines()
    # A trailing newline more or less is how a batch system stores a file, not a difference.
    while act and act[-1] == "" and len(act) > len(pre):
        act.pop()
    identity: list[IdentityLine] = []
    substituted = []
    for number, line in enumerate(pre, 1):
        new, what = substitute(line)
        substituted.append(new)
        if what and number <= len(act) and act[number - 1] == new:
            identity.append(IdentityLine(number, line, new, " and ".join(what)))
    differences = [d for d in diff_lines("\n".join(substituted), "\n".join(act)) if d.op != " "]
    return ScriptComparison(not differences, address, name, identity, differences)
