"""Rules for a worker's start-up as the start-up watcher and the sampler saw it (mode 24).

Two findings, general rather than one per cause:
- a process stuck before the worker's own code runs (in ``site``: a ``.pth`` line,
  ``sitecustomize``; or in an import), with the file, line and code it executes and the call it
  is blocked in: "worker process stuck 12 s in interpreter start-up: executing `<file>` line N
  (`<code>`), blocked in `<syscall>` on `<path>`";
- a start-up that progresses but slowly, as time per phase with the slowest imports and the
  filesystem each was read from.
A fix is given only where one is known: the environment on a network filesystem (node-local or
packed copy). Otherwise the finding says what is stuck and where, and proposes nothing.
"""

from __future__ import annotations

from hpctui.core.diagnosis.finding import Evidence, Finding, Fix
from hpctui.core.diagnosis.signals import Signals
from hpctui.core.stacks.mounts import is_shared
from hpctui.core.stacks.startup_view import CONNECT, StartupProcess

MODE = 24
SLOW_STARTUP = 20.0  # seconds from exec to listening that count as slow (healthy: 1-4 s)
EARLY_STAGES = ("in interpreter start-up", "importing", "in start-up (no Python frames")
NODE_LOCAL_ENV = ("use a node-local or packed copy of the environment (conda-pack unpacked to "
                  "$TMPDIR, or a container image) and point `python` at it")

_WHY = {
    "pth": "At every start, before any of the worker's code, `site` executes the lines that start "
           "with `import` in each .pth file of site-packages; the process waits in this one.",
    "sitecustomize": "At every start `site` imports `sitecustomize`, before any of the worker's "
                     "code; the process waits in it.",
    "usercustomize": "At every start `site` imports `usercustomize` (from the user's site "
                     "directory), before any of the worker's code; the process waits in it.",
    "import": "Every worker process imports this module while it starts; the process waits in "
              "its top-level code.",
}


def _fs_network(fs: str | None) -> bool:
    return is_shared(fs)


def _frames_text(p: StartupProcess) -> str | None:
    dump = p.stuck.dump if p.stuck else None
    if dump is None:
        return None
    shown = []
    for f in dump.main_frames[:6]:
        src = f" ({f.source})" if f.source else ""
        shown.append(f"{f.file}:{f.line} in {f.function}{src}")
    return " <- ".join(shown)


def _stuck_evidence(p: StartupProcess) -> list[Evidence]:
    st = p.stuck
    ev = [Evidence(f"start-up watcher {p.label}", st.describe(p.label))]
    frames = _frames_text(p)
    if frames:
        ev.append(Evidence(f"faulthandler {p.label}", f"innermost first: {frames}"))
    if st.view is not None and st.view.files:
        ev.append(Evidence(f"open files {p.label}", ", ".join(
            f"{path} ({fs or '?'})" for _, path, fs in st.view.files[:6])))
    if st.where is not None and st.where.alternatives and st.dump is not None:
        ev.append(Evidence(f"faulthandler {p.label}",
                           "site was executing a .pth line; Python 3.13+ closes the file first, "
                           "so these are the lines it can be"))
    if p.denied:
        ev.append(Evidence(f"start-up watcher {p.label}", "could not read " + "; ".join(p.denied)))
    return ev


def startup_stuck(s: Signals) -> list[Finding]:
    """A worker process stuck before its own code runs: what it executes, what it waits on."""
    findings = []
    for p in s.startup:
        st = p.stuck
        if st is None or not st.stage.startswith(EARLY_STAGES):
            continue
        kind = st.where.kind if st.where is not None else None
        call = st.view.call if st.view is not None else None
        fix = Fix()
        explanation = _WHY.get(kind or "", "The process has neither used CPU nor moved on for "
                               "that long while starting, before the worker's own code ran.")
        mount = st.file_mount
        if mount is not None and st.where is not None and not st.where.alternatives:
            # Where the file it executes lives: a hang on a shared mount (a hung NFS server)
            # reads differently from one on the node's own disk.
            explanation += (f" `{st.where.file}` is {mount.describe()}"
                            + (", a shared filesystem." if mount.shared else ", a local one."))
        if call is not None and _fs_network(call.fs):
            fix = Fix((), NODE_LOCAL_ENV)
            explanation += (f" It waits on {call.path}, on a {call.fs} network filesystem that "
                            "every worker reads at once.")
        else:
            explanation += (" The cause is in the workers' environment, not in a setting hpctui "
                            "can change, so no fix is proposed.")
        findings.append(Finding(
            "startup-stuck", MODE, f"Worker process stuck {st.stage}",
            f"{st.describe(p.label)}. {explanation}",
            tuple(_stuck_evidence(p)), 0.95 if st.dump is not None else 0.85, fix))
    return findings


def _startup_seconds(p: StartupProcess) -> float:
    ends = [ph for ph in p.phases if ph.name not in CONNECT]
    return sum(ph.seconds(p.now) for ph in ends)


def startup_slow(s: Signals) -> list[Finding]:
    """A start-up that moves, slowly: time per phase, the slowest imports, their filesystem."""
    findings = []
    for p in s.startup:
        if p.stuck is not None or _startup_seconds(p) < SLOW_STARTUP:
            continue
        total = _startup_seconds(p)
        imports = "; ".join(f"`{i.module}` {i.seconds:.1f} s ({i.file} "
                            f"{i.mount.describe() if i.mount else 'on an unknown filesystem'})"
                            for i in p.slow_imports[:3])
        evidence = [Evidence(f"start-up {p.label}", p.phase_line())]
        if imports:
            evidence.append(Evidence(f"slowest imports {p.label}", imports))
        remote = [i for i in p.slow_imports if _fs_network(i.fs)]
        remote_time = sum(i.seconds for i in remote)
        if remote and remote_time >= total / 3:
            fix = Fix((), NODE_LOCAL_ENV)
            on = remote[0].mount.describe() if remote[0].mount else f"on {remote[0].fs}"
            why = (f"{remote_time:.0f} s of it went to imports read {on}, a shared filesystem "
                   "every worker reads at once.")
        else:
            fix = Fix()
            why = ("The slowest parts are listed; they are not on a network filesystem, so no "
                   "fix is proposed.")
        findings.append(Finding(
            "startup-slow", MODE, f"Worker start-up is slow: {total:.0f} s",
            f"{p.label} took {total:.0f} s to start ({p.phase_line()}). {why}",
            tuple(evidence), 0.6, fix))
    return findings


RULES = (startup_stuck, startup_slow)
