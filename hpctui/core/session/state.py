"""What a cluster with its scheduler in a job leaves on disk, so hpctui can find it again.

With `scheduler-placement: job` the cluster outlives the hpctui that started it (quit with
"leave it running", an SSH drop). One JSON file per profile, keyed by the batch system and the
config file (`clusters/<kind>-<hash of the config path>.json` under hpctui's state directory,
`$HPCTUI_STATE_DIR` or ~/.local/state/hpctui), records the scheduler job and its file, the
worker jobs, the settings they were started with and who is attached now. Running `hpctui`
again on the same profile reads it and reattaches; `hpctui clusters` lists them all.

Writes are atomic (temp file, rename) and every read-modify-write holds an advisory lock on a
sibling `.lock` file, so two hpctui processes attached to one cluster never lose each other's
changes. A file whose jobs are all gone is stale: `hpctui clusters` says so and removes it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Iterator

VERSION = 1


def clusters_dir(base: str | os.PathLike | None = None) -> Path:
    from hpctui.core.batch.cleanup import state_dir

    return state_dir(base) / "clusters"


def cluster_key(kind: str, config_path: str | os.PathLike | None) -> str:
    """The name of a profile's cluster: its batch system and its config file."""
    where = os.path.realpath(os.path.expanduser(str(config_path))) if config_path else "(none)"
    return f"{kind}-{hashlib.sha256(where.encode()).hexdigest()[:12]}"


@dataclass(frozen=True)
class WorkerJob:
    """One worker job of the cluster: dask-jobqueue's spec name for it and its batch job."""

    job_id: str
    name: str  # the spec name ("SLURMCluster-3"); its workers are this or "<name>-<k>"
    job_name: str  # the batch job's name (log file names)


@dataclass(frozen=True)
class Attacher:
    """An hpctui session attached to the cluster now (its process, and a token of its own:
    one process may hold two sessions, as tests and benchmarks do)."""

    pid: int
    host: str
    since: float
    token: str = ""

    def alive(self) -> bool:
        """False only when it is on this host and its process is gone."""
        if self.host != socket.gethostname():
            return True  # another login node: cannot tell, so assume it is there
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


@dataclass(frozen=True)
class ClusterState:
    """One cluster whose scheduler runs in a job; see the module docstring."""

    key: str
    kind: str
    config_path: str
    scheduler_job_id: str
    scheduler_file: str
    preload: str
    scheduler_job_name: str
    log_directory: str | None
    idle_timeout: float
    settings: dict[str, Any]  # the `jobqueue.<kind>` settings it was started with
    distributed: dict[str, Any] = field(default_factory=dict)
    address: str = ""  # the scheduler's, once its file was read
    dashboard_link: str = ""
    tls_directory: str | None = None  # certificates (cert.pem, key.pem) when security is on
    workers: tuple[WorkerJob, ...] = ()
    workers_wanted: int = 0
    created: float = field(default_factory=time.time)
    attached: tuple[Attacher, ...] = ()
    version: int = VERSION

    @property
    def job_ids(self) -> tuple[str, ...]:
        """Every job of the cluster, the scheduler's first."""
        return (self.scheduler_job_id, *(w.job_id for w in self.workers))

    def others_attached(self, token: str = "") -> tuple[Attacher, ...]:
        """The live hpctui sessions attached besides the one holding `token` (none: all)."""
        return tuple(a for a in self.attached if not (token and a.token == token) and a.alive())

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True, default=str)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ClusterState":
        data = dict(data)
        if data.get("version") != VERSION:
            raise ValueError(f"state file version {data.get('version')!r}, expected {VERSION}")
        data["workers"] = tuple(WorkerJob(**w) for w in data.get("workers") or ())
        data["attached"] = tuple(Attacher(**a) for a in data.get("attached") or ())
        return cls(**data)


def path_for(key: str, base: str | os.PathLike | None = None) -> Path:
    return clusters_dir(base) / f"{key}.json"


@contextlib.contextmanager
def locked(key: str, base: str | os.PathLike | None = None) -> Iterator[Path]:
    """Hold the cluster's advisory lock; yields its state file's path."""
    path = path_for(key, base)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield path
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def read(path: str | os.PathLike) -> ClusterState | None:
    """The state in `path`, or None when it is missing; ValueError when it is unreadable."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return None
    try:
        return ClusterState.from_dict(json.loads(text))
    except (TypeError, KeyError, ValueError) as exc:
        raise ValueError(f"{path}: not a cluster state hpctui can read ({exc})") from None


def load(key: str, base: str | os.PathLike | None = None) -> ClusterState | None:
    return read(path_for(key, base))


def _write(path: Path, state: ClusterState) -> None:
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(state.to_json())
    os.replace(tmp, path)


def save(state: ClusterState, base: str | os.PathLike | None = None) -> None:
    """Write `state` whole (the caller made it from what it read under `locked`)."""
    with locked(state.key, base) as path:
        _write(path, state)


def update(key: str, change, base: str | os.PathLike | None = None) -> ClusterState | None:
    """Read, `change(state) -> state`, write, all under the lock; None when there is no state."""
    with locked(key, base) as path:
        state = read(path)
        if state is None:
            return None
        new = change(state)
        _write(path, new)
        return new


def attach_me(key: str, token: str, base: str | os.PathLike | None = None) -> ClusterState | None:
    """Record the session holding `token` as attached (dead attachers on this host dropped)."""
    me = Attacher(os.getpid(), socket.gethostname(), time.time(), token)
    return update(key, lambda s: replace(
        s, attached=tuple(a for a in s.attached if a.alive() and a.token != token) + (me,)),
        base)


def detach_me(key: str, token: str, base: str | os.PathLike | None = None) -> ClusterState | None:
    return update(key, lambda s: replace(
        s, attached=tuple(a for a in s.attached if a.token != token)), base)


def remove(key: str, base: str | os.PathLike | None = None) -> None:
    """Delete the state (the cluster is gone or cancelled)."""
    with locked(key, base) as path:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    with contextlib.suppress(FileNotFoundError):
        path.with_suffix(".lock").unlink()


def all_states(base: str | os.PathLike | None = None) -> list[tuple[Path, ClusterState | None, str]]:
    """Every state file: (path, state or None, why it could not be read)."""
    out = []
    d = clusters_dir(base)
    if not d.is_dir():
        return out
    for path in sorted(d.glob("*.json")):
        try:
            out.append((path, read(path), ""))
        except ValueError as exc:
            out.append((path, None, str(exc)))
    return out
