"""Which mount a file lives on and whether it is shared (`core/stacks/mounts.py`), on a
mountinfo table as the start-up watcher reads it (tests/fixtures/mounts, see its README), and
what the start-up view and the findings say with it, on start-ups recorded for real."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from hpctui.core.diagnosis.signals import Signals
from hpctui.core.diagnosis.startup_watch import startup_slow, startup_stuck
from hpctui.core.stacks.mounts import Mount, is_shared, mount_of
from hpctui.core.stacks.samples import read_sample_file, sample_files
from hpctui.core.stacks.startup_records import read_startup_file, startup_files
from hpctui.core.stacks.startup_view import startup_processes
from hpctui.on_node import hpctui_procview as pv

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TABLE = pv.mountinfo(str(FIXTURES / "mounts" / "mountinfo_cluster.txt"))


def test_mountinfo_is_parsed_with_optional_fields_and_escapes():
    by_point = {p: (t, s) for p, t, s in TABLE}
    assert by_point["/home"] == ("nfs4", "fs01.cluster:/export/home")
    assert by_point["/lus scratch"] == ("lustre", "10.1.0.5@o2ib:/scratch")
    assert by_point["/"] == ("ext4", "/dev/vda") and by_point["/tmp"][0] == "xfs"
    # Longest mount point first, as the watcher records it.
    assert [len(p) for p, _, _ in TABLE] == sorted((len(p) for p, _, _ in TABLE), reverse=True)


def test_this_machine_s_own_table_is_read():
    table = pv.mount_table()
    assert any(point == "/" for point, _, _ in table)
    assert pv.mountinfo("/nonexistent/mountinfo") == []


@pytest.mark.parametrize("path, expected", [
    ("/home/alice/env/lib/python3.11/site-packages/numpy/__init__.py",
     "on nfs4 mount /home (fs01.cluster:/export/home)"),
    ("/home/alice/remote/x.py", "on fuse.sshfs mount /home/alice/remote (alice@data:/srv)"),
    ("/apps/conda/lib/python3.11/site.py", "on nfs mount /apps (fs02.cluster:/export/apps)"),
    ("/lus scratch/env/x.pth", "on lustre mount /lus scratch (10.1.0.5@o2ib:/scratch)"),
    ("/gpfs/projects/p/env/x.py", "on gpfs mount /gpfs/projects (projects)"),
    ("/tmp/env/x.py", "on xfs mount /tmp"),
    ("/homeless/x.py", "on ext4 mount /"),
])
def test_the_mount_of_a_file_is_named_with_its_type_and_share(path, expected):
    assert mount_of(path, TABLE).describe() == expected


def test_shared_filesystems():
    for fs in ("nfs", "nfs4", "lustre", "gpfs", "beegfs", "cifs", "fuse.sshfs", "fuse.s3fs",
               "fuse.gcsfuse", "cephfs"):
        assert is_shared(fs), fs
    for fs in ("ext4", "xfs", "tmpfs", "overlay", "btrfs", "fuse.lxcfs", "", None):
        assert not is_shared(fs), fs
    assert mount_of("relative/x.py", TABLE) is None and mount_of("/x", []) is None


def _processes(name: str, table):
    d = FIXTURES / "startup" / name
    samples = {(f.host, f.pid): f for f in map(read_sample_file, sample_files(d))}
    [path] = startup_files(d)
    sf = read_startup_file(path)
    sf.mounts = list(table)
    return {p.label.split("(")[1].rstrip(")"): p for p in startup_processes(sf, samples)}


def _with_home_on(fs: str, file: str):
    """The cluster table plus the recorded environment's directory as a mount of type `fs`."""
    point = str(Path(file).parent)
    return [(point, fs, f"fs01.cluster:/export{point}")] + TABLE


def test_a_pth_hang_in_a_file_on_nfs4_says_so_in_the_line_and_the_finding():
    recorded = _processes("pth-sleep", TABLE)["main process"].stuck.where.file
    main = _processes("pth-sleep", _with_home_on("nfs4", recorded))["main process"]
    st = main.stuck
    assert st.file_mount == Mount(str(Path(recorded).parent), "nfs4",
                                  f"fs01.cluster:/export{Path(recorded).parent}")
    assert f"line 1 (`import time; time.sleep(3600)`) on nfs4 mount {Path(recorded).parent}" \
        in st.describe(main.label)
    [finding] = startup_stuck(Signals(startup=(main,)))
    assert f"`{recorded}` is on nfs4 mount {Path(recorded).parent}" in finding.explanation
    assert "a shared filesystem." in finding.explanation
    # The sleep is the cause, not NFS: no fix is guessed from the file's filesystem alone.
    assert finding.fix.ops == () and finding.fix.action is None


def test_a_hang_in_a_local_file_names_the_local_mount_and_no_share():
    main = _processes("pth-sleep", TABLE)["main process"]
    assert main.stuck.file_mount is not None and not main.stuck.file_mount.shared
    assert " mount " not in main.stuck.describe(main.label)  # the line names shared ones only
    [finding] = startup_stuck(Signals(startup=(main,)))
    assert f"{main.stuck.file_mount.describe()}, a local one." in finding.explanation


def test_slow_imports_name_their_mount_and_only_a_shared_one_gets_the_fix():
    worker = _processes("slow-import", TABLE)["worker process"]
    module = worker.slow_imports[0]
    # A node whose whole root is NFS (diskless nodes boot that way): every import is on it.
    on_nfs = _processes("slow-import", [("/", "nfs4", "fs01.cluster:/export/root")])[
        "worker process"]
    assert {i.mount.fstype for i in on_nfs.slow_imports} == {"nfs4"}
    # startup_slow needs a start-up of 20 s: the recorded one is stuck earlier, so judge a
    # copy that moved on (not stuck) with the same imports and a long phase.
    for proc, shared in ((on_nfs, True), (worker, False)):
        slow = replace(proc, stuck=None, now=proc.started + 20.5,
                       phases=tuple(replace(ph, end=None) if i == 0 else ph
                                    for i, ph in enumerate(proc.phases[:1])))
        [finding] = startup_slow(Signals(startup=(slow,)))
        quoted = finding.evidence[1].text
        assert f"({module.file} {slow.slow_imports[0].mount.describe()})" in quoted
        assert (finding.fix.action is not None) is shared, finding
        if shared:
            assert "read on nfs4 mount / (fs01.cluster:/export/root), a shared" \
                in finding.explanation
