"""Checks a profile before anything is submitted; every message names the key and the value.

Problems are data (`Problem`), never exceptions, so the UI can list them all at once and
`hpctui script` can print them and exit 2. Where dask-jobqueue has its own message (missing
cores or memory) that message is used word for word, so it matches what users search for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from hpctui.core.config.profile import DISTRIBUTED_KEYS, KEYS_BY_KIND, Profile, unknown_key_message

# Walltime formats each batch system accepts (`walltime` goes into the header verbatim).
_N = r"\d+"
WALLTIME_FORMATS: dict[str, tuple[str, re.Pattern]] = {
    # sbatch --time: "minutes", "minutes:seconds", "hours:minutes:seconds", "days-hours",
    # "days-hours:minutes" and "days-hours:minutes:seconds".
    "slurm": ("MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS", re.compile(
        rf"^(?:{_N}|{_N}:{_N}|{_N}:{_N}:{_N}|{_N}-{_N}|{_N}-{_N}:{_N}|{_N}-{_N}:{_N}:{_N})$")),
    # PBS/Moab walltime: [[[DD:]HH:]MM:]SS, seconds possibly with a fraction.
    "pbs": ("[[HH:]MM:]SS", re.compile(rf"^(?:(?:{_N}:)?{_N}:)?{_N}(?:\.\d+)?$")),
    "moab": ("[[[DD:]HH:]MM:]SS", re.compile(rf"^(?:(?:(?:{_N}:)?{_N}:)?{_N}:)?{_N}$")),
    # SGE h_rt: HH:MM:SS or seconds.
    "sge": ("HH:MM:SS or seconds", re.compile(rf"^(?:{_N}:{_N}:{_N}|{_N})$")),
    # bsub -W: [hour:]minute.
    "lsf": ("[HH:]MM", re.compile(rf"^(?:{_N}:)?{_N}$")),
    # oarsub walltime: h[:m[:s]].
    "oar": ("H[:MM[:SS]]", re.compile(rf"^{_N}(?::{_N}(?::{_N})?)?$")),
}

_LIST_KEYS = ("worker-extra-args", "job-script-prologue", "job-directives-skip",
              "submit-command-extra", "cancel-command-extra")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a profile."""

    key: str  # e.g. "memory", "distributed.worker.use-file-locking"
    value: Any
    message: str  # names the key and the value
    severity: str = "error"  # "error" blocks submitting; "warning" doesn't


def _p(key: str, value: Any, text: str, severity: str = "error") -> Problem:
    return Problem(key, value, f"{key}: {value!r} {text}", severity)


def host_interfaces() -> list[str]:
    """The network interfaces of this host."""
    import netifaces

    return sorted(netifaces.interfaces())


def validate(profile: Profile, interfaces: Iterable[str] | None = None) -> list[Problem]:
    """Every problem found in `profile`; empty when dask-jobqueue can build its job script.

    `interfaces` is the list of this host's interfaces (default: asked from the system).
    """
    s = profile.settings
    kind = profile.kind
    problems: list[Problem] = []

    for key in s:
        if key not in KEYS_BY_KIND[kind]:
            problems.append(Problem(key, s[key], unknown_key_message(kind, key)))

    problems += _check_numbers(s)
    problems += _check_memory(kind, s)
    if kind in WALLTIME_FORMATS and s.get("walltime") is not None:
        formats, pattern = WALLTIME_FORMATS[kind]
        if not pattern.match(str(s["walltime"]).strip()):
            problems.append(_p("walltime", s["walltime"],
                               f"is not a walltime {kind} understands (use {formats})"))
    problems += _check_lists(kind, s)
    problems += _check_interfaces(s, interfaces, job_placement=profile.placement == "job")
    problems += _check_distributed(profile.distributed)
    if s.get("security") is not None and not isinstance(s.get("security"), bool):
        problems.append(_p("security", s["security"],
                           "must be true (TLS with temporary certificates) or false"))
    from hpctui.core.session.placement import problems as placement_problems

    problems += [Problem(key, value, text) for key, value, text in placement_problems(s)]
    from hpctui.core.session.adapt_settings import problems as adapt_problems

    problems += [Problem(key, value, text) for key, value, text in adapt_problems(s)]

    if not [p for p in problems if p.severity == "error"]:
        # Whatever dask-jobqueue itself refuses (missing cores/memory, HTCondor disk, ...).
        from hpctui.core.jobscript.render import ScriptError, render

        try:
            render(profile)
        except ScriptError as exc:
            text = str(exc)
            key = ("cores" if s.get("cores") is None else "memory") if "cores and memory" in text \
                else ("disk" if "disk" in text else "")
            problems.append(Problem(key, s.get(key), text))
    return problems


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_numbers(s: dict) -> list[Problem]:
    out = []
    for key in ("cores", "processes", "job-cpu", "ncpus"):
        value = s.get(key)
        if value is None:
            continue
        if not _is_int(value):
            out.append(_p(key, value, "must be a whole number"))
        elif value <= 0:
            out.append(_p(key, value, "must be a positive number"))
    cores, processes = s.get("cores"), s.get("processes")
    if _is_int(cores) and _is_int(processes) and cores > 0 and processes > 0:
        if cores % processes:
            out.append(Problem("processes", processes,
                               f"processes: {processes!r} does not divide cores: {cores!r}; "
                               f"each worker would get {cores // processes} thread(s) and "
                               f"{cores % processes} core(s) would stay idle"))
    timeout = s.get("death-timeout")
    if timeout is not None:
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool):
            out.append(_p("death-timeout", timeout, "must be a number of seconds"))
        elif timeout < 0:
            out.append(_p("death-timeout", timeout, "must not be negative"))
    return out


