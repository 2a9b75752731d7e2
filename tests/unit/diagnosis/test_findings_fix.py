"""findings_fix: a diagnosis Fix (or a sampler fix) as one undoable Workspace edit; and the
sampler switch as one edit. Real findings from diagnose() on the recorded fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from hpctui.core.stacks import hangsites
from hpctui.core.diagnosis import ADD_DIRECTIVE, REMOVE_KEY, SET, SKIP_HEADER, Fix, PatchOp
from hpctui.core.diagnosis.fix import apply_to_workspace, best_stack_fix, fix_edit, plan, stack_fix
from hpctui.core.jobscript.render import render_job_script
from hpctui.core.config.profile import Profile
from hpctui.core.stacks.sampler_toggle import sampler_on, toggle_sampler
from hpctui.core.stacks.poll import StacksWatcher
from hpctui.core.session.workspace import Workspace

sys.path.insert(0, str(Path(__file__).parents[2] / "ui"))
from findings_inputs import STACKS, real_findings, summary  # noqa: E402

CONFIG = """\
jobqueue:
  slurm:
    cores: 4   # four cores per job
    memory: 8GB
    queue: debug
    python: /usr/bin/python3
"""


@pytest.fixture
def workspace(tmp_path):
    path = tmp_path / "site.yaml"
    path.write_text(CONFIG)
    return Workspace.from_config("slurm", path, paths=[], environ={}, interfaces=["lo", "ib0"])


def by_rule(findings, rule_id):
    return next(f for f in findings if f.rule_id == rule_id)


def test_mem_per_cpu_fix_is_one_undo_step_that_changes_the_script(workspace):
    finding = by_rule(real_findings(workspace.pending), "slurm-mem-per-cpu")
    before = render_job_script(workspace.pending)
    assert "#SBATCH --mem=8G" in before
    result = apply_to_workspace(workspace, finding.fix, finding.title)
    assert result.ok, result.message
    after = render_job_script(workspace.pending)
    assert "#SBATCH --mem=8G" not in after
    assert "#SBATCH --mem-per-cpu=2G" in after
    assert "job-directives-skip" in result.message
    # Both operations are one step: a single undo restores the script.
    workspace.undo()
    assert render_job_script(workspace.pending) == before
    assert not workspace.can_undo


def test_interface_fix_and_file_lock_fix(workspace):
    findings = real_findings(workspace.pending)
    assert apply_to_workspace(workspace, by_rule(findings, "workers-cannot-reach-scheduler").fix).ok
    assert workspace.pending.get("interface") == "ib0"
    assert apply_to_workspace(workspace, by_rule(findings, "nfs-file-locks").fix).ok
    assert workspace.pending.distributed["worker.use-file-locking"] is False
    assert "export DASK_DISTRIBUTED__WORKER__USE_FILE_LOCKING=False" in \
        render_job_script(workspace.pending)


def test_action_only_finding_changes_nothing(workspace):
    finding = by_rule(real_findings(workspace.pending), "submit-command-missing")
    p = plan(finding.fix)
    assert not p.applicable and "module load slurm" in p.summary
    before = workspace.pending
    result = apply_to_workspace(workspace, finding.fix)
    assert not result.ok
    assert "no configuration change" in result.message
    assert workspace.pending == before and not workspace.can_undo


def test_applying_twice_says_already_there(workspace):
    fix = by_rule(real_findings(workspace.pending), "workers-cannot-reach-scheduler").fix
    assert apply_to_workspace(workspace, fix).ok
    again = apply_to_workspace(workspace, fix)
    assert not again.ok and "already" in again.message


def test_bad_key_is_refused_naming_it():
    result = fix_edit(Profile("slurm", {"cores": 1}), Fix((PatchOp(SET, "coress", 2),)))
    assert not result.ok and "coress" in result.message


def test_every_op_kind():
    profile = Profile("slurm", {"cores": 4, "memory": "8GB", "walltime": "01:00:00"},
                      {"worker.use-file-locking": True})
    fix = Fix((PatchOp(SET, "queue", "big"), PatchOp(ADD_DIRECTIVE, "", "--exclusive"),
               PatchOp(SKIP_HEADER, "", "-t ", "#SBATCH -t 01:00:00"),
               PatchOp(REMOVE_KEY, "distributed.worker.use-file-locking")))
    new = fix_edit(profile, fix).profile
    script = render_job_script(new)
    assert "#SBATCH -p big" in script and "#SBATCH --exclusive" in script
    assert "#SBATCH -t 01:00:00" not in script
    assert "worker.use-file-locking" not in new.distributed


def test_stack_fix_from_the_lock_recording(workspace):
    finding = hangsites.diagnose(summary("lock-worker"))[0]
    chosen = best_stack_fix(finding)
    assert chosen is hangsites.FILE_LOCKING_OFF
    fix = stack_fix(workspace.pending, chosen)
    assert fix.is_config
    assert apply_to_workspace(workspace, fix).ok
    assert workspace.pending.distributed["worker.use-file-locking"] is False
    # Already applied: the prologue line is not added twice, and applying again says so.
    again = stack_fix(workspace.pending, chosen)
    assert again.ops[1].value == ["export DASK_DISTRIBUTED__WORKER__USE_FILE_LOCKING=False"]
    result = apply_to_workspace(workspace, again)
    assert not result.ok and "already holds the fix" in result.message


def test_advice_only_stack_fix_is_an_action():
    finding = hangsites.diagnose(summary("slow-imports"))[0]
    fix = stack_fix(Profile("slurm", {}), best_stack_fix(finding))
    assert not fix.ops and "local disk" in fix.action


def test_sampler_toggle_needs_log_directory_then_round_trips(tmp_path):
    bare = Profile("slurm", {"cores": 1, "memory": "2GB", "python": "/usr/bin/python3"})
    refused = toggle_sampler(bare)
    assert not refused.ok and "log-directory" in refused.message
    profile = bare.with_setting("log-directory", str(tmp_path / "logs"))
    on = toggle_sampler(profile)
    assert on.ok and sampler_on(on.profile)
    script = render_job_script(on.profile)
    logs = tmp_path / "logs"
    assert (f"/usr/bin/python3 -I -S {logs / 'hpctui-startwatch.py'} --out "
            f"{logs / 'hpctui-stacks'} -- {logs / 'hpctui-sampler.py'}") in script
    assert "--rate 10 -m distributed.cli.dask_worker" in script
    off = toggle_sampler(on.profile)
    assert off.ok and off.profile == profile


def test_watcher_reads_appended_samples_only(tmp_path):
    source = (STACKS / "lock-worker.stacks").read_bytes()
    lines = source.splitlines(keepends=True)
    half = len(lines) // 2
    target = tmp_path / "vm-29394.stacks"
    target.write_bytes(b"".join(lines[:half]))
    watcher = StacksWatcher(tmp_path)
    first = watcher.poll()
    (label, s1), = first.items()
    # The reader keeps one growing SampleFile: remember the count, not the object.
    count, stuck_before = len(s1.file.samples), s1.stuck
    assert stuck_before is None or stuck_before.seconds < 13
    with open(target, "ab") as f:
        f.write(b"".join(lines[half:]))
    s2 = watcher.poll()[label]
    assert len(s2.file.samples) > count
    assert len(s2.file.samples) == len(summary("lock-worker").file.samples)
    assert s2.stuck is not None and "locket" in s2.stuck.frames[-1].filename


def test_watcher_refuses_a_bad_window(tmp_path):
    with pytest.raises(ValueError, match="window"):
        StacksWatcher(tmp_path, window=0)


def test_stack_reports_reach_diagnose_as_the_file_lock_finding(tmp_path):
    import shutil

    from hpctui.core.diagnosis import Signals, diagnose
    from hpctui.core.stacks.poll import stack_reports

    for name in ("lock-worker", "healthy-worker", "slow-imports"):
        shutil.copy(STACKS / f"{name}.stacks", tmp_path / f"{name}.stacks")
    reports = stack_reports(StacksWatcher(tmp_path).poll())
    assert sorted(r.finding.site for r in reports) == ["file-lock", "slow-imports"]
    found = diagnose(Signals(profile=Profile("slurm", {"cores": 1, "memory": "1GB"}),
                             stacks=reports))
    lock = by_rule(found, "nfs-file-locks")
    assert lock.evidence[0].source == "stack vm 29394 (worker process)"
    assert "locket/__init__.py:_lock_file_blocking:52" in lock.evidence[0].text
