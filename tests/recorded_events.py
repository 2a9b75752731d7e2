"""Test helper: session event sequences recorded on the SLURM testbed, as events again.

The recordings are `tests/fixtures/events/testbed_<name>.json` (made by
`tests/fixtures/events/capture.py`): `no_interface`, `healthy`, `held`.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from hpctui.core.session import events as ev

EVENTS = Path(__file__).parent / "fixtures" / "events"


def recorded(name: str, shift_to: float | None = None) -> list[ev.SessionEvent]:
    """A recorded sequence (SessionClosed left out); with `shift_to` (time.time() seconds),
    moved in time so that its first RUNNING state is at that moment."""
    events = []
    for item in json.loads((EVENTS / f"testbed_{name}.json").read_text()):
        item = dict(item)
        cls = getattr(ev, item.pop("type"))
        if cls is ev.SessionClosed:
            continue
        names = {f.name for f in dataclasses.fields(cls)}
        events.append(cls(**{k: tuple(v) if isinstance(v, list) else v
                             for k, v in item.items() if k in names}))
    if shift_to is not None:
        start = running_at(events)
        events = [dataclasses.replace(e, at=e.at - start + shift_to) for e in events]
    return events


def running_at(events) -> float:
    """When the queue first showed a job RUNNING."""
    return next(e.at for e in events
                if isinstance(e, ev.JobStateChanged) and e.queue_state == "RUNNING")


def until(events, pred) -> list:
    """The events before the first one matching `pred`."""
    out = []
    for e in events:
        if pred(e):
            break
        out.append(e)
    return out


def before_cancel(events) -> list:
    """The events before this session started cancelling its jobs (the end of a recording)."""
    return until(events, lambda e: isinstance(e, ev.JobStateChanged) and e.new == "ending")
