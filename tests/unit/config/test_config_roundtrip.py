"""Hypothesis: for generated config files with comments, blank lines, quoting styles and
list layouts, setting or deleting one key changes only that key's lines; every other line
survives byte for byte and in order, and dask's loader reads the intended values."""

from __future__ import annotations

import copy

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from hpctui.core.config.write import ConfigDocument

_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6).map(
    lambda w: "v" + w)  # starts with a letter, never a YAML keyword like "no" or "on"
_comment = st.text(alphabet="abcdefghij XYZ-:#'\"", max_size=20).map(lambda c: "# " + c.strip())
_scalar = st.one_of(st.integers(0, 10**6), _word, st.booleans())
_list = st.lists(_word, min_size=1, max_size=3)
_value = st.one_of(_scalar, _list)
_keys = st.sampled_from(["cores", "memory", "queue", "walltime", "job-extra-directives",
                         "job-directives-skip", "python", "interface", "processes"])


def _render_scalar(v, style):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return {"plain": v, "single": f"'{v}'", "double": f'"{v}"'}[style]


@st.composite
def documents(draw):
    """(text, data, ranges): ranges maps dotted key -> [start, end) of its own lines."""
    indent = draw(st.sampled_from([2, 4]))
    seq_offset = draw(st.sampled_from([0, 2]))
    lines: list[str] = []
    data: dict = {}
    ranges: dict[str, tuple[int, int]] = {}

    def maybe_comment(col):
        for c in draw(st.lists(_comment, max_size=2)):
            lines.append(" " * col + c + "\n")
        if draw(st.booleans()):
            lines.append("\n")

    maybe_comment(0)
    sections = {"distributed": ["worker"], "jobqueue": draw(
        st.lists(st.sampled_from(["slurm", "pbs", "lsf"]), min_size=1, max_size=3, unique=True)),
        "labextension": ["factory"]}
    for top in draw(st.permutations(list(sections))):
        lines.append(f"{top}:\n")
        data[top] = {}
        for sub in sections[top]:
            maybe_comment(indent)
            lines.append(" " * indent + f"{sub}:\n")
            data[top][sub] = {}
            keys = draw(st.lists(_keys, min_size=1, max_size=5, unique=True))
            for key in keys:
                maybe_comment(2 * indent)
                value = draw(_value)
                start = len(lines)
                col = 2 * indent
                if isinstance(value, list):
                    lines.append(" " * col + f"{key}:\n")
                    style = draw(st.sampled_from(["plain", "single", "double"]))
                    for item in value:
                        lines.append(" " * (col + seq_offset) + "- "
                                     + _render_scalar(item, style) + "\n")
                else:
                    style = draw(st.sampled_from(["plain", "single", "double"]))
                    inline = draw(st.one_of(st.just(""), _comment.map(lambda c: "  " + c)))
                    lines.append(" " * col + f"{key}: {_render_scalar(value, style)}{inline}\n")
                ranges[f"{top}.{sub}.{key}"] = (start, len(lines))
                data[top][sub][key] = value
        maybe_comment(0)
    return "".join(lines), data, ranges


def _is_subsequence(small, big):
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents(), new_value=_value, action=st.sampled_from(["set", "add", "delete"]),
       pick=st.integers(0, 1000))
def test_one_key_changes_and_nothing_else(tmp_path_factory, doc, new_value, action, pick):
    text, data, ranges = doc
    assert yaml.safe_load(text) == data  # the generator writes what it means
    path = tmp_path_factory.mktemp("rt") / "c.yaml"
    path.write_text(text)
    keys = sorted(ranges)
    dotted = keys[pick % len(keys)]
    expected = copy.deepcopy(data)
    top, sub, key = dotted.split(".")
    d = ConfigDocument.load(path)
    if action == "set":
        d.set(dotted, new_value)
        expected[top][sub][key] = new_value
        skip = set(range(*ranges[dotted]))
    elif action == "add":
        dotted = f"{top}.{sub}.death-timeout"
        d.set(dotted, new_value)
        expected[top][sub]["death-timeout"] = new_value
        skip = set()
    else:
        assert d.delete(dotted)
        del expected[top][sub][key]
        skip = set(range(*ranges[dotted]))
        if not expected[top][sub]:
            # The emptied mapping goes too (a bare "worker:" would read as null), with the
            # comments between it and its only key.
            del expected[top][sub]
            old_lines = text.splitlines(True)
            start = max(i for i in range(ranges[dotted][0]) if old_lines[i].strip() == f"{sub}:")
            skip |= set(range(start, ranges[dotted][0]))
            if not expected[top]:
                del expected[top]
                top_line = max(i for i in range(start) if old_lines[i] == f"{top}:\n")
                skip |= set(range(top_line, start))
    result = d.save()
    new = path.read_text()
    assert yaml.safe_load(new) == expected
    assert not result.reformatted
    old_lines = text.splitlines(True)
    kept = [line for i, line in enumerate(old_lines) if i not in skip]
    new_lines = new.splitlines(True)
    assert _is_subsequence(kept, new_lines)
    if action == "delete":
        assert new_lines == kept
    else:
        added = len(yaml.safe_dump({key: new_value}, default_flow_style=False).splitlines())
        if action == "set" and not isinstance(new_value, (list, dict)) and new_value == data[top][sub][key] \
                and type(new_value) is type(data[top][sub][key]):
            added = len(skip)  # unchanged value: nothing was rewritten
        assert len(new_lines) == len(kept) + added
