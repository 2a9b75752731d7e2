"""The stack sampler in `hpctui doctor`: when a round runs its workers under it, and what it found.

A round whose workers did not connect, with no configuration fix and nothing that explains
why (after the network probe, when it ran), is followed by a round that submits the same
profile with the workers started under the main-thread sampler (`hpctui/on_node/sampler.py`,
wired into the `python` setting by `sampler_wiring`). That profile exists in memory only:
the sampler is a diagnostic, not a fix, so it is never written to the config file, and a fix
found under it is applied to the profile without it.

`next_step(round, best_fix, mode)` is the decision, pure. `RoundSampler` does the work of one
sampled round: copies the sampler next to the logs, wires a per-round samples directory into
the profile (so old runs' files and parallel runs never mix in), and polls the files into the
`StackReport`s that `Signals.stacks` takes. No Textual here.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace
from typing import Protocol

from hpctui.core.stacks import hangsites, sampler_wiring
from hpctui.core.diagnosis.finding import Evidence, Finding
from hpctui.core.diagnosis.signals import StackReport
from hpctui.core.config.profile import Profile
from hpctui.core.stacks.samples import StacksSummary
from hpctui.core.stacks.poll import StacksWatcher, stack_reports

SAMPLE_AUTO = "auto"  # a round runs under the sampler when the one before failed unexplained
SAMPLE_ALWAYS = "always"  # --sample: every round
SAMPLE_NEVER = "never"  # --no-sample
SAMPLE_MODES = (SAMPLE_AUTO, SAMPLE_ALWAYS, SAMPLE_NEVER)

# The seed's hung worker sits on one frame for ever; a healthy one moves within a second or
# two. 5 s separates them without making the round much longer than the hang's onset.
STUCK_AFTER = 5.0
WINDOW = 30.0  # seconds of samples the hot stacks are counted over
RATE = sampler_wiring.DEFAULT_RATE
HOT_FRAMES = 8  # innermost frames of the hottest stack quoted (locket under diskutils under Worker)
# A finding at least this sure, with no configuration fix, already says why the workers did
# not connect (a locked-down login node the probe proved): sampling them would add nothing.
EXPLAINED = 0.8


class RoundOutcome(Protocol):
    """What `next_step` reads of a finished round (`doctor.types.Round` has it)."""

    @property
    def connected(self) -> bool: ...
    @property
    def workers_connected(self) -> int: ...
    @property
    def sampled(self) -> bool: ...
    @property
    def jobs_ran(self) -> int: ...
    @property
    def findings(self) -> tuple[Finding, ...]: ...


@dataclass(frozen=True)
class NextStep:
    """What doctor does after a round: `done`, `fix` (apply the best fix), `sample`, or `stop`."""

    action: str
    sampled: bool  # the next round (if any) runs its workers under the sampler
    reason: str
    note: str | None = None  # for the report: why the sampler could not help when it would have


def first_round_sampled(mode: str) -> bool:
    """True when the first round already runs under the sampler (`--sample`)."""
    return mode == SAMPLE_ALWAYS


def next_step(rnd: RoundOutcome, best: Finding | None, mode: str,
              no_place: str | None = None) -> NextStep:
    """The decision after a round, from what it saw.

    `best` is the round's best configuration fix (None: none changes the profile);
    `no_place` says why the profile has no place for the sampler (`can_sample`), None if it has.
    """
    if rnd.connected:
        return NextStep("done", False, f"{rnd.workers_connected} worker(s) connected")
    if best is not None:
        return NextStep("fix", mode == SAMPLE_ALWAYS, f"apply {best.fix.describe()}")
    stop = "no configuration fix left"
    if mode != SAMPLE_AUTO or rnd.sampled:
        return NextStep("stop", False, stop)
    if rnd.jobs_ran == 0:
        # Nothing ran (refused, or still pending): there is no worker process to sample.
        return NextStep("stop", False, stop)
    # A sure finding whose fix is an action (run elsewhere) explains the failure; one whose
    # configuration fix is already in the profile (`best` would have it otherwise) does not.
    sure = [f for f in rnd.findings if f.confidence >= EXPLAINED and not f.fix.ops]
    if sure:
        return NextStep("stop", False, f"{stop} ({sure[0].title})")
    if no_place:
        return NextStep("stop", False, stop,
                        f"the stack sampler could not look at the workers: {no_place}")
    return NextStep("sample", True, "no worker connected and nothing says why: the next round "
                                    "runs the workers under the stack sampler (in memory only, "
                                    "never written to the config file)")


@dataclass(frozen=True)
class StackNote:
    """What the sampler found in one process during a round."""

    process: str  # "cn01 1234 (worker process)"
    site: str  # hangsites' id: "file-lock", "scratch-dir", "stuck", ...
    title: str
    frame: str | None  # "locket/__init__.py:_lock_file:58": the frame that matched
    seconds: float
    stuck: bool  # True: on the same frames all that time; False: the hottest stack only
    hot_frames: tuple[str, ...]  # the hottest stack of the window, innermost frame first
    hot_share: float  # the share of the window's samples that stack had

    def describe(self) -> str:
        """`cn01 1234 (worker process) stuck 8 s in locket/__init__.py:_lock_file:58 (file-lock)`."""
        where = f" in {self.frame}" if self.frame else ""
        return (f"{self.process} {'stuck' if self.stuck else 'slow'} {self.seconds:.0f} s"
                f"{where} ({self.site})")


@dataclass(frozen=True)
class SamplerRun:
    """The sampler's part of one round, for the report."""

    samples_dir: str
    processes: int  # sampled processes that wrote samples
    found: tuple[StackNote, ...]


