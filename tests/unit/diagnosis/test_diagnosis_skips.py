"""The skip-entry rule: a finding per entry that removes lines with different options or
nothing, with the entry and the lines quoted and a fix that `apply_fix` really applies."""

from __future__ import annotations

from hpctui.core.config.load import load_profile
from hpctui.core.diagnosis import (SKIP_HEADER, UNSKIP_HEADER, PatchOp, Signals, apply_fix,
                                   diagnose, findings_to_json, render_findings_text)
from hpctui.core.diagnosis.skips import RULE_IDS
from hpctui.core.doctor.run import CONFIDENT, _best_fix
from hpctui.core.jobscript.render import render


def _slurm(skips, memory="10 GB"):
    p = load_profile("slurm", paths=[], environ={}).profile
    return p.with_setting("cores", 1).with_setting("memory", memory) \
        .with_setting("job-directives-skip", list(skips))


def _skip_findings(signals):
    return [f for f in diagnose(signals) if f.rule_id in RULE_IDS]


def test_zero_quotes_both_lines_and_removing_it_is_the_fix():
    [f] = _skip_findings(Signals(profile=_slurm(["0"])))
    assert f.rule_id == "skip-entry-too-broad" and f.mode == 8
    assert f.title == "The skip entry '0' removes 2 different header lines"
    assert [(e.source, e.text) for e in f.evidence] == [
        ("job-directives-skip entry", "'0'"),
        ("header line it removes", "#SBATCH --mem=10G"),
        ("header line it removes", "#SBATCH -t 00:30:00")]
    assert f.fix.ops == (PatchOp(UNSKIP_HEADER, "job-directives-skip", "0"),)
    assert f.fix.action == ("then skip only the line you meant: add '#SBATCH --mem' (removes "
                            "'#SBATCH --mem=10G') or '#SBATCH -t' (removes '#SBATCH -t 00:30:00') "
                            "to job-directives-skip")
    fixed = apply_fix(_slurm(["0"]), f.fix)
    assert fixed.get("job-directives-skip") == []
    assert {"#SBATCH --mem=10G", "#SBATCH -t 00:30:00"} <= set(render(fixed).header_lines)


def test_an_aimed_entry_is_replaced_by_its_own_option_entry():
    [f] = _skip_findings(Signals(profile=_slurm(["-t"])))
    assert f.title == "The skip entry '-t' also removes '#SBATCH --cpus-per-task=1'"
    assert f.fix.ops == (PatchOp(UNSKIP_HEADER, "job-directives-skip", "-t"),
                         PatchOp(SKIP_HEADER, "job-directives-skip", "#SBATCH -t",
                                 "#SBATCH -t 00:30:00"))
    assert f.fix.is_config  # `f` in the Findings pane does it all
    header = render(apply_fix(_slurm(["-t"]), f.fix)).header_lines
    assert "#SBATCH --cpus-per-task=1" in header
    assert not any(line.startswith("#SBATCH -t") for line in header)


def test_two_findings_on_one_list_apply_in_either_order():
    p = _slurm(["-t", "stale"])
    found = _skip_findings(Signals(profile=p))
    assert {f.rule_id for f in found} == {"skip-entry-too-broad", "skip-entry-stale"}
    one = apply_fix(apply_fix(p, found[0].fix), found[1].fix)
    other = apply_fix(apply_fix(p, found[1].fix), found[0].fix)
    assert one.get("job-directives-skip") == other.get("job-directives-skip") == ["#SBATCH -t"]


def test_a_stale_entry_is_a_weak_finding_quoting_the_lines_it_is_not_in():
    [f] = _skip_findings(Signals(profile=_slurm(["--exclusive"])))
    assert f.rule_id == "skip-entry-stale" and f.confidence < 0.5
    assert f.evidence[0].text == "'--exclusive'"
    assert ("header line (does not contain it)", "#SBATCH --mem=10G") in \
        [(e.source, e.text) for e in f.evidence]
    assert f.fix.ops == (PatchOp(UNSKIP_HEADER, "job-directives-skip", "--exclusive"),)


def test_the_pending_profile_is_what_is_checked():
    applied = _slurm(["#SBATCH -t"])
    pending = _slurm(["0"])
    assert _skip_findings(Signals(profile=pending, pending_profile=applied)) == []
    assert len(_skip_findings(Signals(profile=applied, pending_profile=pending))) == 1
    assert _skip_findings(Signals(profile=_slurm(["0"], memory="8 GB"))) == []


def test_a_warning_never_ends_a_doctor_round_nor_becomes_its_fix():
    p = _slurm(["0"])
    found = diagnose(Signals(profile=p))
    assert all(f.confidence < CONFIDENT for f in found if f.rule_id in RULE_IDS)
    assert _best_fix(found, p) is None


def test_reports_carry_the_new_operation():
    [f] = _skip_findings(Signals(profile=_slurm(["0"])))
    doc = findings_to_json([f])["findings"][0]
    assert doc["fix"]["ops"] == [{"op": "unskip-header", "key": "job-directives-skip",
                                  "value": "0", "line": None}]
    text = render_findings_text([f])
    assert "job-directives-skip entry: '0'" in text
    assert "header line it removes: #SBATCH --mem=10G" in text
    assert "- remove '0' from job-directives-skip" in text
