"""The stacks pane: sampled worker processes, the selected one's main-thread stack, where it spends
its time, whether it is stuck, and the finding with its one-key fix.

Data comes in three ways: `update_samples(by_worker)` with `StacksSummary`s the app already
has, or `watch_directory(path)`, which polls the sampler's output directory once a second in a
worker thread (`hpctui.core.stacks.poll.StacksWatcher`; files are never read on the message
pump), and `update_live(views)`: live samples of the connected workers, which the app asks the
session for every few seconds while this pane is shown and live sampling is on (`l`), listed as
"live <worker name>" next to the file-sampled processes. Left: the processes, each marked "✗"
(a known hang site), "!" (stuck somewhere else, or a slow site), "?" (a live worker that did
not answer: its event loop is blocked), "✓" (nothing wrong seen), "·" (the process ended).
Right: "stuck for N s in <frame>", the current stack (innermost frame last), the hot frames as a
sorted tree (innermost frame first, its callers under it, each with its share of the window's
samples), and the finding. `f` applies the finding's fix through the workspace (one undo step)
and posts `ProfileEdited` and `ApplyProfile`; `s` switches the sampler on or off for the next
apply (the `python` setting, visible in the job script preview). When the hang-site findings
change, the pane posts `ReportsChanged` so the app diagnoses again.
"""

from __future__ import annotations

import time
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Static

from hpctui.core.stacks import hangsites, live_window, sampler_wiring, startwatch_wiring
from hpctui.core.diagnosis.fix import apply_to_workspace, best_stack_fix, stack_fix, workspace_edit
from hpctui.core.stacks.sampler_toggle import sampler_on, toggle_sampler
from hpctui.core.stacks.samples import StacksSummary, window_samples
from hpctui.core.diagnosis.signals import StackReport
from hpctui.core.stacks.poll import StacksWatcher
from hpctui.core.session.workspace import Workspace
from hpctui.ui.columns import Column
from hpctui.ui.fitted_table import FittedTable
from hpctui.ui.messages import ApplyProfile, ProfileEdited
from hpctui.ui.panes.base import Pane
from hpctui.ui.panes.stacks_startup import StartupMixin
from hpctui.ui.panes.stacks_text import (BAR, HOT_PATH_FRAMES, NO_SAMPLES, bar, hot_path, hot_tree,
                                         stack_lines, state_marker)

