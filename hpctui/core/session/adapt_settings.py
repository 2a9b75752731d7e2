"""The `adapt` key: adaptive scaling settings in a profile, read and checked (pure).

hpctui's own key in `jobqueue.<kind>` (plain dask-jobqueue ignores it in config and reads the
rest of the section as always):

    adapt:
      minimum: 0            # at least this many (default 0)
      maximum: 4            # at most this many (required)
      unit: jobs            # what the bounds count: jobs (default) or workers, as
                            # dask-jobqueue's adapt(minimum_jobs=...) or adapt(minimum=...)
      interval: 1s          # between two adaptive decisions (distributed's default)
      wait-count: 3         # rounds a worker must be suggested for removal before it goes
      target-duration: 5s   # how long the queued work should take: smaller scales up harder

With `unit: jobs` hpctui also rounds the adaptive target up to whole jobs (a job of
`processes: 2` brings two workers): a target between two multiples is what makes adapt cancel
a job it has just submitted, again and again (dask-jobqueue issue 498, failure mode 18).

The session receives the settings through its cluster keyword arguments under ADAPT_KWARG (as
`scheduler-placement` is passed), so every caller that hands a profile to a session hands this.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ADAPT_KEY = "adapt"
ADAPT_KWARG = "hpctui_adapt"
UNITS = ("jobs", "workers")
FIELDS = ("minimum", "maximum", "unit", "interval", "wait-count", "target-duration")
MIN_INTERVAL = 0.05  # seconds: shorter and the scheduler spends its time deciding


@dataclass(frozen=True)
class AdaptSettings:
    """Adaptive bounds and the three knobs distributed's `Adaptive` takes (seconds, counts)."""

    minimum: int = 0
    maximum: int = 1
    unit: str = "jobs"
    interval: float = 1.0
    wait_count: int = 3
    target_duration: float = 5.0

    def adapt_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for dask-jobqueue's `cluster.adapt(...)`."""
        bounds = ({"minimum_jobs": self.minimum, "maximum_jobs": self.maximum}
                  if self.unit == "jobs" else {"minimum": self.minimum, "maximum": self.maximum})
        return {**bounds, "interval": self.interval, "wait_count": self.wait_count,
                "target_duration": self.target_duration}

    def as_mapping(self) -> dict[str, Any]:
        """The settings as the profile's `adapt` mapping (dashed keys, plain values)."""
        return {"minimum": self.minimum, "maximum": self.maximum, "unit": self.unit,
                "interval": _seconds_text(self.interval), "wait-count": self.wait_count,
                "target-duration": _seconds_text(self.target_duration)}

    def bounds_text(self) -> str:
        return f"{self.minimum}..{self.maximum} {self.unit}"


def _seconds_text(seconds: float) -> str:
    return f"{seconds * 1000:g}ms" if seconds < 1 else f"{seconds:g}s"


def _duration(key: str, value: Any, minimum: float) -> float:
    from dask.utils import parse_timedelta

    try:
        seconds = parse_timedelta(value, default="seconds")
    except (ValueError, KeyError, TypeError):
        seconds = None
    if seconds is None or isinstance(value, bool):
        raise ValueError(f"adapt.{key}: {value!r} is not a duration (e.g. '1s', '500ms', 2)")
    if seconds < minimum:
        raise ValueError(f"adapt.{key}: {value!r} is too short; use at least {minimum:g} s")
    return float(seconds)


def _count(key: str, value: Any, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"adapt.{key}: {value!r} must be a whole number")
    if value < least:
        raise ValueError(f"adapt.{key}: {value!r} must be at least {least}")
    return value


def parse_adapt(value: Any) -> AdaptSettings | None:
    """The profile's `adapt` value as AdaptSettings (None: not set, fixed scaling).

    ValueError naming the key (`adapt.<field>`) and the value for anything wrong."""
    if value is None or value is False or value == {}:
        return None
    if not isinstance(value, Mapping):
        raise ValueError(f"adapt: {value!r} must be a mapping such as "
                         "{minimum: 0, maximum: 4, unit: jobs}")
    d = {str(k).replace("_", "-"): v for k, v in value.items()}
    unknown = sorted(set(d) - set(FIELDS))
    if unknown:
        raise ValueError(f"adapt.{unknown[0]}: {d[unknown[0]]!r} is not an adapt setting; "
                         "use " + ", ".join(FIELDS))
    if d.get("maximum") is None:
        raise ValueError(f"adapt.maximum: {None!r} must be set (how many jobs or workers "
                         "at most)")
    minimum = _count("minimum", d.get("minimum", 0) or 0, 0)
    maximum = _count("maximum", d["maximum"], 1)
    if minimum > maximum:
        raise ValueError(f"adapt.minimum: {minimum!r} is more than adapt.maximum: {maximum!r}")
    unit = str(d.get("unit") or "jobs").strip().lower()
    if unit not in UNITS:
        raise ValueError(f"adapt.unit: {d.get('unit')!r} must be jobs or workers")
    return AdaptSettings(
        minimum, maximum, unit,
        _duration("interval", d["interval"], MIN_INTERVAL) if d.get("interval") is not None
        else 1.0,
        _count("wait-count", d["wait-count"], 1) if d.get("wait-count") is not None else 3,
        _duration("target-duration", d["target-duration"], 0.01)
        if d.get("target-duration") is not None else 5.0)


def problems(settings: Mapping[str, Any]) -> list[tuple[str, Any, str]]:
    """(key, value, message) when the `adapt` key is wrong; the message names both."""
    value = settings.get(ADAPT_KEY)
    try:
        parse_adapt(value)
    except ValueError as exc:
        return [(ADAPT_KEY, value, str(exc))]
    return []


def parse_range(text: str, unit: str = "jobs") -> AdaptSettings:
    """"MIN:MAX" (or "MIN..MAX") as AdaptSettings; ValueError naming the text."""
    sep = ":" if ":" in text else ".."
    parts = text.split(sep)
    try:
        low, high = (int(p) for p in parts)
    except ValueError:
        raise ValueError(f"{text!r} is not MIN:MAX (e.g. 0:4)") from None
    s = parse_adapt({"minimum": low, "maximum": high, "unit": unit})
    assert s is not None
    return s


def jobs_for(workers: int, processes: int) -> int:
    """Jobs needed for `workers` workers of `processes` per job."""
    return int(math.ceil(workers / max(1, processes)))
