"""The stacks pane's start-up part: each worker process's phases from exec() and where it is stuck.

A mixin of `StacksPane`, so the pane's own module keeps its size: the start-up watcher's
records (`hpctui/on_node/startwatch.py`) sit beside the sampler's files, are read in the same
worker thread as they are (`core.stacks.startup_poll`), and each process gets, above its
stack, its phases (interpreter + site, imports, worker start, connect) and, when it is stuck,
the line doctor prints: what it executes and the call it waits in. A process stuck before the
sampler could start (a `.pth` line) has no samples: it is listed from the records alone.
"""

from __future__ import annotations

from pathlib import Path

from textual.content import Content
from textual.widgets import Static

from hpctui.core.stacks.poll import StacksWatcher
from hpctui.core.stacks.samples import StacksSummary
from hpctui.core.stacks.startup_poll import StartupWatcher, placeholder_summary
from hpctui.core.stacks.startup_view import StartupProcess
from hpctui.ui.panes.stacks_text import state_marker


def startup_content(p: StartupProcess | None) -> Content:
    """The start-up section for one process (empty when the watcher did not see it)."""
    if p is None:
        return Content("")
    lines = [Content.styled("start-up from exec (start-up watcher)", "underline"),
             Content((p.phase_line() or "no phase seen yet") + (f" ({p.ended})" if p.ended else ""))]
    st = p.stuck
    if st is not None:
        lines.append(Content.styled("✗ " + st.describe(p.label), "bold"))
        if st.view is not None and st.view.files:
            lines.append(Content("open: " + ", ".join(f"{path} ({fs or '?'})"
                                                      for _, path, fs in st.view.files[:4])))
    if p.slow_imports:
        lines.append(Content("slowest imports: " + "; ".join(
            f"{i.module} {i.seconds:.1f} s ({i.fs or '?'})" for i in p.slow_imports[:3])))
    if p.denied:
        lines.append(Content.styled("! /proc not readable: " + "; ".join(p.denied),
                                    "$text-warning"))
    return Content("\n").join(lines)


def startup_marker(p: StartupProcess | None) -> str | None:
    """"!" for a process stuck in start-up (no known fix), else None (the stacks decide)."""
    return "!" if p is not None and p.stuck is not None else None


class StartupMixin:
    """Start-up records for the stacks pane; see the module docstring."""

    def _init_startup(self) -> None:
        self.startup: dict[str, StartupProcess] = {}
        self._startup_watcher: StartupWatcher | None = None

    def _watch_startup(self, directory: str | Path) -> None:
        self._startup_watcher = StartupWatcher(directory)

    def _poll_startup(self, watcher: StacksWatcher, found: dict[str, StacksSummary]):
        """(summaries with the watcher-only processes added, start-up by label): in a thread."""
        if self._startup_watcher is None:
            return found, {}
        startup = self._startup_watcher.poll(watcher.files())
        merged = dict(found)
        for label, p in startup.items():
            merged.setdefault(label, placeholder_summary(p, watcher.directory))
        return merged, startup

    def _update_from_files(self, found: dict[str, StacksSummary],
                           startup: dict[str, StartupProcess]) -> None:
        stuck_before = {k for k, p in self.startup.items() if p.stuck is not None}
        self.startup = startup
        self.update_samples(found)
        if {k for k, p in startup.items() if p.stuck is not None} != stuck_before:
            self.post_message(self.ReportsChanged())

    def startup_processes(self) -> tuple[StartupProcess, ...]:
        """The watched processes' start-up, for `Signals(startup=...)`."""
        return tuple(self.startup.values())

    def _marker(self, label: str) -> str:
        return startup_marker(self.startup.get(label)) or state_marker(
            self.summaries[label], self.findings[label])

    def _startup_state(self, label: str | None) -> str | None:
        """The state line for a process stuck in start-up (it may have no samples at all)."""
        p = self.startup.get(label) if label else None
        if p is None or p.stuck is None:
            return None
        return f"✗ stuck {p.stuck.seconds:.0f} s {p.stuck.stage}" + (f" · {p.ended}" if p.ended else "")

    def _show_startup(self, label: str | None) -> None:
        view = self.query_one("#stacks-startup", Static)
        p = self.startup.get(label) if label else None
        view.update(startup_content(p))
        view.display = p is not None  # no empty line for panes without records
