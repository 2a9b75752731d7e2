"""Real inputs for the findings and stacks panes: `diagnose()` over the recorded fixtures.

Worker log and stack samples come from tests/fixtures (recorded on the testbed / this machine);
the sbatch refusal is SLURM's own text from the failure-mode catalogue.
"""

from __future__ import annotations

from pathlib import Path

from hpctui.core.stacks import hangsites, samples as stacks
from hpctui.core.diagnosis import Signals, StackReport, WorkerLog, diagnose
from hpctui.core.network.facts import Address, InterfaceFacts
from hpctui.core.config.profile import Profile
from hpctui.core.jobscript.rejection import SubmitRejection

FIXTURES = Path(__file__).parent.parent / "fixtures"
STACKS = FIXTURES / "stacks"
LOGIN = (InterfaceFacts("eth0", (Address("192.0.2.2", 24),), (), True, None, 1500, False, True),
         InterfaceFacts("ib0", (Address("10.213.7.1", 24),), (), True, None, 1500, False, False))


def summary(name: str) -> stacks.StacksSummary:
    """The recorded stack file `name` (without .stacks), summarised as the pane would."""
    return stacks.summarize(stacks.read_sample_file(STACKS / f"{name}.stacks"))


def all_summaries() -> dict[str, stacks.StacksSummary]:
    found = {}
    for name in ("healthy-nanny", "healthy-worker", "lock-nanny", "lock-worker", "slow-imports"):
        s = summary(name)
        found[s.file.label] = s
    return found


def real_findings(profile: Profile):
    """diagnose() over a refused sbatch, the testbed's no-interface worker log, and the sampler's
    reports on the lock and slow-import recordings."""
    reports = []
    for name in ("lock-worker", "slow-imports"):
        s = summary(name)
        reports += [StackReport(s.file.label, f) for f in hangsites.diagnose(s)]
    log = (FIXTURES / "diagnosis" / "testbed_no_interface.err").read_text().splitlines()
    signals = Signals(
        profile=profile,
        worker_logs=(WorkerLog("dask-worker-17.err", tuple(log)),),
        submit_failures=(SubmitRejection(
            "sbatch /tmp/job.sh", 1, "",
            "sbatch: error: Requesting memory by node is not supported. Use --mem-per-cpu."),),
        errors=("FileNotFoundError: [Errno 2] No such file or directory: 'sbatch'",),
        login_interfaces=LOGIN, stacks=tuple(reports))
    return diagnose(signals)


def recording_app(pane_factory, workspace):
    """A PaneApp (tests/ui/editing_apps.py) that also counts the ApplyProfile requests."""
    from editing_apps import PaneApp
    from hpctui.ui.messages import ApplyProfile

    class _App(PaneApp):
        def __init__(self) -> None:
            super().__init__(pane_factory, workspace)
            self.applies = 0

        def on_apply_profile(self, message: ApplyProfile) -> None:
            self.applies += 1

    return _App()
