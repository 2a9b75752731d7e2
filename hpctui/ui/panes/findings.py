"""The findings pane: what diagnosis found, most confident first, evidence one key away, fix on `f`.

The app calls `update_findings(findings)` whenever `diagnose()` has run again; the list is
redrawn ordered by confidence and the highlighted finding stays highlighted when it is still
there. Each row starts with a marker readable without colour: "★" when `f` applies a profile
change, "!" when the fix is an action only the user can take. Enter or `v` opens the quoted
evidence with the file and line each quote comes from. `f` applies the highlighted finding's
fix to the pending profile as one undoable edit, then posts `ProfileEdited` and `ApplyProfile`
(the app's preview -> write -> apply); a finding with no config fix says so and changes nothing,
except "running with no worker, nothing says why": its `f` asks the app to re-submit the workers
under the stack sampler (`SampleWorkers`), the one step that can show where they stop.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from hpctui.core.diagnosis.finding import Finding
from hpctui.core.diagnosis.fix import apply_to_workspace, plan
from hpctui.core.diagnosis.known import offers_sampling
from hpctui.core.session.workspace import Workspace
from hpctui.ui.columns import Column
from hpctui.ui.fitted_table import FittedTable
from hpctui.ui.messages import ApplyProfile, ProfileEdited
from hpctui.ui.panes.base import Pane


SAMPLE_WORDS = "re-submit the workers under the stack sampler and start-up watcher"


def finding_key(finding: Finding) -> str:
    """A stable row key: the engine merges findings with the same mode and fix, so that pair
    names a finding across redraws even when its evidence or confidence changes."""
    return f"{finding.mode}|{finding.rule_id}|{finding.fix!r}"


# In the order shown; the title is cut after a word (the detail below shows it whole).
COLUMNS = (Column(" ", 0, whole=True), Column("conf", 2, whole=True),
           Column("mode", 3, whole=True), Column("problem", 1, min_width=12))


def marker(finding: Finding) -> str:
    """"★": `f` does something (changes the profile, or re-submits under the sampler); "!":
    only an action in words; " ": no fix known."""
    if finding.fix.ops or offers_sampling(finding):
        return "★"
    return "!" if finding.fix.action else " "


def evidence_content(finding: Finding) -> Content:
    """The finding's evidence, one quote per entry under the place it comes from."""
    parts = [Content.styled(finding.title, "bold"), Content(""),
             Content(finding.explanation), Content("")]
    if not finding.evidence:
        parts.append(Content.styled("(no quoted evidence)", "$text-muted"))
    for ev in finding.evidence:
        parts.append(Content.styled(ev.where(), "$text-accent bold"))
        # Content, not markup: log lines hold brackets ("[Errno 113]") that markup would eat.
        parts.append(Content("  │ " + ev.text))
    return Content("\n").join(parts)


