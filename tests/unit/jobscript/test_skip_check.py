"""The skip check on hand-written entries, held against dask-jobqueue's real rendering."""

from __future__ import annotations

from pathlib import Path

from hpctui.core.config.load import load_profile
from hpctui.core.jobscript.render import render
from hpctui.core.jobscript.skip_check import STALE, TOO_BROAD, Narrower, check_skips
from test_jobscript import fixture_profile

CONFIGS = Path(__file__).parents[2] / "fixtures" / "configs"


def _story(memory="10 GB", skips=("0",)):
    """The issue's story: dask-jobqueue's shipped SLURM section, walltime 00:30:00 left as is."""
    p = load_profile("slurm", paths=[], environ={}).profile
    return p.with_setting("cores", 1).with_setting("memory", memory) \
        .with_setting("job-directives-skip", list(skips))


def test_a_hand_written_zero_removes_the_time_and_the_memory():
    # What the old chooser wrote for '#SBATCH -t 00:30:00' while the memory was 8 GB.
    assert check_skips(_story(memory="8 GB")) == []
    p = _story()
    header = render(p).header_lines
    assert "#SBATCH --mem=10G" not in header and "#SBATCH -t 00:30:00" not in header
    [issue] = check_skips(p)
    assert issue.problem == TOO_BROAD and issue.entry == "0"
    assert issue.removes == ("#SBATCH --mem=10G", "#SBATCH -t 00:30:00")
    assert issue.meant == () and issue.replacement == ()  # '0' points at neither option
    assert issue.narrower == (Narrower("#SBATCH --mem", "#SBATCH --mem=10G"),
                              Narrower("#SBATCH -t", "#SBATCH -t 00:30:00"))
    assert issue.summary() == (
        "job-directives-skip: '0' removes 2 header lines with different options: "
        "'#SBATCH --mem=10G', '#SBATCH -t 00:30:00'; remove it and skip only the line you "
        "meant ('#SBATCH --mem' for '#SBATCH --mem=10G' or '#SBATCH -t' for "
        "'#SBATCH -t 00:30:00')")


def test_an_option_without_its_prefix_is_aimed_at_its_own_line():
    # '-t' also sits inside '--cpus-per-task': it starts an option only in the -t line.
    [issue] = check_skips(_story(skips=["-t"]))
    assert issue.removes == ("#SBATCH --cpus-per-task=1", "#SBATCH -t 00:30:00")
    assert issue.meant == ("#SBATCH -t 00:30:00",)
    assert issue.replacement == (Narrower("#SBATCH -t", "#SBATCH -t 00:30:00"),)
    assert issue.summary().endswith("it is aimed at '#SBATCH -t 00:30:00': use '#SBATCH -t' "
                                    "instead, which removes only that")


def test_a_stale_entry_removes_nothing():
    [issue] = check_skips(_story(skips=["#SBATCH -t", "--exclusive"]))
    assert issue.problem == STALE and issue.entry == "--exclusive" and issue.removes == ()
    assert issue.summary().startswith("job-directives-skip: '--exclusive' removes no header "
                                      "line; remove it")


def test_pbs_resource_requests_are_different_options():
    # Both `-l` lines: the request and the walltime ask for different things.
    p = fixture_profile("pbs")
    [issue] = check_skips(p.with_setting("job-directives-skip", ["-l"]))
    assert issue.removes == ("#PBS -l select=1:ncpus=8", "#PBS -l walltime=00:30:00")
    assert issue.meant == ()  # '-l' starts both: which one was meant cannot be told
    assert [n.entry for n in issue.narrower] == ["#PBS -l select", "#PBS -l walltime"]
    assert check_skips(p.with_setting("job-directives-skip", ["walltime"])) == []


def test_sge_a_fragment_of_two_resource_names_is_not_aimed_at_either():
    p = fixture_profile("sge").with_setting("job-directives-skip", ["h_"])
    [issue] = check_skips(p)
    assert issue.removes == ("#$ -l h_vmem=16G", "#$ -l h_rt=00:30:00")
    assert issue.meant == ()
    assert [n.entry for n in issue.narrower] == ["#$ -l h_vmem", "#$ -l h_rt"]


def test_lsf_summit_seed_entries_are_fine_and_a_digit_is_not():
    loaded = load_profile("lsf", CONFIGS / "summit.yaml", paths=[], environ={})
    p = loaded.profile.with_setting("project", "GEN119").with_setting("walltime", "00:30")
    assert p.get("job-directives-skip") == ["-R", "-n ", "-M"]  # header-skip, migrated
    assert check_skips(p) == []
    [issue] = check_skips(p.with_setting("job-directives-skip", ["0"]))
    assert len(issue.removes) >= 2 and issue.problem == TOO_BROAD


def test_htcondor_keys_and_a_key_it_does_not_generate():
    p = fixture_profile("htcondor")
    assert check_skips(p.with_setting("job-directives-skip", ["RequestDisk"])) == []
    [issue] = check_skips(p.with_setting("job-directives-skip", ["RequestGpus"]))
    assert issue.problem == STALE
    assert "not a submit key dask-jobqueue generates" in issue.summary()


def test_oar_memory_property_line_cannot_be_removed_so_its_entry_is_stale():
    # dask-jobqueue writes `#OAR -p memcore>=...` after applying the skips.
    p = fixture_profile("oar").with_setting("job-directives-skip", ["#OAR -p"])
    assert "#OAR -p memcore>=1908" in render(p).header_lines
    [issue] = check_skips(p)
    assert issue.problem == STALE


def test_odd_input_gives_no_crash():
    p = _story(skips=[0])  # an unquoted YAML number: matched as its text, like hpctui shows it
    [issue] = check_skips(p)
    assert issue.entry == "0" and issue.problem == TOO_BROAD
    assert check_skips(_story().with_setting("job-directives-skip", "0")) == []  # not a list
    no_cores = load_profile("pbs", paths=[], environ={}).profile.with_setting(
        "job-directives-skip", ["0"])
    assert check_skips(no_cores) == []  # dask-jobqueue cannot render: said elsewhere
    assert check_skips(_story(skips=["0", "0"])) == check_skips(_story())  # once per entry
