"""LogFollower on real files in temp dirs: appends, late files, truncation, rotation, partial
lines, invalid UTF-8, 10 MB lines, hundreds of files, and memory that stays bounded."""

from __future__ import annotations

import os
import threading
import time

import psutil
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpctui.core.logs.follow import LogFollower
from hpctui.core.logs.lines import FileNotice, LogLines
from waits import WAIT_S  # generous: a passing test returns as soon as it can


class Collector:
    """Records every batch the follower delivers (on the follower thread)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: list[LogLines] = []
        self.batch_sizes: list[int] = []

    def __call__(self, batch: list[LogLines]) -> None:
        with self.lock:
            self.items.extend(batch)
            self.batch_sizes.append(sum(len(b.lines) for b in batch))

    def lines(self, key=None) -> list[str]:
        with self.lock:
            return [line for it in self.items if key is None or it.key == key for line in it.lines]

    def notices(self, key=None) -> list[FileNotice]:
        with self.lock:
            return [it.notice for it in self.items
                    if it.notice is not None and (key is None or it.key == key)]


def wait_for(condition, what: str, timeout: float = WAIT_S) -> None:
    """Poll `condition` until true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


@pytest.fixture
def collector():
    return Collector()


@pytest.fixture
def follower(collector):
    f = LogFollower(collector)
    yield f
    f.close()


def settle(follower) -> None:
    """Wait until every command given so far has been processed: two full rounds later."""
    start = follower.stats.rounds
    wait_for(lambda: follower.stats.rounds >= start + 2, "two follower rounds")


def append(path, data: bytes) -> None:
    with open(path, "ab") as f:
        f.write(data)


def test_from_start_then_appended_lines_with_numbers_and_offsets(tmp_path, collector, follower):
    path = tmp_path / "job-1.out"
    path.write_bytes(b"zero\none\n")
    follower.follow(path, "j1", from_end=False)
    wait_for(lambda: collector.lines() == ["zero", "one"], "existing lines")
    append(path, b"two\nthree\n")
    wait_for(lambda: collector.lines() == ["zero", "one", "two", "three"], "appended lines")
    items = [it for it in collector.items if it.lines]
    assert items[0].offset == 0 and items[0].first_line == 0
    assert items[-1].offset == 9 and items[-1].first_line == 2
    assert items[0].stream == "stdout"
    assert items[0].path == str(path)


def test_from_end_gives_initial_lines_then_new_ones(tmp_path, collector, follower):
    path = tmp_path / "job-2.err"
    path.write_bytes(b"".join(b"old %d\n" % i for i in range(1000)) + b"half")
    follower.follow(path, "j2", from_end=True, initial_lines=2)
    wait_for(lambda: collector.lines() == ["old 998", "old 999"], "initial tail")
    first = collector.items[0]
    assert first.stream == "stderr"
    assert first.first_line is None
    with open(path, "rb") as f:
        assert f.read()[first.offset:].startswith(b"old 998\n")
    # The unfinished last line is completed, not cut in two.
    append(path, b" done\nnew\n")
    wait_for(lambda: collector.lines()[2:] == ["half done", "new"], "completed line")


def test_from_end_without_initial_lines_skips_old_content(tmp_path, collector, follower):
    path = tmp_path / "f.log"
    path.write_bytes(b"old\n" * 100)
    follower.follow(path, "k", from_end=True)
    settle(follower)
    append(path, b"fresh\n")
    wait_for(lambda: collector.lines() == ["fresh"], "only the new line")


def test_file_that_appears_late_is_read_from_its_start(tmp_path, collector, follower):
    path = tmp_path / "later" / "job-3.out"
    follower.follow(path, "j3", from_end=True, initial_lines=5)
    wait_for(lambda: follower.stats.rounds > 3, "follower rounds on a missing file")
    assert collector.items == []
    path.parent.mkdir()
    path.write_bytes(b"first\nsecond\n")
    wait_for(lambda: collector.lines("j3") == ["first", "second"], "lines of the late file")
    assert collector.notices("j3") == [FileNotice.APPEARED]


