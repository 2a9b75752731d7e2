"""The profile's `adapt` key: read, checked (messages name key and value), passed to adapt()."""

from __future__ import annotations

import pytest

from hpctui.core.config.profile import Profile
from hpctui.core.config.validate import validate
from hpctui.core.session.adapt_settings import (ADAPT_KWARG, AdaptSettings, parse_adapt,
                                                parse_range)


def test_defaults_and_kwargs_for_dask_jobqueue():
    s = parse_adapt({"maximum": 4})
    assert s == AdaptSettings(0, 4, "jobs", 1.0, 3, 5.0)
    assert s.adapt_kwargs() == {"minimum_jobs": 0, "maximum_jobs": 4, "interval": 1.0,
                                "wait_count": 3, "target_duration": 5.0}
    w = parse_adapt({"minimum": 1, "maximum": 3, "unit": "workers", "interval": "250ms",
                     "wait_count": 2, "target-duration": "2s"})
    assert w.adapt_kwargs() == {"minimum": 1, "maximum": 3, "interval": 0.25, "wait_count": 2,
                                "target_duration": 2.0}
    assert parse_adapt(w.as_mapping()) == w
    assert parse_adapt(None) is None and parse_adapt({}) is None


@pytest.mark.parametrize("value, message", [
    ({"minimum": 1}, "adapt.maximum: None must be set"),
    ({"maximum": 2, "minimum": 3}, "adapt.minimum: 3 is more than adapt.maximum: 2"),
    ({"maximum": "four"}, "adapt.maximum: 'four' must be a whole number"),
    ({"maximum": 2, "unit": "nodes"}, "adapt.unit: 'nodes' must be jobs or workers"),
    ({"maximum": 2, "interval": "soon"}, "adapt.interval: 'soon' is not a duration"),
    ({"maximum": 2, "interval": "1ms"}, "adapt.interval: '1ms' is too short"),
    ({"maximum": 2, "wait-count": 0}, "adapt.wait-count: 0 must be at least 1"),
    ({"maximum": 2, "maxmum": 3}, "adapt.maxmum: 3 is not an adapt setting"),
    (4, "adapt: 4 must be a mapping"),
])
def test_bad_values_name_key_and_value(value, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_adapt(value)
    problems = validate(Profile("local", {"cores": 1, "memory": "1GB", "adapt": value}),
                        interfaces=["lo"])
    assert [p.key for p in problems] == ["adapt"] and message in problems[0].message


def test_profile_passes_adapt_to_the_session_and_not_to_dask_jobqueue():
    p = Profile("slurm", {"cores": 1, "memory": "1GB", "adapt": {"maximum": 2}})
    assert "adapt" not in p.cluster_kwargs()
    assert p.session_kwargs()[ADAPT_KWARG] == AdaptSettings(0, 2)
    broken = Profile("slurm", {"cores": 1, "memory": "1GB", "adapt": {"maximum": -1}})
    assert ADAPT_KWARG not in broken.session_kwargs()  # validation says it; starting must not crash


def test_parse_range():
    assert parse_range("0:4") == AdaptSettings(0, 4)
    assert parse_range("1..3", "workers") == AdaptSettings(1, 3, "workers")
    with pytest.raises(ValueError, match="'4' is not MIN:MAX"):
        parse_range("4")
