"""The Workspace: edits with undo, header lines, validation, script and config diffs, writing."""

from __future__ import annotations

import os

import pytest
import yaml

from hpctui.core.session.workspace import Workspace

CONFIG = """\
# my site's settings
jobqueue:
  slurm:
    cores: 4   # four cores
    memory: 8GB
    walltime: '01:00:00'
    job-extra: ['--exclusive']   # old name
distributed:
  worker:
    use-file-locking: true
"""


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "site.yaml"
    path.write_text(CONFIG)
    return path


@pytest.fixture
def ws(config):
    return Workspace.from_config("slurm", config, paths=[], environ={}, interfaces=["lo", "ib0"])


def test_loaded_state_and_provenance(ws, config):
    assert ws.pending.get("cores") == 4
    assert ws.target.path == config and "--config" in ws.target.reason
    assert ws.provenance("cores") == str(config)
    assert ws.provenance("queue") == "default"
    assert "renamed to job-extra-directives" in ws.renamed_notice("job-extra-directives")
    assert not ws.has_pending_change and not ws.can_undo


def test_header_lines_skip_unskip_add_remove_and_undo(ws):
    lines = ws.preview().header
    texts = [h.text for h in lines]
    assert "#SBATCH --mem=8G" in texts
    added = [h for h in lines if h.state == "added"]
    assert [h.text for h in added] == ["#SBATCH --exclusive"] and added[0].extra_index == 0

    mem = next(h for h in lines if h.text == "#SBATCH --mem=8G")
    result = ws.toggle_line(mem)
    assert result.ok, result.message
    after = {h.text: h for h in ws.preview().header}
    assert after["#SBATCH --mem=8G"].state == "skipped"
    assert after["#SBATCH --mem=8G"].skipped_by
    assert "#SBATCH --mem=8G" not in ws.preview().script
    assert ws.has_pending_change and ws.can_undo

    ws.add_directive("--account=bio")
    assert "#SBATCH --account=bio" in ws.preview().script
    ws.edit_directive(1, "--account=chem")
    assert "#SBATCH --account=chem" in ws.preview().script
    ws.remove_directive(1)
    assert "--account" not in ws.preview().script

    ws.toggle_line(after["#SBATCH --mem=8G"])  # un-skip
    assert "#SBATCH --mem=8G" in ws.preview().script
    ws.undo()
    assert "#SBATCH --mem=8G" not in ws.preview().script
    ws.redo()
    assert "#SBATCH --mem=8G" in ws.preview().script
    assert ws.last_message == "redone"


def test_script_diff_is_against_last_applied(ws):
    ws.set_key("memory", "16GB")
    marked = {(d.op, d.text) for d in ws.script_diff()}
    assert ("-", "#SBATCH --mem=8G") in marked and ("+", "#SBATCH --mem=15G") in marked
    assert "+#SBATCH --mem=15G" in ws.script_unified_diff()
    ws.mark_applied()
    assert all(d.op == " " for d in ws.script_diff())
    assert ws.script_unified_diff() == ""


def test_validation_names_key(ws):
    ws.set_key("memory", "12 GiGs")
    problems = ws.problems_for("memory")
    assert problems and "memory" in problems[0].message and "12 GiGs" in problems[0].message
    # dask-jobqueue refuses to build the script; the preview says so, the problem names the key.
    assert "cannot build the job script" in ws.preview().error
    ws.set_key("interface", "eth9")
    (p,) = ws.problems_for("interface")
    assert "eth9" in p.message and "ib0" in p.message


def test_config_diff_then_write_keeps_comments_and_migrates(ws, config):
    ws.set_key("interface", "ib0")
    diff = ws.config_diff()
    assert diff.error is None
    assert "+    interface: ib0" in diff.unified
    assert "-    job-extra: ['--exclusive']   # old name" in diff.unified
    assert config.read_text() == CONFIG  # a diff writes nothing

    outcome = ws.write()
    assert outcome.ok, outcome.message
    text = config.read_text()
    assert "# my site's settings" in text and "# four cores" in text
    data = yaml.safe_load(text)
    assert data["jobqueue"]["slurm"]["interface"] == "ib0"
    assert data["jobqueue"]["slurm"]["job-extra-directives"] == ["--exclusive"]
    assert "job-extra" not in data["jobqueue"]["slurm"]
    assert (config.parent / "site.yaml.bak").read_text() == CONFIG
    assert not ws.has_unwritten_change and ws.has_pending_change
    assert ws.provenance("interface") == str(config)
    assert ws.renamed_notice("job-extra-directives") is None

    # Our own write doesn't count as "changed on disk": a second write goes through.
    ws.set_key("cores", 8)
    assert ws.write().ok
    assert yaml.safe_load(config.read_text())["jobqueue"]["slurm"]["cores"] == 8


