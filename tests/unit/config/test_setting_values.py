"""Typed text -> values for each key's shape, and back."""

from __future__ import annotations

import pytest

from hpctui.core.config.values import format_value, parse_value, shape_of


@pytest.mark.parametrize("key,text,value", [
    ("cores", " 8 ", 8),
    ("cores", "eight", "eight"),  # kept for validation to name
    ("death-timeout", "60", 60),
    ("death-timeout", "2.5", 2.5),
    ("walltime", "01:00:00", "01:00:00"),
    ("memory", "8GB", "8GB"),
    ("job-script-prologue", "module load x; conda activate y", ["module load x; conda activate y"]),
    ("job-script-prologue", "[a, 'b c']", ["a", "b c"]),
    ("worker-extra-args", "[--lifetime, 55m, --lifetime-stagger, 4m]",
     ["--lifetime", "55m", "--lifetime-stagger", "4m"]),
    ("scheduler-options", "{interface: ib0, port: 0}", {"interface": "ib0", "port": 0}),
    ("distributed.worker.use-file-locking", "no", False),
    ("distributed.worker.use-file-locking", "True", True),
    ("queue", "", None),
])
def test_parse(key, text, value):
    parsed = parse_value("slurm", key, text)
    assert parsed.ok and parsed.value == value and type(parsed.value) is type(value)


@pytest.mark.parametrize("key,text,needle", [
    ("scheduler-options", "ib0", "is not a mapping"),
    ("scheduler-options", "{a: 1", "is not a YAML mapping"),
    ("worker-extra-args", "[a, b", "is not a YAML list"),
    ("distributed.worker.use-file-locking", "maybe", "must be true or false"),
])
def test_parse_errors_name_key_and_text(key, text, needle):
    parsed = parse_value("slurm", key, text)
    assert not parsed.ok and parsed.error.startswith(f"{key}: {text!r}") and needle in parsed.error


def test_htcondor_extra_directives_are_a_mapping():
    assert shape_of("htcondor", "job-extra-directives") == "mapping"
    assert parse_value("htcondor", "job-extra-directives", "{request_gpus: 1}").value == \
        {"request_gpus": 1}
    assert shape_of("slurm", "job-extra-directives") == "list"


@pytest.mark.parametrize("value", [None, 4, 2.5, True, False, "01:00:00", ["--a", "b c"],
                                   {"interface": "ib0"}, []])
def test_format_then_parse_round_trips(value):
    key = {type(None): "queue", int: "cores", float: "death-timeout", bool: "use-stdin",
           str: "walltime", list: "worker-extra-args", dict: "scheduler-options"}[type(value)]
    assert parse_value("lsf", key, format_value(value)).value == (value if value != [] else [])


from hypothesis import given, settings, strategies as st

_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=20)


@settings(max_examples=200, deadline=None)
@given(st.lists(_TEXT, max_size=5))
def test_any_list_of_strings_round_trips(items):
    # What the form shows for a list reads back as the same list, whatever the strings.
    assert parse_value("slurm", "job-script-prologue", format_value(items)).value == items


@settings(max_examples=200, deadline=None)
@given(_TEXT.map(str.strip).filter(bool))
def test_any_text_value_is_kept_as_typed(text):
    assert parse_value("slurm", "walltime", format_value(text)).value == text