class StacksPane(StartupMixin, Pane):
    """Sampled main-thread stacks of the workers, with what they say and the fix."""

    PANE_ID = "stacks"
    PANE_TITLE = "Stacks"
    DEFAULT_CSS = """
    StacksPane > #stacks-sampler { height: 1; }
    StacksPane > Horizontal { height: 1fr; }
    StacksPane #stacks-list { width: 35%; max-width: 34; min-width: 16; height: 1fr; }
    StacksPane #stacks-right { width: 1fr; height: 1fr; padding: 0 1; }
    StacksPane #stacks-state { height: auto; text-style: bold; }
    StacksPane .stacks-section { height: auto; margin-top: 1; }
    StacksPane #stacks-status { height: auto; color: $text-warning; }
    """
    BINDINGS = [
        Binding("f", "apply_fix", "Apply fix", show=True),
        Binding("s", "toggle_sampler", "Sampler on/off", show=True),
        Binding("l", "toggle_live", "Live samples on/off", show=True),
    ]

    class ReportsChanged(Message):
        """The hang sites (or silent live workers) the pane shows changed: diagnose again."""

    def __init__(self, workspace: Workspace | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.workspace = workspace
        self.summaries: dict[str, StacksSummary] = {}  # files and live workers, by label
        self.findings: dict[str, list[hangsites.Finding]] = {}
        self.live: dict[str, live_window.LiveWorker] = {}  # by label
        # Live samples of the connected workers while the pane is shown (`l` switches).
        self.live_on = True
        self._files: dict[str, StacksSummary] = {}
        self._reports: list[StackReport] = []
        self._labels: list[str] = []
        self._rows: list[tuple[str, str]] = []  # (marker, label) as the table shows them
        self._watcher: StacksWatcher | None = None
        self._early: dict[str, StacksSummary] | None = None  # given before mounting
        self._picked: str | None = None  # the process the user highlighted
        self._auto_label: str | None = None  # the one a redraw highlighted
        self._init_startup()

    def compose(self) -> ComposeResult:
        yield Static(id="stacks-sampler")
        with Horizontal():
            # The label is cut after a word in a narrow list; the right side names it whole.
            yield FittedTable((Column(" ", 0, whole=True), Column("process", 1, min_width=8)),
                              id="stacks-list")
            with VerticalScroll(id="stacks-right"):
                yield Static(NO_SAMPLES, id="stacks-state")
                yield Static(id="stacks-startup", classes="stacks-section")
                yield Static(id="stacks-finding", classes="stacks-section")
                yield Static(id="stacks-current", classes="stacks-section")
                yield Static(id="stacks-hot", classes="stacks-section")
        yield Static(id="stacks-status")

    def on_mount(self) -> None:
        if not self.children_ready:  # removed before its children mounted
            return
        self.refresh_view()
        if self._early is not None:
            self.update_samples(self._early)
            self._early = None

    # -- data in ----------------------------------------------------------------------

    def update_samples(self, by_worker: dict[str, StacksSummary]) -> None:
        """Redraw from one `StacksSummary` per file-sampled process (keyed by its label),
        keeping the selected process selected. Safe before the pane is mounted (and while
        it is removed): kept, and drawn by on_mount."""
        if not self.children_ready:
            self._early = dict(by_worker)
            return
        self._files = dict(by_worker)
        self._redraw()

    def update_live(self, views: dict[str, live_window.LiveWorker]) -> None:
        """Redraw with the live workers (`LiveWindow.view()`), next to the files' processes.
        Ignored while live sampling is off (a round may still be on its way)."""
        if not self.children_ready or not self.live_on:
            return
        self.live = dict(views)
        self._redraw()

    def _redraw(self) -> None:
        table = self.query_one("#stacks-list", FittedTable)
        self.summaries = {**self._files, **{label: v.summary for label, v in self.live.items()}}
        self.findings = {label: hangsites.diagnose(s) for label, s in self._files.items()}
        self.findings.update({label: live_window.findings(v) for label, v in self.live.items()})
        # Worst first, then by name: the process to look at is on top.
        order = {"✗": 0, "!": 1, "?": 2, "✓": 3, "·": 4}
        self._labels = sorted(self.summaries, key=lambda k: (order[self._marker(k)], k))
        rows = [(self._marker(label), label) for label in self._labels]
        if rows != self._rows:
            # Rebuilding a DataTable costs ~1 ms a row; polls mostly change no row.
            self._rows = rows
            table.set_rows([(label, (mark, label)) for mark, label in rows])
        # The process the user picked stays selected; until they pick one, the worst (top)
        # one is: a stuck worker appearing after the nanny must not stay out of sight.
        target = self._picked if self._picked in self._labels else (
            self._labels[0] if self._labels else None)
        if target is not None:
            self._auto_label = target
            table.move_cursor(row=self._labels.index(target), animate=False)
        self._show_selected()
        reports = self._make_reports()
        # Which sites, not their wording: "silent for N s" changes every round.
        changed = [(r.source, r.finding.site) for r in reports] != \
            [(r.source, r.finding.site) for r in self._reports]
        self._reports = reports
        if changed:
            self.post_message(self.ReportsChanged())

    def _make_reports(self) -> list[StackReport]:
        return [StackReport(label, finding,
                            self.live[label].job_id if label in self.live else None)
                for label in sorted(self.findings) for finding in self.findings[label]]

    def stack_reports(self) -> list[StackReport]:
        """The hang sites seen in the shown samples (files and live workers), and the live
        workers that do not answer, for `Signals(stacks=...)`: the app passes them to
        `diagnose()` so they reach the findings pane too."""
        return list(self._reports)

    def watch_directory(self, directory: str | Path, interval: float = 1.0,
                        window: float = 30.0, stuck_after: float = 5.0) -> None:
        """Poll the sampler's output directory every `interval` seconds (in a worker thread)."""
        self._watcher = StacksWatcher(directory, window, stuck_after)
        self._watch_startup(directory)
        self._poll()
        self.set_interval(interval, self._poll)

    def _poll(self) -> None:
        if self._watcher is not None:
            self._read_samples(self._watcher)

    @work(thread=True, exclusive=True, group="stacks-read")
    def _read_samples(self, watcher: StacksWatcher) -> None:
        # Reading files blocks: a worker thread, then back to the UI thread to redraw.
        found, startup = self._poll_startup(watcher, watcher.poll(time.time()))
        self.app.call_from_thread(self._update_from_files, found, startup)

    # -- views ------------------------------------------------------------------------

    @property
    def selected_label(self) -> str | None:
        row = self.query_one("#stacks-list", DataTable).cursor_row
        if not self._labels or row is None or not 0 <= row < len(self._labels):
            return None
        return self._labels[row]

    def select(self, label: str) -> bool:
        """Highlight the process `label` (for the app or a test); False when it is not listed."""
        if label not in self._labels:
            return False
        self._picked = self._auto_label = label
        self.query_one("#stacks-list", DataTable).move_cursor(row=self._labels.index(label),
                                                             animate=False)
        self._show_selected()
        return True

    @property
    def selected_finding(self) -> hangsites.Finding | None:
        label = self.selected_label
        found = self.findings.get(label, []) if label else []
        return found[0] if found else None

    def refresh_view(self) -> None:
        """Re-render the sampler line (call after the profile changed elsewhere); nothing
        until the children are mounted (`on_mount` renders then)."""
        if not self.children_ready:
            return
        line = self.query_one("#stacks-sampler", Static)
        if self.workspace is None:
            line.update("sampler: (config loading)")
        elif sampler_on(self.workspace.pending):
            line.update(Content.styled("★ sampler ON for the next apply (python runs "
                                       f"{sampler_wiring.SAMPLER_NAME}) · s: off", "bold")
                        + self._live_note())
        else:
            line.update(Content("sampler off · s: on for the next apply") + self._live_note())

    def _live_note(self) -> Content:
        return Content(" · live: on (l)" if self.live_on else " · live: off (l)")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        row = event.cursor_row
        if 0 <= row < len(self._labels) and self._labels[row] != self._auto_label:
            self._picked = self._labels[row]  # moved by the user, not by a redraw
        self._show_selected()

    def _show_selected(self) -> None:
        label = self.selected_label
        state = self.query_one("#stacks-state", Static)
        finding_view = self.query_one("#stacks-finding", Static)
        current = self.query_one("#stacks-current", Static)
        hot = self.query_one("#stacks-hot", Static)
        self._show_startup(label)
        if label is None:
            state.update(NO_SAMPLES)
            for w in (finding_view, current, hot):
                w.update("")
            return
        s = self.summaries[label]
        text = self._startup_state(label) or self._state_text(s)
        view = self.live.get(label)
        if view is not None:
            # A silent worker's old samples still show below: say first that it is silent.
            text = view.describe() + ("" if view.silent_for() is not None else "\n" + text)
        widths = self.query_one("#stacks-list", FittedTable).widths
        if widths and widths[1] < len(label) and label.removeprefix("live ") not in text:
            text = label + "\n" + text  # cut in the narrow list: named whole here
        state.update(Content(text))
        finding_view.update(self._finding_content(self.findings[label],
                                                  state_marker(s, self.findings[label])))
        if s.current is None:
            current.update("")
        else:
            current.update(Content("\n").join(
                [Content.styled("current stack (innermost last)", "underline")]
                + [Content(x) for x in stack_lines(s.current.stack)]))
        samples = window_samples(s.file.samples, s.window_seconds or None)
        tree = hot_tree(samples)
        head = (f"hot frames (innermost first, callers under), last {s.window_seconds:.0f} s ({len(samples)} samples; "
                f"{s.import_share:.0%} importing)")
        path = hot_path(samples)
        # Python's frozen import machinery repeats on every import: the frames that say
        # whose code it is are the others.
        shown = [line for line in path if not line.frame.startswith("<frozen ")]
        path_lines = [Content(f"{line.share:4.0%} {bar(line.share)} {line.frame}")
                      for line in shown[-HOT_PATH_FRAMES:]]
        if path_lines:
            path_lines.insert(0, Content.styled(
                "hot path (what most samples run through, innermost last)", "underline"))
            path_lines.append(Content(""))
        hot.update(Content("\n").join(
            path_lines + [Content.styled(head, "underline")]
            + [Content(f"{line.share:4.0%} {bar(line.share) if line.depth == 0 else ' ' * BAR} "
                       + ("  " * (line.depth - 1) + "└ " if line.depth else "") + line.frame)
               for line in tree]))

    @staticmethod
    def _state_text(s: StacksSummary) -> str:
        f = s.file
        ended = f" · ended ({f.ended})" if f.ended else ""
        if s.stuck is not None:
            inner = s.stuck.frames[-1].short()
            return f"✗ stuck for {s.stuck.seconds:.0f} s in {inner}{ended}"
        if s.current is not None and s.current.innermost is not None:
            if f.ended:
                return f"· ended ({f.ended}); last in {s.current.innermost.short()}"
            return f"✓ not stuck; now in {s.current.innermost.short()}"
        return f"no samples{ended}"

    def _finding_content(self, findings: list[hangsites.Finding], mark: str) -> Content:
        if not findings:
            return Content.styled("✓ no known hang site in these samples", "$text-muted")
        f = findings[0]
        parts = [Content.styled(f"{mark} {f.title}", "bold"),
                 Content(f.message)]
        fix = best_stack_fix(f)
        if fix is None:
            parts.append(Content.styled("! no fix known (f changes nothing)", "$text-warning"))
        elif fix.is_advice_only:
            parts.append(Content.styled(f"! {fix.label} (no config change; f changes nothing)",
                                        "$text-warning"))
        else:
            what = fix.label
            if self.workspace is not None:
                what += ": " + stack_fix(self.workspace.pending, fix).describe()
            parts.append(Content.styled(f"★ f: {what}", "$text-success"))
        for other in findings[1:]:
            parts.append(Content.styled(f"also: {other.title}", "$text-muted"))
        return Content("\n").join(parts)

    # -- actions ----------------------------------------------------------------------

    def _status(self, text: str) -> None:
        # Content, not markup: messages quote lists ("['export ...']") that markup would parse.
        self.query_one("#stacks-status", Static).update(Content(text))

    def action_apply_fix(self) -> None:
        finding = self.selected_finding
        if finding is None:
            self._status("! no finding for this process: nothing to fix")
            return
        if self.workspace is None:
            self._status("! the config is still loading: try again in a moment")
            return
        chosen = best_stack_fix(finding)
        if chosen is None:
            self._status("! no fix known for this finding")
            return
        result = apply_to_workspace(self.workspace, stack_fix(self.workspace.pending, chosen),
                                    finding.title)
        if not result.ok:
            self._status("! " + result.message)
            return
        self._status("★ " + result.message)
        self._show_selected()
        self.post_message(ProfileEdited(result.message))
        self.post_message(ApplyProfile())

    def action_toggle_live(self) -> None:
        """Live samples of the connected workers on or off (off: their entries go)."""
        self.live_on = not self.live_on
        if not self.live_on:
            self.live = {}
            self._redraw()
        self.refresh_view()
        self._status("live samples " + ("on: every few seconds while this pane is shown"
                                        if self.live_on else "off"))

    def action_toggle_sampler(self) -> None:
        if self.workspace is None:
            self._status("! the config is still loading: try again in a moment")
            return
        result = workspace_edit(self.workspace, toggle_sampler)
        self.refresh_view()
        if not result.ok:
            self._status("! " + result.message)
            return
        self._status("★ " + result.message)
        if sampler_on(self.workspace.pending):
            self._install(sampler_wiring.placement_for(dict(self.workspace.pending.settings)))
        self.post_message(ProfileEdited(result.message))

    @work(thread=True, group="stacks-install")
    def _install(self, place: sampler_wiring.SamplerPlacement) -> None:
        # The compute nodes run the copy next to the logs: file I/O, so off the UI thread.
        try:
            sampler_wiring.install_sampler(place)
            startwatch_wiring.install_watcher(place)
        except OSError as exc:
            self.app.call_from_thread(
                self._status, f"✗ could not copy the sampler to {place.sampler_path}: {exc}")