def test_write_refuses_when_file_changed_on_disk_then_reload_keeps_edit(ws, config):
    ws.set_key("queue", "short")
    config.write_text(CONFIG.replace("8GB", "10GB"))
    outcome = ws.write()
    assert not outcome.ok and outcome.changed_on_disk
    assert "changed on disk" in outcome.message
    assert "queue: short" not in config.read_text()
    ws.reload()
    assert ws.pending.get("queue") == "short" and ws.pending.get("memory") == "10GB"
    assert ws.write().ok
    assert yaml.safe_load(config.read_text())["jobqueue"]["slurm"]["queue"] == "short"


def test_malformed_target_gives_error_with_line_and_untouched(tmp_path):
    path = tmp_path / "bad.yaml"
    bad = "jobqueue:\n  slurm:\n    cores: [4\n"
    path.write_text(bad)
    ws = Workspace.from_config("slurm", path, paths=[], environ={}, interfaces=["lo"])
    ws.set_key("cores", 2)
    diff = ws.config_diff()
    assert diff.error and str(path) in diff.error
    outcome = ws.write()
    assert not outcome.ok and str(path) in outcome.message
    assert path.read_text() == bad


def test_write_runs_from_a_thread_while_editing(ws, config):
    import threading

    ws.set_key("queue", "short")
    snapshot = ws.pending
    box = []
    t = threading.Thread(target=lambda: box.append(ws.write()))
    t.start()
    ws.set_key("account", "bio")  # an edit while writing stays pending
    t.join(60)
    assert box and box[0].ok and box[0].profile == snapshot
    assert ws.written == snapshot and ws.has_unwritten_change


def test_local_kind_and_auto_apply(tmp_path):
    path = tmp_path / "hpctui.yaml"
    path.write_text("jobqueue:\n  local:\n    cores: 1\n    memory: 1GB\n")
    ws = Workspace.from_config("local", path, paths=[], environ={}, interfaces=["lo"])
    assert ws.preview().error is None and "distributed.cli.dask_worker" in ws.preview().script
    assert ws.auto_apply is False
    ws.auto_apply = True
    ws.set_prologue(["export A=1", "", "module load x"])
    assert ws.pending.get("job-script-prologue") == ["export A=1", "module load x"]
    assert "export A=1" in ws.preview().script


def test_write_without_changes_touches_nothing(tmp_path):
    path = tmp_path / "plain.yaml"
    path.write_text("jobqueue:\n  slurm:\n    cores: 2\n    memory: 2GB\n")
    ws = Workspace.from_config("slurm", path, paths=[], environ={}, interfaces=["lo"])
    outcome = ws.write()
    assert outcome.ok and "already holds" in outcome.message and outcome.result is None
    assert not (tmp_path / "plain.yaml.bak").exists()


def test_old_key_names_alone_are_migrated_by_a_write(ws, config):
    outcome = ws.write()
    assert outcome.ok and outcome.result is not None
    assert "job-extra-directives" in config.read_text() and "job-extra:" not in config.read_text()
    assert ws.write().message.endswith("already holds these settings")


def test_header_texts_are_what_is_submitted(ws):
    ws.skip_line("#SBATCH -t 01:00:00")
    assert ws.header_texts() == ["#SBATCH -J dask-worker", "#SBATCH -n 1",
                                 "#SBATCH --cpus-per-task=4", "#SBATCH --mem=8G",
                                 "#SBATCH --exclusive"]
    assert "#SBATCH -t 01:00:00" in ws.header_texts(ws.applied)


def test_a_key_set_by_an_environment_variable_is_flagged(config):
    env = {"DASK_JOBQUEUE__SLURM__QUEUE": "gpu"}
    ws = Workspace.from_config("slurm", config, paths=[], environ=env, interfaces=["lo"])
    assert ws.pending.get("queue") == "gpu"
    assert ws.provenance("queue") == "environment variable DASK_JOBQUEUE__SLURM__QUEUE"
    assert ws.env_override("cores") is None
    ws.set_key("queue", "cpu")
    (warning,) = ws.apply_preview().warnings
    assert warning.startswith("queue is set by the environment variable "
                              "DASK_JOBQUEUE__SLURM__QUEUE")
