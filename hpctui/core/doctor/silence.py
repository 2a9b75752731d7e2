"""When doctor stops waiting on a silent round and starts the observation round at once.

A worker that hangs before it says anything (a held file lock, an import that never returns,
a `.pth` that blocks) writes no log line until distributed's own time-out, and a round without
the sampler sees nothing of it: waiting for the round's time-out only delays the round that
can look (`doctor/observe.py`: the start-up watcher and the stack sampler). So a round ends as
soon as a job has been RUNNING with no worker connected and its logs have been silent for
`after` seconds, provided nothing else is still on its way to an answer: the network probe,
where it runs, has given its verdict (an unreachable scheduler is named by that, not by a
sampler), and no finding with a fix is pending. The round's ending states only what was seen
(which job, how long running, how long silent); it claims no cause. `silent_job` is the
decision, pure: it reads the collector's `QuietJob`s.
"""

from __future__ import annotations

from dataclasses import dataclass

from hpctui.core.diagnosis.signals import QuietJob

# A healthy worker on the testbed says "Start worker" within ~1 s of RUNNING and the probe's
# verdict arrives at ~4 s; 6 s of silence after both separates a hang from a slow start-up
# on a loaded machine without costing much. A slow-but-healthy start is not lost: the
# observation round shows its phases and connects.
SILENT_AFTER = 6.0


@dataclass(frozen=True)
class Silence:
    """The job that made a round end for observation, and what was seen of it."""

    job_id: str
    running_for: float
    silent_for: float
    log_lines: int
    last_line: str | None

    def describe(self) -> str:
        """`job 17 RUNNING 7 s, no worker connected, logs silent 6 s (last line: "...")`."""
        said = (f"logs silent {self.silent_for:.0f} s (last line: {self.last_line!r})"
                if self.log_lines else "no log line at all")
        return (f"job {self.job_id} RUNNING {self.running_for:.0f} s, no worker connected, "
                f"{said}")


def silent_job(quiet: tuple[QuietJob, ...], after: float | None, *,
               probe_pending: bool, connected: int | None) -> Silence | None:
    """The first job running and silent for `after` seconds with no worker, or None.

    `quiet` is `SignalCollector.signals(quiet_after=0).quiet_jobs` (every job running with no
    worker); `probe_pending` is True while the network probe may still answer for this round;
    `connected` counts the cluster's workers (any worker answers "can they connect")."""
    if after is None or probe_pending or connected:
        return None
    for q in quiet:
        silent = q.running_for if q.silent_for is None else min(q.silent_for, q.running_for)
        if q.running_for >= after and silent >= after:
            return Silence(q.job_id, q.running_for, silent, q.log_lines, q.last_line)
    return None
