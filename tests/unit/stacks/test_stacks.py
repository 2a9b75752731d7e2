"""Reading, folding, hottest stacks and stuck detection, on sample files recorded by the real
sampler (tests/fixtures/stacks/, see its README) and on small files written here."""

from __future__ import annotations

import os
from pathlib import Path

from hpctui.core.stacks.samples import (
    Frame, Sample, SampleFileReader, fold, folded_counts, hottest, is_idle, read_sample_file,
    sample_files, stuck, summarize, window_samples,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "stacks"


def test_fixture_files_parse_without_problems():
    names = sorted(p.name for p in sample_files(FIXTURES))
    assert names == ["healthy-nanny.stacks", "healthy-worker.stacks", "lock-nanny.stacks",
                     "lock-worker.stacks", "slow-imports.stacks"]
    for p in sample_files(FIXTURES):
        f = read_sample_file(p)
        assert f.problems == [], f.problems
        assert f.rate == 10.0 and f.pid > 0 and f.samples
        times = [s.time for s in f.samples]
        assert times == sorted(times)


def test_worker_held_on_lock_is_stuck_in_locket_for_over_ten_seconds():
    f = read_sample_file(FIXTURES / "lock-worker.stacks")
    assert f.is_spawned_child  # the Nanny's child: the real Worker
    st = stuck(f.samples, min_seconds=10)
    assert st is not None
    assert st.seconds > 13 and st.count > 130
    assert [fr.short() for fr in st.frames] == [
        "locket/__init__.py:acquire:118",
        "locket/__init__.py:acquire:162",
        "locket/__init__.py:_lock_file_blocking:52",
    ]
    assert any(fr.short().startswith("distributed/diskutils.py:__init__:") for fr in st.sample.stack)
    # Not yet stuck long enough for a higher threshold.
    assert stuck(f.samples, min_seconds=st.seconds + 1) is None


def test_now_extends_a_live_stuck_run():
    f = read_sample_file(FIXTURES / "lock-worker.stacks")
    last = f.samples[-1].time
    short = f.samples[-5:]  # 0.4 s of samples only
    assert stuck(short, min_seconds=5) is None
    assert stuck(short, min_seconds=5, now=last + 10).seconds >= 10


def test_healthy_worker_idle_in_event_loop_is_not_stuck():
    for name in ("healthy-worker", "healthy-nanny"):
        f = read_sample_file(FIXTURES / f"{name}.stacks")
        assert is_idle(f.samples[-1].stack), name
        assert stuck(f.samples, min_seconds=1) is None, name
        assert summarize(f, now=f.samples[-1].time + 60).stuck is None
    # The nanny of the locked worker waits in its event loop too; its last samples are its
    # shutdown logging after SIGTERM, which moves on.
    nanny = read_sample_file(FIXTURES / "lock-nanny.stacks")
    assert stuck(nanny.samples, min_seconds=1) is None
    assert sum(is_idle(s.stack) for s in nanny.samples) > 0.8 * len(nanny.samples)


def test_fold_and_short_names():
    f = read_sample_file(FIXTURES / "lock-worker.stacks")
    folded = fold(f.samples[-1].stack)
    assert folded.endswith("locket/__init__.py:_lock_file_blocking:52")
    assert "site-packages" not in folded and "/root/" not in folded
    assert ";distributed/diskutils.py:__init__:62;" in folded
    assert Frame.parse("C:/x/a.py:f:3") == Frame("C:/x/a.py", "f", 3)
    counts = folded_counts(f.samples)
    assert sum(counts.values()) == len(f.samples)
    assert counts[folded] == max(counts.values())


def test_hottest_shares_and_window():
    f = read_sample_file(FIXTURES / "lock-worker.stacks")
    hot = hottest(f.samples)
    assert hot[0].stack == f.samples[-1].stack
    assert hot[0].share > 0.9
    assert abs(sum(h.share for h in hottest(f.samples, top=1000)) - 1.0) < 1e-9
    # The first second (start-up imports) is not in the last 5 s window.
    last5 = window_samples(f.samples, 5.0)
    assert 45 <= len(last5) <= 52
    assert hottest(f.samples, window=5.0)[0].share == 1.0


def test_slow_imports_fixture_is_all_importlib_and_not_stuck():
    f = read_sample_file(FIXTURES / "slow-imports.stacks")
    s = summarize(f, window=30, stuck_after=3)
    assert s.import_share > 0.95 and s.window_seconds > 10
    # Each module imports in 50 ms: the innermost frames keep changing.
    assert s.stuck is None
    assert len({fr.filename for smp in f.samples for fr in smp.stack if "slowpkg/m" in fr.filename}) > 100


def _write(path: Path, text: str) -> None:
    with open(path, "a") as f:
        f.write(text)


HEADER = 'H {"version": 1, "host": "n1", "pid": 7, "ppid": 1, "rate": 10.0, "argv": ["p"], "started": 100.0}\n'


def test_reader_takes_only_complete_lines_and_continues(tmp_path):
    p = tmp_path / "n1-7.stacks"
    _write(p, HEADER + "S 0 /a/x.py:f:1;/a/y.py:g:2\nT 100.1 0\nT 100.2 0\nT 100.")
    r = SampleFileReader(p)
    assert len(r.update()) == 2
    _write(p, "3 0\nS 1 /a/x.py:f:1\nT 100.4 1\n")
    new = r.update()
    assert [s.time for s in new] == [100.3, 100.4]
    assert new[-1].stack == (Frame("/a/x.py", "f", 1),)
    assert r.file.host == "n1" and r.file.pid == 7 and r.file.problems == []
    assert r.update() == []


def test_reader_follows_a_rotation_and_reads_the_old_file_first(tmp_path):
    p = tmp_path / "n1-7.stacks"
    _write(Path(str(p) + ".1"), HEADER + "S 0 /a/x.py:f:1\nT 100.1 0\nE {\"reason\": \"rotated\", \"time\": 100.1}\n")
    _write(p, HEADER + "S 0 /a/z.py:h:9\nT 100.2 0\n")
    r = SampleFileReader(p)
    got = r.update()
    assert [s.stack[-1].function for s in got] == ["f", "h"]
    assert r.file.ended is None
    # The sampler rotates again: the current file is renamed and a fresh one starts.
    os.replace(p, str(p) + ".1")
    _write(p, HEADER + "S 0 /a/w.py:k:3\nT 100.3 0\nE {\"reason\": \"exit\", \"time\": 100.4}\n")
    got = r.update()
    assert [s.stack[-1].function for s in got] == ["k"]
    assert r.file.ended == "exit" and r.file.end_time == 100.4


def test_bad_lines_are_named_with_file_and_line(tmp_path):
    p = tmp_path / "n1-7.stacks"
    _write(p, HEADER + "T 100.1 5\nX what\nS 0 /a/x.py:f:notanumber\n")
    f = read_sample_file(p)
    assert len(f.problems) == 3
    assert f.problems[0].startswith(f"{p}:2:")
    assert "'X'" in f.problems[1]
    assert f.problems[2].startswith(f"{p}:4:")


def test_empty_and_missing():
    assert stuck([], 1) is None and hottest([]) == [] and window_samples([], 5) == []
    assert sample_files("/nonexistent/dir") == []
    s = Sample(1.0, ())
    assert is_idle(s.stack) and s.innermost is None
