"""Header operations: skip, un-skip, add, edit, remove, prologue, any key; undo and redo."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from hpctui.core.config.load import load_profile
from hpctui.core.jobscript.header_ops import (
    History, add_directive, edit_directive, set_key, set_prologue, shortest_unique_substring,
    skip_line, suggest_skip, unskip_line,
)
from hpctui.core.jobscript.render import generated_header_lines, render


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
    assert len(r.profile.settings["job-directives-skip"]) == 1
    assert [(d.op, d.text) for d in r.diff if d.op != " "] == [("-", '#BSUB -R "span[hosts=1]"')]


def test_skip_picks_the_shortest_and_offers_a_readable_one():
    s = suggest_skip(_slurm(), "#SBATCH --mem=8G")
    others = [l for l in generated_header_lines(_slurm()) if l != "#SBATCH --mem=8G"]
    assert len(s.substring) == 1 and not any(s.substring in o for o in others)
    assert s.readable == "--mem="  # the option as a person writes it, also unique
    assert suggest_skip(_summit(), "#BSUB -n 128").readable == "-n"
    assert suggest_skip(_summit(), '#BSUB -R "span[hosts=1]"').readable == "-R"


def test_skip_says_when_no_substring_exists():
    p = _slurm().with_setting("job-mem", "8G").with_setting("job-cpu", 4)
    # Build a line contained in another: "#SBATCH -n 1" is in no other line, so use a
    # synthetic case through the pure function instead.
    assert shortest_unique_substring("#SBATCH -n 1", ["#SBATCH -n 12"]) is None
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
    assert len(h.current.settings["job-directives-skip"]) == 1
    h.apply(add_directive, "-alloc_flags smt4")  # a new branch drops the redo
    assert not h.can_redo and not h.redo().ok
    h.apply(unskip_line, "#BSUB -n 999")  # a no-op doesn't enter the history
    assert h.cursor == 2


_line = st.text(alphabet="#SBATCH -=:abcmn0123456789", min_size=1, max_size=14)


@settings(max_examples=300, deadline=None)
@given(line=_line, others=st.lists(_line, max_size=6))
def test_skip_substring_is_the_shortest_that_removes_only_that_line(line, others):
    others = [o for o in others if o != line]
    sub = shortest_unique_substring(line, others)
    all_subs = {line[i:j] for i in range(len(line)) for j in range(i + 1, len(line) + 1)}
    unique = [s for s in all_subs if not any(s in o for o in others)]
    if sub is None:
        assert unique == []
    else:
        assert sub in line and not any(sub in o for o in others)
        assert len(sub) == min(len(s) for s in unique)
