"""freeze_startup_objects: once per process, and what is alive then leaves the collector's walks."""

from __future__ import annotations

import gc

import hpctui.core.session.gcfreeze as gcfreeze


def test_freezes_once_and_later_objects_are_still_collected(monkeypatch):
    monkeypatch.setattr(gcfreeze, "_done", False)
    before = gc.get_freeze_count()
    try:
        assert gcfreeze.freeze_startup_objects() is True
        assert gc.get_freeze_count() > before
        assert gcfreeze.freeze_startup_objects() is False  # only the first call

        class Cycle:
            pass

        a, b = Cycle(), Cycle()
        a.other, b.other = b, a  # garbage made after the freeze is still found
        del a, b
        assert gc.collect() >= 2
    finally:
        gc.unfreeze()