def _hot_frames(summary: StacksSummary) -> tuple[tuple[str, ...], float]:
    if not summary.hot:
        return (), 0.0
    top = summary.hot[0]
    return tuple(fr.short() for fr in reversed(top.stack[-HOT_FRAMES:])), top.share


def stack_notes(summaries: dict[str, StacksSummary]) -> tuple[StackNote, ...]:
    """One note per (process, hang site) the analysis reports."""
    notes = []
    for label, summary in sorted(summaries.items()):
        hot, share = _hot_frames(summary)
        for f in hangsites.diagnose(summary):
            notes.append(StackNote(label, f.site, f.title,
                                   f.evidence.short() if f.evidence is not None else None,
                                   round(f.seconds, 1), summary.stuck is not None, hot,
                                   round(share, 3)))
    return tuple(notes)


def with_hot_frames(findings, summaries: dict[str, StacksSummary]) -> tuple[Finding, ...]:
    """The findings with each sampled process's hottest frames added to their evidence.

    The rules quote the frame that matched; the frames around it (who called the lock, how
    much of the window it took) are what a reader checks the verdict against.
    """
    out = []
    for f in findings:
        extra = []
        for ev in f.evidence:
            label = ev.source[len("stack "):] if ev.source.startswith("stack ") else None
            summary = summaries.get(label) if label else None
            hot, share = _hot_frames(summary) if summary is not None else ((), 0.0)
            source = f"hot stack {label}"
            if hot and all(e.source != source for e in extra):
                extra.append(Evidence(source, f"{share:.0%} of {summary.window_seconds:.0f} s: "
                                              + " <- ".join(hot)))
        out.append(replace(f, evidence=f.evidence + tuple(extra)) if extra else f)
    return tuple(out)


def can_sample(profile: Profile) -> str | None:
    """None when the profile has a place for the sampler; else why not (names the key)."""
    try:
        sampler_wiring.placement_for(dict(profile.settings))
    except ValueError as exc:
        return str(exc)
    return None


class RoundSampler:
    """The sampler for one round: install, wire, poll. Raises ValueError/OSError on setup."""

    def __init__(self, profile: Profile, tag: str, python: str = sys.executable) -> None:
        settings = dict(profile.settings)
        base = sampler_wiring.placement_for(settings)
        self.since = 0.0
        if sampler_wiring.is_wired(settings):
            # The user's own profile runs the sampler already: keep it (rewiring would change
            # what --fix writes) and read its directory, only the files this round started.
            self.place = base
            self.since = time.time() - 1.0
            self.profile = profile
        else:
            self.place = sampler_wiring.SamplerPlacement(base.sampler_path, base.out_dir / tag)
            self.profile = replace(profile, settings=sampler_wiring.wire_sampler(
                settings, self.place, RATE, python))
        sampler_wiring.install_sampler(self.place)
        self._watcher = StacksWatcher(self.place.out_dir, WINDOW, STUCK_AFTER)
        self.summaries: dict[str, StacksSummary] = {}

    def poll(self, now: float | None = None) -> tuple[StackReport, ...]:
        """Read the new samples; the hang sites found so far, as `Signals.stacks` takes them."""
        found = self._watcher.poll(time.time() if now is None else now)
        self.summaries = {k: s for k, s in found.items() if s.file.started >= self.since}
        return tuple(stack_reports(self.summaries, self.mount_of))

    def mount_of(self, host: str, path: str):
        """The mount holding `path` on `host`; the sampler alone does not know (the start-up
        watcher's round does: `observe.RoundObserver`)."""
        return None

    def run(self) -> SamplerRun:
        """What the round's sampling amounted to."""
        return SamplerRun(str(self.place.out_dir), len(self.summaries),
                          stack_notes(self.summaries))