def _check_memory(kind: str, s: dict) -> list[Problem]:
    from dask.utils import parse_bytes

    out = []
    keys = ["memory"] + (["disk"] if kind == "htcondor" else [])
    for key in keys:
        value = s.get(key)
        if value is None:
            continue
        try:
            size = parse_bytes(value)
        except (ValueError, TypeError) as exc:
            out.append(_p(key, value, f"is not a size (e.g. '24GB', '500 MiB'): {exc}"))
            continue
        if size <= 0:
            out.append(_p(key, value, "must be a positive size"))
    if kind == "lsf" and s.get("mem") is not None:
        if not _is_int(s["mem"]) or s["mem"] <= 0:
            out.append(_p("mem", s["mem"], "must be a positive number of bytes"))
    units = s.get("lsf-units")
    if kind == "lsf" and units is not None and (
            not isinstance(units, str) or units[:1].lower() not in "kmgtpez" or not units):
        out.append(_p("lsf-units", units, "must be one of kb, mb, gb, tb, pb, eb, zb"))
    return out


def _check_lists(kind: str, s: dict) -> list[Problem]:
    out = []
    for key in _LIST_KEYS:
        value = s.get(key)
        if value is not None and not (isinstance(value, (list, tuple))
                                      and all(isinstance(v, str) for v in value)):
            out.append(_p(key, value, "must be a list of strings"))
    extra = s.get("job-extra-directives")
    if extra is not None:
        if kind == "htcondor":
            if not isinstance(extra, dict):
                out.append(_p("job-extra-directives", extra,
                              "must be a mapping of submit keys to values for htcondor"))
        elif not (isinstance(extra, (list, tuple)) and all(isinstance(v, str) for v in extra)):
            out.append(_p("job-extra-directives", extra, "must be a list of strings"))
    skip = s.get("job-directives-skip")
    if kind == "htcondor" and isinstance(skip, (list, tuple)) and not out:
        # HTCondor removes skipped keys with dict.pop: a key it doesn't generate is an error.
        from hpctui.core.jobscript.render import ScriptError, generated_header_lines

        try:
            keys = {line.split(" = ", 1)[0]
                    for line in generated_header_lines(Profile(kind, dict(s)))}
        except ScriptError:
            keys = None
        for entry in skip:
            if keys is not None and entry not in keys:
                out.append(_p("job-directives-skip", entry,
                              "is not a submit key HTCondor's script has; it skips whole "
                              "keys: " + ", ".join(sorted(keys))))
    opts = s.get("scheduler-options")
    if opts is not None and not isinstance(opts, dict):
        out.append(_p("scheduler-options", opts, "must be a mapping"))
    return out


def _check_interfaces(s: dict, interfaces: Iterable[str] | None,
                      job_placement: bool = False) -> list[Problem]:
    opts = s.get("scheduler-options") if isinstance(s.get("scheduler-options"), dict) else {}
    if job_placement:
        # The scheduler runs on a compute node too: `interface` is the compute nodes' name,
        # and scheduler-options' host/interface (the login side's) are not used.
        return []
    wanted = [("interface", s.get("interface")),
              ("scheduler-options.interface", opts.get("interface"))]
    if not any(v for _, v in wanted):
        return []
    have = list(interfaces) if interfaces is not None else host_interfaces()
    out = []
    for key, value in wanted:
        if not value or value in have:
            continue
        listing = ", ".join(have) or "none"
        if key == "interface" and (opts.get("interface") or opts.get("host")):
            # Only the workers use it (the scheduler has its own): it may exist only on
            # compute nodes, as on Summit's login nodes.
            out.append(_p(key, value, f"is not a network interface on this host (this host "
                          f"has: {listing}); fine if compute nodes have it, since "
                          f"scheduler-options sets the scheduler's own", "warning"))
        else:
            out.append(_p(key, value, f"is not a network interface on this host; this host "
                          f"has: {listing}"))
    return out


def _check_distributed(d: dict) -> list[Problem]:
    out = []
    for key, value in d.items():
        full = f"distributed.{key}"
        if key not in DISTRIBUTED_KEYS:
            out.append(_p(full, value, "is not a distributed key hpctui changes"))
        elif value is not None and not isinstance(value, DISTRIBUTED_KEYS[key]):
            out.append(_p(full, value, "has the wrong type"))
        elif key == "worker.multiprocessing-method" and value not in (
                None, "spawn", "fork", "forkserver"):
            out.append(_p(full, value, "must be spawn, fork or forkserver"))
        elif key == "comm.timeouts.connect" and value is not None:
            from dask.utils import parse_timedelta

            try:
                if parse_timedelta(value) < 0:
                    out.append(_p(full, value, "must not be negative"))
            except (ValueError, KeyError, TypeError):
                out.append(_p(full, value, "is not a duration (e.g. '30s', '2 minutes')"))
    return out
