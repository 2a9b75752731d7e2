"""read_tail: the last lines of real files, compared with a whole-file reference."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpctui.core.logs.tail import (
    CHUNK_BYTES,
    read_tail,
    read_tail_lines,
)


def reference_tail(data: bytes, n: int) -> list[str]:
    """What `tail -n` shows, computed the slow obvious way."""
    if not data:
        return []
    parts = data.split(b"\n")
    if data.endswith(b"\n"):
        parts = parts[:-1]
    lines = [p[:-1] if p.endswith(b"\r") else p for p in parts]
    return [p.decode("utf-8", errors="replace") for p in lines[-n:]] if n else []


@settings(max_examples=200, deadline=None)
@given(
    data=st.lists(
        st.sampled_from([b"a", b"bc", b"\n", b"\r\n", b"\xff", b"\xc3\xa9", b"x" * 50]),
        max_size=60,
    ).map(b"".join),
    n=st.integers(min_value=0, max_value=8),
)
def test_matches_reference_on_arbitrary_content(tmp_path_factory, data, n):
    path = tmp_path_factory.mktemp("tail") / "f.log"
    path.write_bytes(data)
    assert read_tail(path, n) == reference_tail(data, n)


def test_big_file_reads_only_the_tail(tmp_path):
    # Many chunks' worth of lines: the scan has to cross block boundaries.
    path = tmp_path / "big.log"
    lines = [f"2026-11-27 19:00:{i % 60:02d} - distributed.worker - INFO - line {i}" for i in range(200_000)]
    path.write_text("\n".join(lines) + "\n")
    assert os.path.getsize(path) > 100 * CHUNK_BYTES
    assert read_tail(path, 100) == lines[-100:]
    tail = read_tail_lines(path, 3)
    assert tail.end == os.path.getsize(path)
    assert tail.complete_last
    with open(path, "rb") as f:
        f.seek(tail.start)
        assert f.read().decode().splitlines() == lines[-3:]


def test_last_line_without_newline_is_included_and_flagged(tmp_path):
    path = tmp_path / "f.log"
    path.write_bytes(b"one\ntwo\nthr")
    tail = read_tail_lines(path, 2)
    assert tail.lines == ["two", "thr"]
    assert not tail.complete_last


def test_invalid_utf8_is_replaced_not_fatal(tmp_path):
    path = tmp_path / "f.log"
    path.write_bytes(b"ok\n\xff\xfebad \xc3\n")
    assert read_tail(path, 5) == ["ok", "\ufffd\ufffdbad \ufffd"]


def test_ten_megabyte_line_is_delivered_cut_with_marker(tmp_path):
    path = tmp_path / "f.log"
    huge = b"{" + b"x" * (10 * 1024 * 1024) + b"}"
    path.write_bytes(b"before\n" + huge + b"\nafter\n")
    lines = read_tail(path, 3, max_line_bytes=1000)
    assert lines[0] == "before"
    assert lines[2] == "after"
    assert lines[1].startswith("{xxx")
    assert len(lines[1]) < 1100
    assert f"[line truncated: {len(huge)} bytes]" in lines[1]


def test_file_without_newlines_beyond_scan_budget_is_not_read_whole(tmp_path):
    path = tmp_path / "f.log"
    path.write_bytes(b"y" * (3 * 1024 * 1024))
    tail = read_tail_lines(path, 5, max_line_bytes=100, max_scan_bytes=1024 * 1024)
    assert len(tail.lines) == 1
    assert tail.lines[0].startswith("[… line began before byte 2097152] yyy")
    assert tail.start == 2 * 1024 * 1024


def test_empty_and_blank_files(tmp_path):
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    assert read_tail(empty, 10) == []
    blank = tmp_path / "blank.log"
    blank.write_bytes(b"\n\n")
    assert read_tail(blank, 10) == ["", ""]


def test_bad_arguments_name_the_value(tmp_path):
    path = tmp_path / "f.log"
    path.write_bytes(b"x\n")
    with pytest.raises(ValueError, match="n_lines .* -1"):
        read_tail(path, -1)
    with pytest.raises(ValueError, match="max_line_bytes .* 0"):
        read_tail(path, 1, max_line_bytes=0)
    with pytest.raises(FileNotFoundError, match="missing.log"):
        read_tail(tmp_path / "missing.log")
