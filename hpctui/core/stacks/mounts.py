"""Which mount of a compute node a file lives on, and whether that filesystem is shared.

A start-up that hangs or crawls in a file (a `.pth` line, an import) is a different problem on
a node-local disk than on an NFS, Lustre or GPFS mount that every worker reads at once. The
start-up watcher records the node's mount table (`hpctui/on_node/hpctui_procview.py`: from
/proc/self/mountinfo, else /proc/self/mounts); `mount_of(path, table)` finds the mount holding
a file (the longest mount point that contains it) and `Mount.describe()` words it as findings
quote it: "on nfs4 mount /home (fs01:/export/home)". Pure; no Textual here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Filesystems shared over a network: every worker reads the environment through them.
NETWORK_FS = frozenset({
    "nfs", "nfs4", "lustre", "gpfs", "beegfs", "cifs", "smb3", "smbfs", "ceph", "cephfs",
    "glusterfs", "panfs", "9p", "afs", "orangefs", "pvfs2", "wekafs", "virtiofs", "ncpfs"})
# FUSE filesystems are userspace, mostly network-backed (sshfs, s3fs, gcsfuse, glusterfs,
# weka, cvmfs); these few are local by nature.
LOCAL_FUSE = frozenset({"fuse.portal", "fuse.gvfsd-fuse", "fuse.lxcfs", "fuse.squashfuse",
                        "fuse.fuse-overlayfs", "fuse.bindfs"})


def is_shared(fstype: str | None) -> bool:
    """True for a network filesystem (nfs, nfs4, lustre, gpfs, beegfs, cifs, ...) or FUSE's."""
    if not fstype:
        return False
    return fstype in NETWORK_FS or (fstype.startswith("fuse.") and fstype not in LOCAL_FUSE)


@dataclass(frozen=True)
class Mount:
    """One line of the node's mount table."""

    point: str
    fstype: str
    source: str = ""

    @property
    def shared(self) -> bool:
        return is_shared(self.fstype)

    def describe(self) -> str:
        """`on nfs4 mount /home (fs01:/export/home)`; a local one without its device."""
        source = f" ({self.source})" if self.shared and self.source else ""
        return f"on {self.fstype} mount {self.point}{source}"


def mount_of(path: str | None, table: Iterable[tuple[str, str, str]]) -> Mount | None:
    """The mount holding `path`: the longest mount point containing it (table: (point, type,
    source) as the watcher records it, any order); None for a relative path or no table."""
    if not path or not path.startswith("/"):
        return None
    best = None
    for point, fstype, source in table:
        inside = path == point or path.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) > len(best[0])):
            best = (point, fstype, source)
    return Mount(*best) if best is not None else None