class EvidenceScreen(ModalScreen[None]):
    """The quoted lines behind one finding, with their sources. Esc, q, v or Enter closes."""

    DEFAULT_CSS = """
    EvidenceScreen { align: center middle; }
    EvidenceScreen > VerticalScroll {
        width: 90%; height: 80%; border: thick $accent; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,q,v,enter", "dismiss", "Close")]

    def __init__(self, finding: Finding) -> None:
        super().__init__()
        self.finding = finding

    def compose(self) -> ComposeResult:
        scroll = VerticalScroll()
        scroll.border_title = f"Evidence · failure mode {self.finding.mode}"
        scroll.border_subtitle = "Esc closes"
        with scroll:
            yield Static(evidence_content(self.finding), id="evidence-text")


class FindingsPane(Pane):
    """Diagnosis findings, most confident first, each with its evidence and fix."""

    PANE_ID = "findings"
    PANE_TITLE = "Findings"
    DEFAULT_CSS = """
    FindingsPane > #findings-count { height: 1; text-style: bold; }
    FindingsPane > #findings-table { height: 1fr; min-height: 3; }
    FindingsPane > #findings-detail { height: auto; max-height: 12; padding: 0 1; }
    FindingsPane > #findings-status { height: auto; color: $text-warning; }
    """
    BINDINGS = [
        Binding("enter,v", "show_evidence", "Evidence", show=True),
        Binding("f", "apply_fix", "Apply fix", show=True),
    ]

    class SampleWorkers(Message):
        """Request: run the workers under the stack sampler (switched on if it is off) and
        apply, for a finding whose next step is to watch them start."""

    def __init__(self, workspace: Workspace | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.workspace = workspace
        self.findings: list[Finding] = []
        self._keys: list[str] = []
        self._early: list[Finding] | None = None  # given before mounting

    def on_mount(self) -> None:
        if self._early is not None and self.children_ready:  # else removed before composed
            self.update_findings(self._early)
            self._early = None

    def compose(self) -> ComposeResult:
        yield Static("✓ no findings yet", id="findings-count")
        yield FittedTable(COLUMNS, id="findings-table", zebra_stripes=True)
        yield Static(id="findings-detail")
        yield Static(id="findings-status")

    # -- data in ----------------------------------------------------------------------

    def update_findings(self, findings: list[Finding]) -> None:
        """Redraw from `findings` (any order: shown most confident first), keeping the selection.
        Safe before the pane is mounted: the findings are drawn when it is."""
        if not self.children_ready:
            self._early = list(findings)
            return
        table = self.query_one("#findings-table", DataTable)
        kept = self.selected_key
        # Same order as diagnose(): confidence, then the catalogue's mode number, then the rule.
        self.findings = sorted(findings, key=lambda f: (-f.confidence, f.mode, f.rule_id))
        self._keys = [finding_key(f) for f in self.findings]
        table.set_rows([(key, (marker(f), f"{f.confidence:.0%}", f"#{f.mode}", f.title))
                        for f, key in zip(self.findings, self._keys)])
        if kept in self._keys:
            table.move_cursor(row=self._keys.index(kept), animate=False)
        elif self._keys:
            table.move_cursor(row=0, animate=False)
        n = len(self.findings)
        fixable = sum(1 for f in self.findings if marker(f) == "★")
        self.query_one("#findings-count", Static).update(
            "✓ no findings yet" if not n else
            f"✗ {n} finding{'s' if n != 1 else ''}, most confident first · "
            f"★ {fixable} fixable with f · Enter: evidence")
        self._show_detail()

    # -- selection --------------------------------------------------------------------

    @property
    def selected(self) -> Finding | None:
        """The highlighted finding."""
        row = self.query_one("#findings-table", DataTable).cursor_row
        if not self.findings or row is None or not 0 <= row < len(self.findings):
            return None
        return self.findings[row]

    @property
    def selected_key(self) -> str | None:
        f = self.selected
        return finding_key(f) if f is not None else None

    def select_rule(self, rule_id: str) -> bool:
        """Highlight the first finding of `rule_id` (for the app or a test); False if none."""
        for i, f in enumerate(self.findings):
            if f.rule_id == rule_id:
                self.query_one("#findings-table", DataTable).move_cursor(row=i, animate=False)
                self._show_detail()
                return True
        return False

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_show_evidence()

    def _show_detail(self) -> None:
        f = self.selected
        detail = self.query_one("#findings-detail", Static)
        if f is None:
            detail.update("")
            return
        p = plan(f.fix)
        parts = [Content.styled(f"{marker(f)} {f.title}", "bold"), Content(f.explanation)]
        if offers_sampling(f):
            parts.append(Content.styled(
                f"★ f: {SAMPLE_WORDS}; then: {p.action}", "$text-success"))
        elif p.applicable:
            parts.append(Content.styled(f"★ f: {p.summary}", "$text-success"))
            if p.action:
                parts.append(Content.styled(f"! then: {p.action}", "$text-warning"))
        else:
            parts.append(Content.styled(f"! {p.summary} (f changes nothing)", "$text-warning"))
        if f.evidence:
            first = f.evidence[0]
            more = len(f.evidence) - 1
            parts.append(Content.styled(
                f"{first.where()}: {first.text}" + (f" (+{more} more)" if more else ""),
                "$text-muted"))
        detail.update(Content("\n").join(parts))

    # -- actions ----------------------------------------------------------------------

    def action_show_evidence(self) -> None:
        f = self.selected
        if f is not None:
            self.app.push_screen(EvidenceScreen(f))

    def action_apply_fix(self) -> None:
        f = self.selected
        status = self.query_one("#findings-status", Static)
        if f is None:
            return
        if self.workspace is None:
            status.update(Content("! the config is still loading: try again in a moment"))
            return
        if offers_sampling(f):
            # No key explains it: the next step is to watch the workers start (the app switches
            # the sampler on, as the Stacks pane's `s` does, then applies).
            status.update(Content("★ " + SAMPLE_WORDS))
            self.post_message(self.SampleWorkers())
            return
        result = apply_to_workspace(self.workspace, f.fix, f.title)
        if not result.ok:
            status.update(Content("! " + result.message))
            return
        # Content, not markup: messages quote lists ("['export ...']") that markup would parse.
        status.update(Content("★ " + result.message))
        self.post_message(ProfileEdited(result.message))
        self.post_message(ApplyProfile())