def test_truncation_restarts_from_zero_and_says_so(tmp_path, collector, follower):
    path = tmp_path / "t.log"
    path.write_bytes(b"a long first line\nanother long line\n")
    follower.follow(path, "t", from_end=False)
    wait_for(lambda: len(collector.lines()) == 2, "original lines")
    with open(path, "wb") as f:  # `> t.log` then a new write
        f.write(b"new\n")
    wait_for(lambda: collector.lines()[2:] == ["new"], "line after truncation")
    assert collector.notices() == [FileNotice.TRUNCATED]
    after = [it for it in collector.items if it.lines == ["new"]][0]
    assert after.offset == 0 and after.first_line == 0


def test_rotation_drains_old_file_then_reads_new_one(tmp_path, collector, follower):
    path = tmp_path / "r.log"
    path.write_bytes(b"")
    follower.follow(path, "r", from_end=False)
    with open(path, "ab", buffering=0) as old:
        old.write(b"before\n")
        wait_for(lambda: collector.lines() == ["before"], "line before rotation")
        os.rename(path, tmp_path / "r.log.1")
        old.write(b"last of old\n")  # a writer still holding the old file
        path.write_bytes(b"first of new\n")
        wait_for(lambda: collector.lines() == ["before", "last of old", "first of new"],
                 "old file drained then new file")
    assert collector.notices() == [FileNotice.ROTATED]
    new = [it for it in collector.items if it.lines == ["first of new"]][0]
    assert new.offset == 0 and new.first_line == 0


def test_partial_line_is_held_until_its_newline(tmp_path, collector):
    path = tmp_path / "p.log"
    path.write_bytes(b"")
    with LogFollower(collector, partial_flush_s=600) as follower:
        follower.follow(path, "p", from_end=False)
        append(path, b"abc")
        wait_for(lambda: follower.stats.bytes_read >= 3, "the partial bytes to be read")
        rounds = follower.stats.rounds
        wait_for(lambda: follower.stats.rounds > rounds + 2, "more rounds")
        assert collector.lines() == []
        append(path, b"def\nghi\n")
        wait_for(lambda: collector.lines() == ["abcdef", "ghi"], "the completed line")


def test_partial_line_is_flushed_after_a_while(tmp_path, collector):
    path = tmp_path / "p.log"
    path.write_bytes(b"progress 10%")
    with LogFollower(collector, partial_flush_s=0.2) as follower:
        follower.follow(path, "p", from_end=False)
        wait_for(lambda: collector.lines() == ["progress 10%"], "flushed partial line")
        append(path, b" 20%\n")
        wait_for(lambda: collector.lines() == ["progress 10%", " 20%"], "rest as its own line")
        assert collector.items[-1].first_line is None  # numbering no longer matches the file


def test_invalid_utf8_and_crlf(tmp_path, collector, follower):
    path = tmp_path / "u.log"
    path.write_bytes(b"caf\xc3\xa9\r\nbad \xff\xfe byte\n\xe2\x82\n")
    follower.follow(path, "u", from_end=False)
    wait_for(lambda: len(collector.lines()) == 3, "three lines")
    assert collector.lines() == ["café", "bad \ufffd\ufffd byte", "\ufffd"]


@pytest.mark.parametrize("max_line_bytes", [64 * 1024, 1000])
def test_ten_megabyte_line_is_cut_with_marker(tmp_path, collector, max_line_bytes):
    path = tmp_path / "big-line.log"
    huge = b"[" + b"z" * (10 * 1024 * 1024) + b"]"
    path.write_bytes(b"short\n" + huge + b"\nafter\n" + b"q" * 5000 + b"\n")
    with LogFollower(collector, max_line_bytes=max_line_bytes) as follower:
        follower.follow(path, "b", from_end=False)
        wait_for(lambda: len(collector.lines()) == 4, "four lines")
    lines = collector.lines()
    assert lines[0] == "short" and lines[2] == "after"
    assert lines[1].startswith("[zzz")
    assert lines[1].endswith(f"[line truncated: {len(huge)} bytes]")
    assert len(lines[1]) <= max_line_bytes + 100
    if max_line_bytes < 5000:
        assert lines[3].endswith("[line truncated: 5000 bytes]")
    else:
        assert lines[3] == "q" * 5000


