"""Doctor's observation round: the workers run under the start-up watcher and the stack sampler.

`RoundObserver` is the round's `RoundSampler` (`doctor/stacks.py`) with the start-up watcher
(`hpctui/on_node/startwatch.py`) wired in front of the sampler, both writing into the round's
own directory, in memory only like the sampler. The watcher sees each worker process from
exec(), through `site` and the imports the sampler cannot see, and here, in a diagnostic round
only, may SIGABRT a process stuck in start-up for faulthandler's traceback (`ABORT_AFTER`).
`poll()` reads both kinds of file into `startup` (`StartupProcess` per worker process, what
`Signals.startup` takes); `conclusive()` says when what it saw already names the cause, so the
round need not wait for its time-out; `new_notes()` gives the timeline its lines; `run()` the
report's. No Textual here.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace

from hpctui.core.config.profile import Profile
from hpctui.core.doctor import stacks as ds
from hpctui.core.stacks import startwatch_wiring
from hpctui.core.stacks.startup_poll import StartupWatcher
from hpctui.core.stacks.startup_view import CONNECT, StartupProcess

# A process stuck this long in start-up gets SIGABRT (its traceback is the evidence). Below
# the round's usual time-out by far, above the 3 s that count as stuck.
ABORT_AFTER = 4.0
# Stuck this long with no traceback (the sampler sees its frames: an import that does not
# return) already says where the start-up goes: the round ends.
CONCLUSIVE_AFTER = 5.0
EARLY = ("in interpreter start-up", "importing", "in start-up")


@dataclass(frozen=True)
class StartupNote:
    """One worker process's start-up as the report shows it."""

    process: str
    phases: tuple[tuple[str, float, bool], ...]  # (name, seconds, finished)
    stuck: str | None  # StartupStuck.describe(), when stuck
    # (module, s, fs, file, mount point or None)
    slow_imports: tuple[tuple[str, float, str | None, str, str | None], ...]
    ended: str | None

    def lines(self) -> list[str]:
        phases = " · ".join(f"{n} {s:.1f} s" + ("" if done else "…") for n, s, done in self.phases)
        out = [f"      {self.process}: {phases or 'no phase seen'}"
               + (f" ({self.ended})" if self.ended else "")]
        if self.stuck:
            out.append(f"        {self.stuck}")
        if self.slow_imports:
            out.append("        slowest imports: " + "; ".join(
                f"{m} {s:.1f} s ({fs or '?'}{f' {point}' if point else ''})"
                for m, s, fs, _, point in self.slow_imports[:3]))
        return out


@dataclass(frozen=True)
class ObservedRun(ds.SamplerRun):
    """The sampler's part of a round plus each worker process's start-up."""

    startup: tuple[StartupNote, ...] = ()


def note_of(p: StartupProcess) -> StartupNote:
    """A `StartupProcess` as the report keeps it."""
    return StartupNote(
        p.label, tuple((ph.name, round(ph.seconds(p.now), 2), ph.end is not None)
                       for ph in p.phases),
        p.stuck.describe(p.label) if p.stuck else None,
        tuple((i.module, i.seconds, i.fs, i.file, i.mount.point if i.mount else None)
              for i in p.slow_imports), p.ended)


class RoundObserver(ds.RoundSampler):
    """The sampler of one round plus the start-up watcher; raises ValueError/OSError on setup."""

    def __init__(self, profile: Profile, tag: str, python: str = sys.executable,
                 abort_after: float | None = ABORT_AFTER) -> None:
        super().__init__(profile, tag, python)
        startwatch_wiring.install_watcher(self.place)
        self.profile = replace(self.profile, settings=startwatch_wiring.wire_watcher(
            dict(self.profile.settings), self.place, abort_after, python))
        self._startup = StartupWatcher(self.place.out_dir, self.since)
        self.startup: tuple[StartupProcess, ...] = ()
        self._told: set[tuple[str, str]] = set()

    def poll(self, now: float | None = None):
        """Read new samples and watcher records; the sampler's reports (`Signals.stacks`)."""
        reports = super().poll(now)
        self.startup = tuple(self._startup.poll(self._watcher.files()).values())
        return reports

    def mount_of(self, host: str, path: str):
        return self._startup.mount_of(host, path)

    def conclusive(self) -> str | None:
        """The stuck process that already explains the round, if any (its one line)."""
        for p in self.startup:
            st = p.stuck
            if st is not None and st.stage.startswith(EARLY) and (
                    st.dump is not None or st.seconds >= CONCLUSIVE_AFTER):
                return st.describe(p.label)
        return None

    def new_notes(self) -> list[str]:
        """Timeline lines not given yet: a process found stuck, a start-up that finished."""
        out = []
        for p in self.startup:
            if p.stuck is not None and p.stuck.stage.startswith(EARLY):
                key = (p.label, "stuck" if p.stuck.dump is None else "traceback")
                if key not in self._told:
                    self._told.add(key)
                    out.append(p.stuck.describe(p.label))
            # Connected: the connect phase ended before the process did (a process cancelled
            # while waiting has its last phase closed by its end, not by registering).
            done = [ph for ph in p.phases if ph.name in CONNECT and ph.end is not None
                    and ph.end < p.now]
            if done and (p.label, "phases") not in self._told:
                self._told.add((p.label, "phases"))
                out.append(f"{p.label} started: {p.phase_line()}")
        return out

    def run(self) -> ObservedRun:
        base = super().run()
        return ObservedRun(base.samples_dir, base.processes, base.found,
                           tuple(note_of(p) for p in self.startup))


def poll_to_timeline(sampler: ds.RoundSampler, timeline, seen: set, say):
    """Read new samples (the sampler's `Signals.stacks` reports); each newly found hang site
    and start-up line goes on the timeline once (`seen` holds the (process, site) told)."""
    try:
        reports = sampler.poll()
    except OSError as exc:  # a file vanishing mid-read: the next poll tries again
        say(f"stack samples unreadable: {exc}")
        return ()
    for note in ds.stack_notes(sampler.summaries):
        key = (note.process, note.site)
        if key not in seen:
            seen.add(key)
            timeline.add("sampler found", detail=note.describe())
    if isinstance(sampler, RoundObserver):
        for line in sampler.new_notes():
            timeline.add("start-up", detail=line)
    return reports
