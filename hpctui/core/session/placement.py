"""Where the Dask scheduler runs: `scheduler-placement: login` (default) or `job`.

`login` is what dask-jobqueue does: the scheduler lives in hpctui's process on the login node
and the workers connect to it. On about one system in five compute nodes cannot open
connections to the login node at all (the probe's "locked down" verdict); there the scheduler
must run where the workers can reach it. `job` puts it in a batch job of its own, built from
the same `jobqueue.<kind>` section (same header lines, python, prologue, interface, security),
and hpctui connects to it from the login node: login -> compute connections are the direction
locked-down sites allow. The job ends itself after `scheduler-idle-timeout` with no client
attached and no task running (a forgotten cluster), and its walltime bounds it in any case.

Both keys are hpctui's own (see `hpctui/core/config/profile.py`, HPCTUI_KEYS): plain
dask-jobqueue ignores them and reads the rest of the section as always.

This module is pure: it reads settings dicts (dashed `jobqueue.<kind>` keys) and says what
they mean, so validation, the session and the apply path agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LOGIN = "login"
JOB = "job"
PLACEMENTS = (LOGIN, JOB)
PLACEMENT_KEY = "scheduler-placement"
IDLE_KEY = "scheduler-idle-timeout"
DEFAULT_IDLE_TIMEOUT = "30 minutes"
MIN_IDLE_TIMEOUT = 5.0  # seconds: shorter and the scheduler ends while hpctui connects

# With `job`, what the scheduler job itself runs with: a change to one of these restarts the
# scheduler on apply; any other change (cores, memory, header lines, worker arguments,
# log-directory...) only re-submits the workers, and the scheduler keeps its address, its
# dashboard and the clients attached to it. Header lines are not here on purpose: the
# scheduler job was accepted by the batch system already, so a change made for the workers'
# sake must not cost the user their scheduler.
SCHEDULER_KEYS = frozenset({
    "python", "job-script-prologue", "interface", "scheduler-options", "security",
    "shared-temp-directory", IDLE_KEY, "walltime", "queue", "account", "project", "shebang",
})


def placement_of(settings: Mapping[str, Any]) -> str:
    """`login` or `job`; ValueError naming the key and the value for anything else."""
    value = settings.get(PLACEMENT_KEY)
    if value is None or value == "":
        return LOGIN
    text = str(value).strip().lower()
    if text not in PLACEMENTS:
        raise ValueError(f"{PLACEMENT_KEY}: {value!r} is not a placement; use `login` (the "
                         "scheduler runs in hpctui on this node) or `job` (in a batch job)")
    return text


def idle_timeout_of(settings: Mapping[str, Any]) -> float:
    """`scheduler-idle-timeout` in seconds (default 30 minutes); ValueError naming the value."""
    from dask.utils import parse_timedelta

    value = settings.get(IDLE_KEY)
    if value is None or value == "":
        value = DEFAULT_IDLE_TIMEOUT
    try:
        seconds = parse_timedelta(value, default="seconds")
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"{IDLE_KEY}: {value!r} is not a duration "
                         "(e.g. '30 minutes', '2h', 600)") from None
    if seconds is None or seconds < MIN_IDLE_TIMEOUT:
        raise ValueError(f"{IDLE_KEY}: {value!r} is too short; the scheduler job needs at "
                         f"least {MIN_IDLE_TIMEOUT:g} s to be attached to")
    return float(seconds)


def problems(settings: Mapping[str, Any]) -> list[tuple[str, Any, str]]:
    """(key, value, message) for each bad placement setting; the message names both."""
    out = []
    for key, check in ((PLACEMENT_KEY, placement_of), (IDLE_KEY, idle_timeout_of)):
        if settings.get(key) is None:
            continue
        try:
            check(settings)
        except ValueError as exc:
            out.append((key, settings.get(key), str(exc)))
    return out


def scheduler_changes(old: Mapping[str, Any], new: Mapping[str, Any],
                      old_distributed: Mapping[str, Any] | None = None,
                      new_distributed: Mapping[str, Any] | None = None) -> list[str]:
    """The settings whose change means a new scheduler job (empty: keep the running one).

    `distributed.*` keys count too, except `worker.*` ones, which only the workers read.
    """
    changed = sorted(k for k in SCHEDULER_KEYS if old.get(k) != new.get(k))
    od, nd = old_distributed or {}, new_distributed or {}
    changed += sorted(f"distributed.{k}" for k in set(od) | set(nd)
                      if not k.startswith("worker.") and od.get(k) != nd.get(k))
    return changed


# ClusterSession takes the placement through its cluster keyword arguments (so every caller
# that hands a profile's kwargs to a session hands this too), under names no dask-jobqueue
# class has; the session pops them before dask-jobqueue sees the rest.
PLACEMENT_KWARG = "hpctui_placement"
IDLE_KWARG = "hpctui_idle_timeout"
# The cluster keyword arguments the scheduler job runs with (SCHEDULER_KEYS, as kwargs).
_SCHEDULER_KWARGS = frozenset(k.replace("-", "_") for k in SCHEDULER_KEYS) | {IDLE_KWARG}


def session_kwargs(cluster_kwargs: dict[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """`cluster_kwargs` with the placement added when it is `job` (login: unchanged)."""
    if placement_of(settings) != JOB:
        return dict(cluster_kwargs)
    return {**cluster_kwargs, PLACEMENT_KWARG: JOB, IDLE_KWARG: idle_timeout_of(settings)}


def split_session_kwargs(kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], str, float]:
    """(dask-jobqueue's kwargs, placement, idle timeout in seconds) from `session_kwargs`."""
    rest = dict(kwargs)
    placement = str(rest.pop(PLACEMENT_KWARG, LOGIN) or LOGIN)
    if placement not in PLACEMENTS:
        raise ValueError(f"{PLACEMENT_KEY}: {placement!r} is not a placement; use login or job")
    idle = rest.pop(IDLE_KWARG, None)
    return rest, placement, float(idle) if idle is not None else idle_timeout_of({})


def scheduler_kwarg_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The scheduler job's keyword arguments that differ (empty: the running one can stay)."""
    return sorted(k for k in _SCHEDULER_KWARGS if old.get(k) != new.get(k))
