"""Choosing skip entries: prefix and option, extended only as far as needed, on the scripts
dask-jobqueue really renders for every kind (the captured fixtures' profiles)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

from hpctui.core.batch.kinds import KIND_NAMES
from hpctui.core.config.load import load_profile
from hpctui.core.jobscript.header_ops import skip_line, suggest_skip
from hpctui.core.jobscript.render import generated_header_lines, render, skippable_header_lines
from hpctui.core.jobscript.skip_check import check_skips
from hpctui.core.jobscript.skip_entry import choose_entry, parse_directive
from test_jobscript import fixture_profile

# What skipping each generated line of the fixture scripts writes (tests/fixtures/jobscripts).
EXPECTED = {
    "slurm": {"#SBATCH -J dask-worker": "#SBATCH -J", "#SBATCH -p normal": "#SBATCH -p",
              "#SBATCH -A proj1": "#SBATCH -A", "#SBATCH --mem=15G": "#SBATCH --mem",
              "#SBATCH --cpus-per-task=8": "#SBATCH --cpus-per-task",
              "#SBATCH -t 01:00:00": "#SBATCH -t", "#SBATCH -n 1": "#SBATCH -n"},
    "pbs": {"#PBS -l select=1:ncpus=8": "#PBS -l select",
            "#PBS -l walltime=00:30:00": "#PBS -l walltime", "#PBS -q regular": "#PBS -q"},
    "moab": {"#PBS -l select=1:ncpus=8:mem=15GB": "#PBS -l select",
             "#PBS -l walltime=00:30:00": "#PBS -l walltime"},
    "sge": {"#$ -q all.q": "#$ -q", "#$ -l h_vmem=16G": "#$ -l h_vmem", "#$ -l h_rt=00:30:00":
            "#$ -l h_rt", "#$ -cwd": "#$ -cwd", "#$ -j y": "#$ -j"},
    "lsf": {"#BSUB -M 16000": "#BSUB -M", "#BSUB -W 00:30": "#BSUB -W", "#BSUB -n 8": "#BSUB -n",
            '#BSUB -R "span[hosts=1]"': "#BSUB -R", '#BSUB -P "GEN119"': "#BSUB -P"},
    "oar": {"#OAR -l /nodes=1/core=8,walltime=00:30:00": "#OAR -l",
            "#OAR --project p1": "#OAR --project"},
    "htcondor": {"RequestDisk = floor(MY.DaskWorkerDisk / 1024)": "RequestDisk",
                 "MY.DaskWorkerMemory = 16000000000": "MY.DaskWorkerMemory"},
}


@pytest.mark.parametrize("kind", [k for k in KIND_NAMES if k != "local"])
def test_every_generated_line_gets_an_option_entry_that_removes_it_alone(kind):
    profile = fixture_profile(kind).with_setting("job-directives-skip", [])
    generated = generated_header_lines(profile)
    skippable = skippable_header_lines(profile)
    entries = []
    for line in generated:
        if line not in skippable:
            # OAR's memory property line comes after dask-jobqueue applies the skips.
            assert (kind, line) == ("oar", "#OAR -p memcore>=1908")
            r = skip_line(profile, line)
            assert not r.ok and "after applying job-directives-skip" in r.message
            continue
        result = skip_line(profile, line)
        assert result.ok, result.message
        entry = result.profile.get("job-directives-skip")[-1]
        entries.append(entry)
        if line in EXPECTED.get(kind, {}):
            assert entry == EXPECTED[kind][line]
        assert suggest_skip(profile, line).option_based
        # Rendered by dask-jobqueue itself: exactly that line is gone.
        before = set(render(profile).header_lines)
        assert before - set(render(result.profile).header_lines) == {line}
    # Chosen entries are never what the skip check warns about, all of them at once either.
    assert check_skips(profile.with_setting("job-directives-skip", entries)) == []


def test_the_story_skip_the_time_then_set_the_memory_and_the_mem_line_stays():
    # dask-jobqueue's shipped jobqueue.yaml for SLURM (walltime 00:30:00) with cores and
    # memory set. The old chooser wrote '0' here ("occurs in this header line and no other").
    p = load_profile("slurm", paths=[], environ={}).profile
    p = p.with_setting("cores", 1).with_setting("memory", "8 GB")
    r = skip_line(p, "#SBATCH -t 00:30:00")
    assert r.profile.get("job-directives-skip") == ["#SBATCH -t"]
    assert r.message == ("job-directives-skip: added '#SBATCH -t', which skips every "
                         "`#SBATCH -t` line, whatever the time")
    after = r.profile.with_setting("memory", "10 GB").with_setting("walltime", "02:00:00")
    header = render(after).header_lines
    assert "#SBATCH --mem=10G" in header
    assert not any(line.startswith("#SBATCH -t") for line in header)
    assert check_skips(after) == []


def test_extended_only_as_far_as_another_line_needs():
    assert choose_entry("slurm", "#SBATCH --mem=8G", ["#SBATCH --mem-per-cpu=2G"]).entry \
        == "#SBATCH --mem="
    assert choose_entry("lsf", "#BSUB -n 4", ["#BSUB -nnodes 1"]).entry == "#BSUB -n "
    assert choose_entry("pbs", "#PBS -l walltime=01:00:00", ["#PBS -l select=1:ncpus=2"]) \
        .entry == "#PBS -l walltime"
    assert choose_entry("pbs", "#PBS -l mem=1GB", ["#PBS -l mem_per_cpu=1GB"]).entry \
        == "#PBS -l mem="


def test_whole_line_when_no_option_entry_isolates_it_and_none_when_nothing_does():
    c = choose_entry("slurm", "#SBATCH -o a.out", ["#SBATCH -o b.out"])
    assert c.entry == "#SBATCH -o a.out" and not c.option_based
    assert "skips this exact line" in c.reason and "`#SBATCH -o`" in c.reason
    none = choose_entry("slurm", "#SBATCH -n 1", ["#SBATCH -n 12"])
    assert none.entry is None and "no skip entry removes it alone" in none.reason


def test_the_status_line_says_what_the_entry_is():
    p = fixture_profile("sge")
    assert suggest_skip(p, "#$ -l h_rt=00:30:00").reason == \
        "skips every `#$ -l h_rt` line, whatever the time"
    assert suggest_skip(p, "#$ -cwd").reason == "skips every `#$ -cwd` line"
    lsf = fixture_profile("lsf")
    assert suggest_skip(lsf, "#BSUB -M 16000").reason == \
        "skips every `#BSUB -M` line, whatever the memory"
    condor = fixture_profile("htcondor")
    assert "HTCondor skips whole keys" in suggest_skip(
        condor, "RequestDisk = floor(MY.DaskWorkerDisk / 1024)").reason


def test_parse_directive_names_what_a_line_asks_for():
    assert parse_directive("pbs", "#PBS -l walltime=01:00:00").name == "#PBS -l walltime"
    assert parse_directive("slurm", "#SBATCH --mem=8G").name == "#SBATCH --mem"
    assert parse_directive("sge", "#$ -q all.q").name == "#$ -q"
    assert parse_directive("htcondor", "RequestCpus = 4").name == "RequestCpus"
    assert parse_directive("slurm", "#SBATCH") is None


_PREFIXES = st.sampled_from(["#SBATCH", "#PBS", "#$", "#BSUB", "#OAR"])
_OPTIONS = st.from_regex(r"\A--?[a-z][a-z-]{0,5}\Z")
_VALUES = st.text(alphabet="0123:=ab-,/ ", max_size=8)


@st.composite
def _lines(draw):
    sep = draw(st.sampled_from(["=", " ", ""]))
    value = draw(_VALUES) if sep else ""
    return f"{draw(_PREFIXES)} {draw(_OPTIONS)}{sep}{value}".rstrip()


@settings(max_examples=300, deadline=None)
@given(line=_lines(), others=st.lists(_lines(), max_size=6))
def test_an_entry_removes_its_line_alone_and_never_ends_inside_a_value(line, others):
    others = [o for o in others if o != line]
    c = choose_entry("slurm", line, others)
    if c.entry is None:
        assert any(line in o for o in others)  # nothing at all isolates it
        return
    assert c.entry in line and not any(c.entry in o for o in others)
    if not c.option_based:
        assert c.entry == line
        return
    d = parse_directive("slurm", line)
    head = f"{d.prefix} {d.option}"
    assert line.startswith(c.entry) and c.entry.startswith(head)
    # After the option: nothing, its separator, or a resource name (and its "=").
    assert re.fullmatch(r"(=| |( [A-Za-z_][\w.-]*=?))?", c.entry[len(head):])
