"""Known hang sites -> findings and fixes, on recorded sample files and small hand-made stacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from hpctui.core.stacks.hangsites import (
    FILE_LOCKING_OFF, LOCAL_DIRECTORY_TMPDIR, Fix, apply_fix, diagnose,
)
from hpctui.core.config.profile import Profile
from hpctui.core.stacks.samples import Frame, Sample, SampleFile, read_sample_file, summarize

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "stacks"
SP = "/env/lib/python3.11/site-packages/"
STD = "/env/lib/python3.11/"


def _file(stack: list[Frame], seconds: float, rate: float = 10.0) -> SampleFile:
    f = SampleFile(Path("/x/n-1.stacks"), host="n", pid=1, rate=rate, started=1000.0)
    n = int(seconds * rate) + 1
    f.samples = [Sample(1000.0 + i / rate, tuple(stack)) for i in range(n)]
    return f


def test_recorded_lock_hang_gives_file_locking_and_local_directory_fixes():
    f = read_sample_file(FIXTURES / "lock-worker.stacks")
    (finding,) = diagnose(summarize(f, window=30, stuck_after=10))
    assert finding.site == "file-lock" and finding.failure_mode == 15
    assert finding.seconds > 13
    assert finding.evidence.short() == "locket/__init__.py:_lock_file_blocking:52"
    assert "locket/__init__.py:_lock_file_blocking:52" in finding.message
    assert "use-file-locking" in finding.message
    assert finding.fixes == (FILE_LOCKING_OFF, LOCAL_DIRECTORY_TMPDIR)
    assert FILE_LOCKING_OFF.patch == {"distributed.worker.use-file-locking": False}
    assert LOCAL_DIRECTORY_TMPDIR.patch == {"local-directory": "$TMPDIR"}


@pytest.mark.parametrize("name", ["healthy-worker", "healthy-nanny", "lock-nanny"])
def test_recorded_healthy_processes_have_no_findings(name):
    f = read_sample_file(FIXTURES / f"{name}.stacks")
    assert diagnose(summarize(f, window=30, stuck_after=3, now=f.samples[-1].time + 30)) == []


def test_recorded_slow_imports():
    f = read_sample_file(FIXTURES / "slow-imports.stacks")
    (finding,) = diagnose(summarize(f, window=30, stuck_after=3))
    assert finding.site == "slow-imports"
    assert finding.seconds > 10
    assert finding.fixes[0].is_advice_only


def test_recorded_slow_imports_say_which_filesystem_they_crawl_on():
    from hpctui.core.stacks.mounts import Mount

    f = read_sample_file(FIXTURES / "slow-imports.stacks")
    summary = summarize(f, window=30, stuck_after=3)
    (nfs,) = diagnose(summary, mount_of=lambda path: Mount("/home", "nfs4", "fs01:/export/home"))
    assert nfs.title == "imports crawling on nfs4" and nfs.evidence is not None
    assert f"most of it in `{nfs.evidence.filename}`, on nfs4 mount /home (fs01:/export/home): a " \
           "shared filesystem" in nfs.message
    assert nfs.fixes[0].is_advice_only
    # On the node's own disk a node-local environment would change nothing: no fix.
    (local,) = diagnose(summary, mount_of=lambda path: Mount("/", "ext4", "/dev/sda1"))
    assert local.title == "imports slow on a local filesystem" and local.fixes == ()
    assert "on ext4 mount /: a local filesystem" in local.message


def test_short_lock_wait_is_not_yet_a_finding():
    f = read_sample_file(FIXTURES / "lock-worker.stacks")
    f.samples = f.samples[:25]  # the first 2.5 s: imports and start-up
    assert diagnose(summarize(f, window=30, stuck_after=5)) == []


def test_slow_rmtree_under_diskutils_is_scratch_dir_not_lock():
    stack = [Frame(SP + "distributed/core.py", "__init__", 257),
             Frame(SP + "distributed/diskutils.py", "_purge_directory", 220),
             Frame(STD + "shutil.py", "rmtree", 738)]
    (finding,) = diagnose(summarize(_file(stack, 8), stuck_after=5))
    assert finding.site == "scratch-dir" and finding.failure_mode == 14
    assert finding.evidence.function == "rmtree"
    assert finding.fixes == (LOCAL_DIRECTORY_TMPDIR,)


def test_blocking_getaddrinfo_is_network_wait():
    stack = [Frame(SP + "distributed/utils.py", "get_ip", 190),
             Frame(STD + "socket.py", "getaddrinfo", 962)]
    (finding,) = diagnose(summarize(_file(stack, 6), stuck_after=5))
    assert finding.site == "network-wait" and finding.failure_mode == 1
    assert "interface" in finding.message
    assert finding.fixes[0].is_advice_only


def test_unknown_stuck_place_is_reported_without_a_fix():
    stack = [Frame("/home/u/job.py", "<module>", 3), Frame("/home/u/job.py", "spin_forever", 9)]
    (finding,) = diagnose(summarize(_file(stack, 7), stuck_after=5))
    assert finding.site == "stuck" and finding.fixes == ()
    assert "/home/u/job.py:spin_forever:9" in finding.message and "7 s" in finding.message


def test_slow_but_moving_lock_is_reported_from_the_hot_stack():
    lock = [Frame(SP + "distributed/diskutils.py", "__init__", 62),
            Frame(SP + "locket/__init__.py", "_lock_file_blocking", 52)]
    other = [Frame(SP + "distributed/worker.py", "__init__", 700)]
    f = _file(lock, 20)
    # Every fifth sample elsewhere: never stuck 5 s in a row, but 80% of the time in the lock.
    f.samples = [Sample(s.time, tuple(other)) if i % 5 == 0 else s for i, s in enumerate(f.samples)]
    (finding,) = diagnose(summarize(f, window=30, stuck_after=5))
    assert finding.site == "file-lock" and "slow" in finding.title
    assert "80%" in finding.message


def test_apply_fix_patches_profile_and_appends_prologue_once():
    p = Profile("slurm", {"cores": 1, "job-script-prologue": ["module load x"]})
    q = apply_fix(p, FILE_LOCKING_OFF)
    assert q.distributed == {"worker.use-file-locking": False}
    assert q.settings["job-script-prologue"] == [
        "module load x", "export DASK_DISTRIBUTED__WORKER__USE_FILE_LOCKING=False"]
    assert apply_fix(q, FILE_LOCKING_OFF) == q
    assert apply_fix(p, LOCAL_DIRECTORY_TMPDIR).settings["local-directory"] == "$TMPDIR"
    assert p.settings == {"cores": 1, "job-script-prologue": ["module load x"]}  # unchanged


def test_apply_fix_with_unknown_key_names_it():
    with pytest.raises(ValueError, match="distributed.worker.bogus"):
        apply_fix(Profile("slurm", {}), Fix("x", patch={"distributed.worker.bogus": 1}))
