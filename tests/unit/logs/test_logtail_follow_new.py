"""Files declared new (a job's own logs): read whole after one APPEARED notice, however the
race between the job writing them and the follower thread looking at them turns out.

A busy machine lost that race: the testbed's worker wrote its .err before the follower first
looked, so the file counted as "already there" and no APPEARED notice came. Writing the file
before `follow()` is called is the losing order, every time.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from hpctui.core.batch.tracker import JobTracker
from hpctui.core.logs.follow import LogFollower
from hpctui.core.logs.lines import FileNotice
from hpctui.core.session.events import LogLinesAppended
from hpctui.core.session.watchers import Watchers
from test_logtail_follow import Collector, append, wait_for
from waits import wait_until


@pytest.fixture
def collector():
    return Collector()


@pytest.fixture
def follower(collector):
    f = LogFollower(collector)
    yield f
    f.close()


def test_a_new_file_written_before_follow_is_announced_and_read_whole(tmp_path, collector,
                                                                        follower):
    path = tmp_path / "worker-7.err"
    path.write_bytes(b"first\nsecond\n")  # the job was quicker than the follower
    follower.follow(path, "j7", new=True)
    wait_for(lambda: collector.lines("j7") == ["first", "second"], "the lines already written")
    assert collector.notices("j7") == [FileNotice.APPEARED]
    announced = collector.items[0]
    assert (announced.notice, announced.lines, announced.first_line) == (
        FileNotice.APPEARED, [], 0)
    lines = [it for it in collector.items if it.lines][0]
    assert (lines.offset, lines.first_line) == (0, 0)
    append(path, b"third\n")
    wait_for(lambda: collector.lines("j7") == ["first", "second", "third"], "a line written later")
    assert collector.notices("j7") == [FileNotice.APPEARED]


def test_a_new_file_that_appears_later_is_announced_once(tmp_path, collector, follower):
    path = tmp_path / "worker-8.out"
    follower.follow(path, "j8", new=True)
    start = follower.stats.rounds
    wait_for(lambda: follower.stats.rounds >= start + 2, "the follower looking for the file")
    path.write_bytes(b"hello\n")
    wait_for(lambda: collector.lines("j8") == ["hello"], "the late file's line")
    assert collector.notices("j8") == [FileNotice.APPEARED]


def test_an_existing_file_not_declared_new_is_not_announced(tmp_path, collector, follower):
    path = tmp_path / "site.log"
    path.write_bytes(b"old\n")
    follower.follow(path, "s", from_end=False)
    wait_for(lambda: collector.lines("s") == ["old"], "the file's line")
    assert collector.notices("s") == []


def test_new_files_are_read_whole_so_initial_lines_is_refused(tmp_path, follower):
    with pytest.raises(ValueError, match="initial_lines"):
        follower.follow(tmp_path / "x.err", "x", new=True, initial_lines=5)


def test_the_session_announces_a_job_log_the_job_wrote_before_it_was_followed(tmp_path):
    # What the session does with each submitted job's log files (local backend's paths).
    events: list = []
    watchers = Watchers(JobTracker(), events.append, poll_queue=False)
    watchers.start("local")
    try:
        job = SimpleNamespace(job_name="hpctui-w", log_directory=str(tmp_path))
        (tmp_path / "hpctui-w-4242.err").write_text("Timed out trying to connect\n")
        watchers.follow("local", job, "4242")

        def err_events():
            return [e for e in list(events) if isinstance(e, LogLinesAppended)
                    and e.path.endswith(".err")]

        wait_until(lambda: any(e.lines for e in err_events()), "the .err file's line")
        assert [(e.notice, e.lines) for e in err_events()] == [
            ("appeared", ()), ("", ("Timed out trying to connect",))]
    finally:
        watchers.stop()
