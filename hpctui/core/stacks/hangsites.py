"""Known places where Dask workers hang or crawl, found in sampled stacks, with their fixes.

Input is a ``StacksSummary`` (hpctui/core/stacks/samples.py) of one sampled process; output is a list
of ``Finding``s. Each finding carries its fixes as plain data: a profile patch
(``{"distributed.worker.use-file-locking": False}``, ``{"local-directory": "$TMPDIR"}``, keys
as ``Profile.with_setting`` takes them) and/or lines to append to ``job-script-prologue``
(the way to reach the worker's own Dask config on the compute node, whatever config files the
node has). ``apply_fix(profile, fix)`` returns the patched profile for preview -> write -> apply.

The sites come from docs/failure-modes (copied from the project's failure-mode catalogue):
#15 workspace file locks on NFS (``locket`` / ``distributed/diskutils.py``, the seed's case),
#14 scratch directories on a network file system, imports crawling through a network file
system (the seed's slow start-up), blocking name resolution / connects (#1, #4), GPU
diagnostics initialisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from hpctui.core.config.profile import Profile
from hpctui.core.stacks.mounts import Mount
from hpctui.core.stacks.samples import Frame, StacksSummary

NODE_LOCAL_LABEL = "use a Python environment on node-local disk (set python)"

# A window must be at least this long before "most samples in importlib" means anything.
IMPORT_MIN_SECONDS = 10.0
IMPORT_MIN_SHARE = 0.5
# A site that is not stuck but holds this share of the window's samples is still reported:
# slow NFS locks make progress, just very slowly.
HOT_MIN_SHARE = 0.6


@dataclass(frozen=True)
class Fix:
    """One way out, as data: apply it with ``apply_fix``; ``label`` is what the key binding says."""

    label: str
    # Keys as Profile.with_setting takes them: "distributed.worker.use-file-locking",
    # "local-directory", ...
    patch: dict[str, Any] = field(default_factory=dict)
    # Lines appended to job-script-prologue (skipped when already there).
    prologue: tuple[str, ...] = ()

    @property
    def is_advice_only(self) -> bool:
        """True when the fix is something the user must do outside the profile."""
        return not self.patch and not self.prologue


@dataclass(frozen=True)
class Finding:
    """What the stacks of one process say, why, and the fixes."""

    site: str  # stable id: "file-lock", "scratch-dir", "slow-imports", "network-wait", "nvml", "stuck"
    failure_mode: int | None  # number in hpctui's failure-mode catalogue, when there is one
    title: str
    message: str
    seconds: float  # how long the evidence covers
    evidence: Frame | None  # the frame that matched
    fixes: tuple[Fix, ...] = ()


FILE_LOCKING_OFF = Fix(
    "turn off worker file locking",
    patch={"distributed.worker.use-file-locking": False},
    prologue=("export DASK_DISTRIBUTED__WORKER__USE_FILE_LOCKING=False",),
)
LOCAL_DIRECTORY_TMPDIR = Fix("put the worker's local directory on node-local disk ($TMPDIR)",
                             patch={"local-directory": "$TMPDIR"})
NVML_OFF = Fix("turn off GPU diagnostics", prologue=("export DASK_DISTRIBUTED__DIAGNOSTICS__NVML=False",))


def _file_has(*parts: str) -> Callable[[Frame], bool]:
    return lambda fr: any(p in fr.filename.replace("\\", "/") for p in parts)


def _frame_is(file_part: str, *functions: str) -> Callable[[Frame], bool]:
    return lambda fr: file_part in fr.filename and (not functions or fr.function in functions)


@dataclass(frozen=True)
class _Site:
    site: str
    failure_mode: int | None
    title: str
    # {where} is the matched frame, {seconds} how long.
    message: str
    match: Callable[[Frame], bool]
    fixes: tuple[Fix, ...]


# The innermost frame that matches any site decides (locket's frames sit inside diskutils'
# so a lock wait is "file-lock", a slow rmtree called from diskutils is "scratch-dir").
SITES: tuple[_Site, ...] = (
    _Site("file-lock", 15, "worker stuck taking a file lock",
          "The worker has waited {seconds:.0f} s in {where}: taking the workspace file lock in its "
          "local directory. File locks on network file systems (NFS, Lustre, GPFS) are slow or "
          "hang (distributed#2113, #1707). Turn off distributed.worker.use-file-locking, or put "
          "local-directory on node-local disk.",
          _file_has("/locket/", "/locket.py"),
          (FILE_LOCKING_OFF, LOCAL_DIRECTORY_TMPDIR)),
    _Site("scratch-dir", 14, "worker slow creating or purging its scratch directory",
          "The worker has spent {seconds:.0f} s in {where} on its scratch space. A local directory "
          "on a network file system makes every worker start slowly ('Creating scratch "
          "directories is taking a surprisingly long time'). Put local-directory on node-local disk.",
          lambda fr: "distributed/diskutils.py" in fr.filename
          or (fr.function in ("rmtree", "_rmtree_safe_fd", "makedirs", "mkdtemp")
              and fr.filename.endswith(("shutil.py", "os.py", "tempfile.py"))),
          (LOCAL_DIRECTORY_TMPDIR,)),
    _Site("nvml", None, "worker stuck initialising GPU diagnostics",
          "The worker has waited {seconds:.0f} s in {where} (NVML, GPU monitoring). Turn off "
          "distributed.diagnostics.nvml for the workers.",
          _file_has("pynvml", "distributed/diagnostics/nvml.py"),
          (NVML_OFF,)),
    _Site("network-wait", 1, "worker waiting on the network",
          "The worker has waited {seconds:.0f} s in {where}: a blocking name lookup or connect. "
          "The address it tries is not reachable from the compute node: set interface to the "
          "network the nodes share (run the network probe).",
          lambda fr: fr.filename.endswith("socket.py") and fr.function in
          ("getaddrinfo", "create_connection", "connect", "gethostbyname", "getfqdn"),
          (Fix("set interface (run the network probe to choose it)"),)),
)


def _where(frame: Frame) -> str:
    return frame.short()


def _match_site(stack: tuple[Frame, ...]) -> tuple[_Site, Frame] | None:
    for fr in reversed(stack):
        for site in SITES:
            if site.match(fr):
                return site, fr
    return None


def diagnose(summary: StacksSummary, hot_min_seconds: float = 10.0,
             mount_of: Callable[[str], Mount | None] | None = None) -> list[Finding]:
    """The findings for one sampled process (empty when nothing looks wrong).

    A stuck process is judged by its stuck frames; one that moves is judged by its hottest
    stack, once that stack covers ``hot_min_seconds`` of the window (a second of samples
    says nothing about slowness). ``mount_of`` (a path -> the node's mount holding it, from
    the start-up watcher's mount table) lets slow imports say which filesystem they crawl on.
    """
    findings: list[Finding] = []
    if summary.stuck is not None:
        st = summary.stuck
        hit = _match_site(st.sample.stack)
        if hit is not None:
            site, frame = hit
            findings.append(Finding(site.site, site.failure_mode, site.title,
                                    site.message.format(where=_where(frame), seconds=st.seconds),
                                    st.seconds, frame, site.fixes))
        else:
            inner = st.sample.innermost
            findings.append(Finding(
                "stuck", None, "process stuck in one place",
                f"The main thread has been in {_where(inner) if inner else '?'} for "
                f"{st.seconds:.0f} s ({st.count} samples); this is not a known hang site.",
                st.seconds, inner))
    elif summary.hot:
        top = summary.hot[0]
        hit = _match_site(top.stack)
        seconds = summary.window_seconds * top.share
        if hit is not None and top.share >= HOT_MIN_SHARE and seconds >= hot_min_seconds:
            site, frame = hit
            findings.append(Finding(site.site, site.failure_mode, site.title.replace("stuck", "slow"),
                                    site.message.format(where=_where(frame), seconds=seconds)
                                    + f" ({top.share:.0%} of the last {summary.window_seconds:.0f} s.)",
                                    seconds, frame, site.fixes))
    if (summary.import_share >= IMPORT_MIN_SHARE and summary.window_seconds >= IMPORT_MIN_SECONDS
            and not any(f.site in ("file-lock", "nvml") for f in findings)):
        seconds = summary.import_share * summary.window_seconds
        findings.append(_slow_imports(summary, seconds, mount_of))
    return findings


def _slow_imports(summary: StacksSummary, seconds: float,
                  mount_of: Callable[[str], Mount | None] | None) -> Finding:
    """Imports taking most of the window: where the module read most lives decides the advice.
    On a shared filesystem (nfs, lustre, gpfs, fuse.*...) every worker reads the same thousands
    of files at once: a node-local environment helps. On a local one it would not: say so."""
    share = (f"{summary.import_share:.0%} of the last {summary.window_seconds:.0f} s went to "
             "importing modules")
    top = summary.hot[0].stack if summary.hot else ()
    frame = _top_import(top)
    mount = mount_of(frame.filename) if (frame is not None and mount_of is not None) else None
    if mount is None:
        return Finding("slow-imports", None, "imports crawling",
                       f"{share}. Python environments on a network file system make every worker "
                       "read thousands of small files at start-up: use an environment on "
                       "node-local disk or a container image, or import less at start-up.",
                       seconds, frame, (Fix(NODE_LOCAL_LABEL),))
    read = f"{share}, most of it in `{frame.filename}`, {mount.describe()}"
    if mount.shared:
        return Finding("slow-imports", None, f"imports crawling on {mount.fstype}",
                       f"{read}: a shared filesystem every worker reads at once, thousands of "
                       "small files each. Use an environment on node-local disk or a container "
                       "image, or import less at start-up.", seconds, frame,
                       (Fix(NODE_LOCAL_LABEL),))
    return Finding("slow-imports", None, "imports slow on a local filesystem",
                   f"{read}: a local filesystem, so moving the environment would not help; the "
                   "imports themselves take the time (import less at start-up).", seconds, frame)


def _top_import(stack: tuple[Frame, ...]) -> Frame | None:
    """The innermost module-level frame under an import: the file being read and run."""
    found = None
    importing = False
    for fr in stack:
        if "importlib" in fr.filename:
            importing = True
        elif importing and fr.function == "<module>":
            found = fr
    return found


def apply_fix(profile: Profile, fix: Fix) -> Profile:
    """The profile with the fix's patch set and its prologue lines appended (once)."""
    for key, value in fix.patch.items():
        profile = profile.with_setting(key, value)
    if fix.prologue:
        lines = list(profile.get("job-script-prologue") or [])
        for line in fix.prologue:
            if line not in lines:
                lines.append(line)
        profile = profile.with_setting("job-script-prologue", lines)
    return profile