def test_six_hundred_files_in_order(tmp_path, collector, follower):
    n_files, n_lines = 600, 50
    paths = [tmp_path / f"w-{i}.err" for i in range(n_files)]
    for i, p in enumerate(paths[: n_files // 2]):  # half exist now, half appear later
        p.write_bytes(b"")
    for i, p in enumerate(paths):
        follower.follow(p, i, from_end=False)
    for round_ in range(n_lines):
        for i, p in enumerate(paths):
            append(p, b"file %d line %d\n" % (i, round_))
    wait_for(lambda: follower.stats.lines >= n_files * n_lines, "all lines of all files")
    by_key: dict[int, list[str]] = {}
    for it in collector.items:
        by_key.setdefault(it.key, []).extend(it.lines)
    assert len(by_key) == n_files
    for i in range(n_files):
        assert by_key[i] == [f"file {i} line {r}" for r in range(n_lines)]


def test_unfollow_stops_delivery_and_keys_are_checked(tmp_path, collector, follower):
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_bytes(b"")
    b.write_bytes(b"")
    follower.follow(a, "a", from_end=False)
    follower.follow(b, "b", from_end=False)
    with pytest.raises(ValueError, match="already following key 'a'"):
        follower.follow(b, "a")
    append(a, b"a1\n")
    wait_for(lambda: collector.lines("a") == ["a1"], "a1")
    follower.unfollow("a")
    assert follower.following() == {"b"}
    with pytest.raises(KeyError, match="not following key 'a'"):
        follower.unfollow("a")
    settle(follower)
    append(a, b"a2\n")
    append(b, b"b1\n")
    wait_for(lambda: collector.lines("b") == ["b1"], "b1")
    # b1 was written after a2, and a would have been read in the same round as b.
    assert collector.lines("a") == ["a1"]


def test_a_failing_callback_does_not_stop_following(tmp_path):
    got: list[str] = []

    def flaky(batch):
        lines = [line for it in batch for line in it.lines]
        got.extend(lines)
        if "boom" in lines:
            raise RuntimeError("consumer bug")

    path = tmp_path / "f.log"
    path.write_bytes(b"")
    with LogFollower(flaky) as follower:
        follower.follow(path, "f", from_end=False)
        append(path, b"boom\n")
        wait_for(lambda: "boom" in got, "first line")
        append(path, b"still here\n")
        wait_for(lambda: "still here" in got, "line after the failure")


def test_close_is_idempotent_and_refuses_new_files(tmp_path, collector):
    follower = LogFollower(collector)
    follower.close()
    follower.close()
    assert not follower._thread.is_alive()
    with pytest.raises(RuntimeError, match="closed"):
        follower.follow(tmp_path / "x.log", "x")


def test_bad_arguments_name_the_value(collector):
    with pytest.raises(ValueError, match="idle_sleep_s .* -1"):
        LogFollower(collector, idle_sleep_s=-1)
    with pytest.raises(ValueError, match="max_batch_lines .* 0"):
        LogFollower(collector, max_batch_lines=0)
    with LogFollower(collector) as follower:
        with pytest.raises(ValueError, match="initial_lines .* -3"):
            follower.follow("x.log", "x", initial_lines=-3)


def test_unreadable_file_is_reported_once(tmp_path, collector, follower):
    if os.geteuid() == 0:
        # root reads any file whatever its mode; a directory is unreadable as a log for anyone.
        path = tmp_path / "dir.log"
        path.mkdir()
    else:
        path = tmp_path / "secret.log"
        path.write_bytes(b"x\n")
        path.chmod(0)
    follower.follow(path, "s", from_end=False)
    wait_for(lambda: collector.notices("s") == [FileNotice.UNREADABLE], "unreadable notice")
    assert str(path) in collector.lines("s")[0]
    rounds = follower.stats.rounds
    wait_for(lambda: follower.stats.rounds > rounds + 10, "more rounds")
    assert collector.notices("s") == [FileNotice.UNREADABLE]


def test_memory_stays_bounded_while_a_file_grows_by_300_mb(tmp_path):
    proc = psutil.Process()
    peak = [0]
    batch_sizes: list[int] = []

    def consume(batch):
        # Drop the lines, as a consumer with a bounded buffer would; record memory and size.
        batch_sizes.append(sum(len(b.lines) for b in batch))
        peak[0] = max(peak[0], proc.memory_info().rss)

    path = tmp_path / "grow.log"
    path.write_bytes(b"")
    block = b"".join(b"2026-11-27 19:00:00,000 - distributed.worker - INFO - line %06d\n" % i
                     for i in range(16_000))  # ~1 MB
    target = 200 * 1024 * 1024
    base = proc.memory_info().rss
    with LogFollower(consume, max_batch_lines=5000) as follower:
        follower.follow(path, "g", from_end=False)
        with open(path, "ab") as f:
            written = 0
            while written < target:
                f.write(block)
                written += len(block)
        wait_for(lambda: follower.stats.bytes_read >= written, "the follower to read 200 MB",
                 timeout=120)
        # Then a 100 MB line without a newline: only its capped head may be held.
        # Written a megabyte at a time: a 100 MB bytes object of the test's own would count
        # in the RSS measured meanwhile (a busy machine made that sample land mid-write).
        with open(path, "ab") as f:
            for _ in range(100):
                f.write(b"n" * (1024 * 1024))
        wait_for(lambda: follower.stats.bytes_read >= written + 100 * 1024 * 1024,
                 "the follower to read the 100 MB partial line", timeout=60)
        peak[0] = max(peak[0], proc.memory_info().rss)
    assert max(batch_sizes) <= 5000 + 4 * 64 * 1024  # one batch plus at most one file's round
    growth_mb = (peak[0] - base) / 2**20
    assert growth_mb < 30, f"RSS grew by {growth_mb:.0f} MB while following a 300 MB file"


def test_a_quiet_file_is_still_polled(tmp_path, collector):
    path = tmp_path / "quiet.log"
    path.write_bytes(b"first\n")
    with LogFollower(collector, quiet_after_s=0.05, quiet_poll_s=0.3) as follower:
        follower.follow(path, "q", from_end=False)
        wait_for(lambda: collector.lines() == ["first"], "first line")
        start = follower.stats.rounds
        wait_for(lambda: follower.stats.rounds > start + 10, "the file to count as quiet")
        append(path, b"second\n")
        wait_for(lambda: collector.lines() == ["first", "second"], "a line in a quiet file")


def _expected_lines(data: bytes, max_line: int) -> list[str]:
    """Complete lines of `data` as the follower must deliver them, computed the obvious way."""
    from hpctui.core.logs.tail import cap_line

    complete = data[: data.rfind(b"\n") + 1]
    return [cap_line(raw[:max_line], len(raw)) for raw in complete.split(b"\n")[:-1]]


@settings(max_examples=40, deadline=None)
@given(
    pieces=st.lists(
        st.lists(st.sampled_from([b"a", b"xyz", b"\n", b"\r", b"\r\n", b"\xc3\xa9", b"\xff",
                                  b"\xe2\x82\xac", b"0123456789"]), max_size=12).map(b"".join),
        max_size=15,
    ),
    chunk=st.integers(min_value=1, max_value=16),
    max_line=st.sampled_from([4, 1000]),
)
def test_any_writes_in_any_chunks_give_the_same_lines(tmp_path_factory, pieces, chunk, max_line):
    # Small chunks put every boundary case (CR|LF, a UTF-8 character, a capped line split
    # across reads) in play that 64 KiB chunks hit only in multi-megabyte files.
    path = tmp_path_factory.mktemp("prop") / "f.log"
    path.write_bytes(b"")
    got = Collector()
    with LogFollower(got, chunk_bytes=chunk, max_line_bytes=max_line,
                     partial_flush_s=600) as follower:
        follower.follow(path, "p", from_end=False)
        for piece in pieces:
            append(path, piece)
        total = sum(map(len, pieces))
        wait_for(lambda: follower.stats.bytes_read >= total, "every byte read")
        settle(follower)
    assert got.lines() == _expected_lines(b"".join(pieces), max_line)
