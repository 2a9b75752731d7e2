"""LogBuffer: bounded rings per key and overall, arrival order, search."""

from __future__ import annotations

import threading

import pytest

from hpctui.core.logs.buffer import LogBuffer, line_matcher, matching_indices
from hpctui.core.logs.lines import LogLines


def test_per_key_ring_keeps_the_last_lines():
    buf = LogBuffer(per_key=3, total=100)
    buf.add("a", [f"a{i}" for i in range(10)])
    assert [e.text for e in buf.lines("a")] == ["a7", "a8", "a9"]
    assert buf.last("a", 2) == ["a8", "a9"]
    assert len(buf) == 3


def test_total_cap_evicts_the_globally_oldest_lines():
    buf = LogBuffer(per_key=100, total=5)
    buf.add("a", ["a1", "a2", "a3"])
    buf.add("b", ["b1", "b2"])
    buf.add("a", ["a4"])
    buf.add("b", ["b3"])
    assert len(buf) == 5
    assert [e.text for e in buf.lines()] == ["a3", "b1", "b2", "a4", "b3"]


def test_eviction_bookkeeping_stays_one_entry_per_key():
    # Per-key caps move each key's oldest line; the global eviction must still take the
    # globally oldest, and its bookkeeping must not grow with the lines added.
    buf = LogBuffer(per_key=2, total=10)
    for i in range(10_000):
        buf.add(i % 3, [str(i)])
    assert len(buf) == 6
    assert len(buf._oldest) == 3
    assert [e.text for e in buf.lines()] == [str(i) for i in range(9994, 10_000)]


def test_global_eviction_matches_a_plain_model():
    import random

    rng = random.Random(7)
    buf = LogBuffer(per_key=4, total=9)
    model: list[tuple[int, str]] = []  # (key, text) in arrival order
    for i in range(3_000):
        key = rng.randrange(6)
        n = rng.randrange(1, 4)
        if rng.random() < 0.02:
            buf.clear(key)
            model = [m for m in model if m[0] != key]
            continue
        texts = [f"{key}:{i}:{k}" for k in range(n)]
        buf.add(key, texts)
        model += [(key, t) for t in texts]
        # the model: each key keeps its last 4, then the oldest go until 9 are left
        kept = []
        for j, (k, t) in enumerate(model):
            if sum(1 for kk, _ in model[j:] if kk == k) <= 4:
                kept.append((k, t))
        model = kept[-9:]
        assert [e.text for e in buf.lines()] == [t for _, t in model], i
    assert len(buf._oldest) <= 6 + 3_000 // 50  # one per key, plus one per clear at most


def test_since_returns_only_the_newer_lines():
    buf = LogBuffer(per_key=5, total=100)
    buf.add("a", ["a1", "a2"])
    buf.add("b", ["b1"])
    buf.add("a", ["a3"])
    seqs = [e.seq for e in buf.lines("a")]
    assert [e.text for e in buf.since("a", seqs[0])] == ["a2", "a3"]
    assert buf.since("a", seqs[-1]) == []
    assert [e.text for e in buf.since("a", -1)] == ["a1", "a2", "a3"]
    assert buf.since("nope", 0) == []
    buf.add("a", [f"x{i}" for i in range(10)])  # the ring moved past the seq asked for
    assert [e.text for e in buf.since("a", seqs[-1])] == [f"x{i}" for i in range(5, 10)]


def test_add_batch_from_follower_and_stream_filter():
    buf = LogBuffer()
    buf.add_batch([
        LogLines("j1", "/x/j-1.out", "stdout", ["out line"], 0),
        LogLines("j1", "/x/j-1.err", "stderr", ["err line"], 0),
        LogLines("j2", "/x/j-2.err", "stderr", [], 0),
    ])
    assert buf.keys() == ["j1"]
    assert [e.text for e in buf.lines("j1", stream="stderr")] == ["err line"]


def test_search_plain_and_regex_case_insensitive():
    buf = LogBuffer()
    buf.add("w1", ["OSError: Timed out trying to connect to tcp://10.0.0.1:8786 after 30 s",
                   "INFO - Start worker"])
    buf.add("w2", ["timed OUT trying to connect to tcp://10.0.0.1:8786", "a*b"])
    assert [e.key for e in buf.search("timed out trying")] == ["w1", "w2"]
    assert [e.key for e in buf.search("timed out", key="w2")] == ["w2"]
    assert [e.text for e in buf.search(r"tcp://[\d.]+:\d+ after \d+ s", regex=True)] == [
        "OSError: Timed out trying to connect to tcp://10.0.0.1:8786 after 30 s"]
    assert [e.text for e in buf.search("*", regex=False)] == ["a*b"]  # plain means literal
    assert len(buf.search("trying", limit=1)) == 1
    assert buf.search("trying", limit=1)[0].key == "w2"


def test_bad_regex_and_bad_caps_are_named():
    with pytest.raises(ValueError, match=r"search pattern '\(unclosed' is not a valid regular"):
        line_matcher("(unclosed", regex=True)
    with pytest.raises(ValueError, match="per_key .* 0"):
        LogBuffer(per_key=0)
    with pytest.raises(ValueError, match="total .* 'many'"):
        LogBuffer(total="many")


def test_matching_indices():
    assert matching_indices(["Nanny failed to start", "ok", "NANNY"], "nanny") == [0, 2]


def test_clear_and_concurrent_adds():
    buf = LogBuffer(per_key=1000, total=3000)

    def writer(k):
        for i in range(2000):
            buf.add(k, [f"{k}-{i}"])

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(buf) == 3000
    assert len(buf.lines()) == 3000
    buf.clear(0)
    assert 0 not in buf.keys()
    assert len(buf) == len(buf.lines())
    buf.clear()
    assert len(buf) == 0 and buf.lines() == []
