"""Header operations: skip, un-skip, add, edit, remove, prologue, any key; undo and redo."""

from __future__ import annotations

from hpctui.core.config.load import load_profile
from hpctui.core.jobscript.header_ops import (
    History, add_directive, edit_directive, set_key, set_prologue, skip_line, suggest_skip,
    unskip_line,
)
from hpctui.core.jobscript.render import render
from hpctui.core.jobscript.skip_entry import choose_entry


def _summit():
    p = load_profile("lsf", paths=[], environ={}).profile
    for k, v in {"cores": 128, "memory": "600 GB", "project": "GEN119", "walltime": "00:30",
                 "lsf-units": "mb", "python": "/opt/python"}.items():
        p = p.with_setting(k, v)
    return p


def _slurm():
    p = load_profile("slurm", paths=[], environ={}).profile
    return p.with_setting("cores", 4).with_setting("memory", "8GB").with_setting("python", "py")


def test_skip_removes_exactly_that_line_and_shows_the_diff():
    p = _summit()
    before = render(p).header_lines
    r = skip_line(p, '#BSUB -R "span[hosts=1]"')
    after = render(r.profile).header_lines
    assert r.ok and set(before) - set(after) == {'#BSUB -R "span[hosts=1]"'}
    assert r.profile.settings["job-directives-skip"] == ["#BSUB -R"]
    assert [(d.op, d.text) for d in r.diff if d.op != " "] == [("-", '#BSUB -R "span[hosts=1]"')]


def test_skip_chooses_the_prefix_and_option_never_a_value():
    # Before, '#SBATCH --mem=8G' got 'm' and '#SBATCH -t 00:30:00' got '0': unique that day,
    # and removing other lines once their values contained them.
    s = suggest_skip(_slurm(), "#SBATCH --mem=8G")
    assert s.entry == "#SBATCH --mem" and s.option_based
    assert s.reason == "skips every `#SBATCH --mem` line, whatever the memory"
    assert suggest_skip(_slurm(), "#SBATCH -t 00:30:00").entry == "#SBATCH -t"
    assert suggest_skip(_summit(), "#BSUB -n 128").entry == "#BSUB -n"
    assert suggest_skip(_summit(), '#BSUB -R "span[hosts=1]"').entry == "#BSUB -R"


def test_skip_says_when_no_entry_exists():
    p = _slurm().with_setting("job-mem", "8G").with_setting("job-cpu", 4)
    # "#SBATCH -n 1" is in no other generated line, so use the pure function: every
    # beginning of the line, the whole line too, is also in "#SBATCH -n 12".
    assert choose_entry("slurm", "#SBATCH -n 1", ["#SBATCH -n 12"]).entry is None
    r = skip_line(p, "#SBATCH not generated")
    assert not r.ok and "not a line dask-jobqueue generates" in r.message


def test_unskip_brings_the_line_back():
    p = skip_line(_summit(), "#BSUB -M 600000").profile
    r = unskip_line(p, "#BSUB -M 600000")
    assert r.ok and r.profile.settings["job-directives-skip"] == []
    assert "#BSUB -M 600000" in render(r.profile).header_lines
    assert not unskip_line(r.profile, "#BSUB -M 600000").ok


def test_add_edit_remove_directives():
    p = add_directive(_summit(), "-nnodes 1").profile
    assert render(p).header_lines[-1] == "#BSUB -nnodes 1"
    p = edit_directive(p, 0, "-nnodes 2").profile
    assert p.settings["job-extra-directives"] == ["-nnodes 2"]
    r = edit_directive(p, 0, None)
    assert r.profile.settings["job-extra-directives"] == []
    assert [(d.op, d.text) for d in r.diff if d.op != " "] == [("-", "#BSUB -nnodes 2")]
    assert not edit_directive(p, 5, "x").ok


def test_htcondor_directives_are_key_value_and_skips_are_keys():
    p = load_profile("htcondor", paths=[], environ={}).profile
    p = p.with_setting("cores", 1).with_setting("memory", "1GB").with_setting("disk", "1GB")
    p = add_directive(p, "+Project = \"x\"").profile
    assert p.settings["job-extra-directives"] == {"+Project": '"x"'}
    r = skip_line(p, "RequestDisk = floor(MY.DaskWorkerDisk / 1024)")
    assert r.profile.settings["job-directives-skip"] == ["RequestDisk"]
    assert not any(l.startswith("RequestDisk") for l in render(r.profile).header_lines)


def test_prologue_and_any_key():
    r = set_prologue(_slurm(), ["module load python", "export X=1"])
    assert "module load python\nexport X=1\n" in render(r.profile).text
    r = set_key(r.profile, "walltime", "02:00:00")
    assert [(d.op, d.text) for d in r.diff if d.op != " "] == [
        ("-", "#SBATCH -t 00:30:00"), ("+", "#SBATCH -t 02:00:00")]
    bad = set_key(r.profile, "waltime", "1")
    assert not bad.ok and "did you mean 'walltime'" in bad.message


def test_undo_redo():
    h = History.start(_summit())
    h.apply(skip_line, "#BSUB -n 128")
    h.apply(add_directive, "-nnodes 1")
    assert h.current.settings["job-extra-directives"] == ["-nnodes 1"]
    u = h.undo()
    assert u.ok and h.current.settings["job-extra-directives"] == []
    assert [(d.op, d.text) for d in u.diff if d.op != " "] == [("-", "#BSUB -nnodes 1")]
    h.undo()
    assert h.current == _summit() and not h.undo().ok
    h.redo()
    assert h.current.settings["job-directives-skip"] == ["#BSUB -n"]
    h.apply(add_directive, "-alloc_flags smt4")  # a new branch drops the redo
    assert not h.can_redo and not h.redo().ok
    # A no-op doesn't enter the history. (Not "#BSUB -n 999": '#BSUB -n' skips that line
    # too, whatever the number, so un-skipping it is a real change.)
    h.apply(unskip_line, "#BSUB -q nowhere")
    assert h.cursor == 2
