"""Finding a cluster left running, checking it is alive, cancelling it, and handing it off.

With `scheduler-placement: job` a cluster outlives hpctui (state.py records it). Here:
`find_cluster(kind, config)` is what `hpctui` (and `hpctui attach`) does at start: the
profile's recorded cluster, if its scheduler job is still in the queue; a record whose jobs are
gone is stale, reported and removed. `list_clusters()` is `hpctui clusters`; `cancel_cluster`
its `cancel`, which refuses while another hpctui is attached unless forced, so two processes
attached to one cluster never cancel it by accident. `handoff_code` is how a notebook or a
script uses the cluster hpctui got working. Blocking (one queue query each): call from a
worker thread or the command line, never from the UI's message pump.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hpctui.core.session import state as st

QUERY_TIMEOUT = 20.0


@dataclass(frozen=True)
class ClusterStatus:
    """A recorded cluster and what the queue says about its jobs now."""

    path: Path
    state: st.ClusterState | None  # None: the file could not be read (`problem` says why)
    alive: bool  # its scheduler job is pending or running
    job_states: dict[str, str]  # job id -> queue state ("RUNNING", "gone")
    problem: str = ""

    @property
    def running_workers(self) -> int:
        if self.state is None:
            return 0
        return sum(1 for w in self.state.workers if self.job_states.get(w.job_id) == "RUNNING")

    def describe(self) -> str:
        """One paragraph for `hpctui clusters`."""
        if self.state is None:
            return f"{self.path.stem}: unreadable ({self.problem})"
        s = self.state
        scheduler = self.job_states.get(s.scheduler_job_id, "gone")
        attached = ", ".join(f"pid {a.pid} on {a.host}" for a in s.attached if a.alive())
        lines = [f"{s.key}: {s.kind}, config {s.config_path or '(none)'}",
                 f"  scheduler job {s.scheduler_job_id} {scheduler}"
                 + (f" at {s.address}" if s.address else ""),
                 f"  workers: {self.running_workers} running of {len(s.workers)} job(s)",
                 f"  attached: {attached or 'nobody'}"]
        if s.dashboard_link:
            lines.append(f"  dashboard: {s.dashboard_link}")
        if self.alive:
            lines.append("  from Python:")
            lines += ["    " + line for line in handoff_code(s.scheduler_file,
                                                           s.tls_directory).splitlines()]
        return "\n".join(lines)


def query_jobs(kind: str, job_ids: tuple[str, ...]) -> dict[str, str] | None:
    """Job id -> normalized queue state ("gone" when the queue no longer lists it); None when
    the queue could not be asked (then nothing may be judged stale)."""
    from hpctui import schedulers
    from hpctui.core.batch.commands import run_command

    ids = tuple(j for j in job_ids if j)
    if not ids:
        return {}
    module = schedulers.get(kind)
    result = run_command(module.status_command(list(ids)), timeout=QUERY_TIMEOUT)
    if not result.ok and not (result.exit_code is not None and not result.timed_out
                              and module.means_no_jobs(result.exit_code, result.stdout,
                                                       result.stderr)):
        return None
    try:
        rows = {r.job_id: r for r in module.parse_status(result.stdout)}
    except ValueError:
        return None
    return {j: (rows[j].state.value if j in rows and not rows[j].state.is_final else "gone")
            for j in ids}


def status_of(path: Path, state: st.ClusterState | None, problem: str = "") -> ClusterStatus:
    if state is None:
        return ClusterStatus(path, None, False, {}, problem)
    states = query_jobs(state.kind, state.job_ids)
    if states is None:  # the queue did not answer: assume alive, judge nothing
        return ClusterStatus(path, state, True, {}, "the queue could not be asked")
    alive = states.get(state.scheduler_job_id, "gone") in ("PENDING", "RUNNING", "UNKNOWN")
    return ClusterStatus(path, state, alive, states)


def find_cluster(kind: str, config_path, base=None) -> tuple[st.ClusterState | None, str]:
    """The profile's running cluster to reattach to, and a line saying what was found
    (a stale record is removed, and said so)."""
    key = st.cluster_key(kind, config_path)
    try:
        state = st.load(key, base)
    except ValueError as exc:
        st.remove(key, base)
        return None, f"removed an unreadable cluster record: {exc}"
    if state is None:
        return None, ""
    status = status_of(st.path_for(key, base), state)
    if not status.alive:
        st.remove(key, base)
        return None, (f"the cluster left running earlier (scheduler job {state.scheduler_job_id}) "
                      "has ended: its jobs are gone, so its record was removed")
    return state, (f"reattaching to the cluster left running: scheduler job "
                   f"{state.scheduler_job_id}, {len(state.workers)} worker job(s)")


def list_clusters(base=None, remove_stale: bool = True) -> list[ClusterStatus]:
    """Every recorded cluster with its jobs' states; stale records removed (and listed)."""
    out = []
    for path, state, problem in st.all_states(base):
        status = status_of(path, state, problem)
        if remove_stale and state is not None and not status.alive:
            st.remove(state.key, base)
        out.append(status)
    return out


def cancel_cluster(state: st.ClusterState, force: bool = False, base=None):
    """Cancel every job of the cluster and remove its record; ValueError naming the attached
    hpctui processes when there are any and not `force`."""
    from hpctui.core.batch.cleanup import cancel_jobs_now

    others = state.others_attached()
    if others and not force:
        who = ", ".join(f"pid {a.pid} on {a.host}" for a in others)
        raise ValueError(f"cluster {state.key} is attached to by hpctui ({who}); quit it there "
                         "with q -> cancel, or use --force")
    result = cancel_jobs_now(state.kind, [j for j in state.job_ids if j])
    if result.ok:
        st.remove(state.key, base)
        for path in (state.scheduler_file, state.preload):
            try:
                os.unlink(path)
            except OSError:
                pass
    return result


def handoff_code(scheduler_file: str, tls_directory: str | None = None) -> str:
    """The Python that connects a notebook or a script to the cluster."""
    if not tls_directory:
        return ("from dask.distributed import Client\n"
                f"client = Client(scheduler_file={scheduler_file!r})")
    from hpctui.core.network.security import client_security_code

    return ("from dask.distributed import Client\n"
            "from distributed.security import Security\n"
            f"security = {client_security_code(tls_directory)}\n"
            f"client = Client(scheduler_file={scheduler_file!r}, security=security)")
