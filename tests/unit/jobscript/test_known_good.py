"""Known-good import on real pairs: Summit's LSF case, a SLURM site script, a PBS select= one."""

from __future__ import annotations

from pathlib import Path

from hpctui.core.config.load import load_profile
from hpctui.core.jobscript.render import render
from hpctui.core.jobscript.known_good import import_known_good, parse_script

FIX = Path(__file__).parents[2] / "fixtures" / "jobscripts"


def _profile(kind, **settings):
    p = load_profile(kind, paths=[], environ={}).profile
    for k, v in settings.items():
        p = p.with_setting(k.replace("_", "-"), v)
    return p


def _directives(kind, profile):
    prefix = {"lsf": "#BSUB ", "slurm": "#SBATCH ", "pbs": "#PBS "}[kind]
    return sorted(l[len(prefix):] for l in render(profile).header_lines)


def test_summit_lsf_the_seeds_fix():
    # The seed: LSFCluster(cores=128, memory="600 GB", project="GEN119", walltime="00:30"),
    # rejected for -n/-R and no -nnodes; the known-good script has -nnodes 1 and no -n/-R/-M.
    p = _profile("lsf", cores=128, memory="600 GB", project="GEN119", walltime="00:30",
                 lsf_units="mb")
    text = (FIX / "summit_lsf_known_good.sh").read_text()
    r = import_known_good(p, text)
    assert r.skipped == ["#BSUB -n 128", '#BSUB -R "span[hosts=1]"', "#BSUB -M 600000"]
    # Prefix and option, as the Job script pane's skip writes them: true whatever the values.
    assert r.changes["job-directives-skip"] == ["#BSUB -n", "#BSUB -R", "#BSUB -M"]
    assert r.added == ["-nnodes 1"]
    assert r.changes["job-extra-directives"] == ["-nnodes 1"]
    assert r.changes["job-script-prologue"] == ["module load gcc/8.1.1",
                                                "conda activate /ccs/proj/gen119/dask-env"]
    assert r.changes["python"] == "jsrun -n 1 /ccs/home/mrocklin/anaconda/bin/python"
    assert r.unmatched == [] and r.header_matches
    # `-P "GEN119"` (generated) and `-P GEN119` (known good) are the same shell words: kept.
    assert '#BSUB -P "GEN119"' in r.kept
    new_header = render(r.after).header_lines
    assert not any(l.startswith(("#BSUB -n ", "#BSUB -R", "#BSUB -M")) for l in new_header)
    assert "#BSUB -nnodes 1" in new_header
    # Directive by directive the same header (the project quoted as dask-jobqueue writes it).
    assert _directives("lsf", r.after) == sorted(
        ["-J dask-worker", '-P "GEN119"', "-W 00:30", "-nnodes 1"])
    assert len(parse_script("lsf", text).directives) == 4


def test_slurm_account_constraint_mem_per_cpu():
    p = _profile("slurm", cores=8, memory="16GB", walltime="01:00:00")
    text = (FIX / "slurm_known_good.sh").read_text()
    r = import_known_good(p, text)
    assert r.skipped == ["#SBATCH --mem=15G"]
    assert r.changes["job-directives-skip"] == ["#SBATCH --mem"]
    assert r.added == ["--account=proj42", "--constraint=haswell", "--mem-per-cpu=2G"]
    assert r.changes["job-script-prologue"] == [
        "module purge", "module load python/3.11", "source /project/proj42/venv/bin/activate",
        "export OMP_NUM_THREADS=1"]
    assert r.changes["shebang"] == "#!/bin/bash"
    # The script runs its own program, not a worker: said, not silently dropped.
    assert any("srun python my_analysis.py" in u for u in r.unmatched)
    assert r.header_matches
    assert _directives("slurm", r.after) == sorted(parse_script("slurm", text).directives)


def test_pbs_select():
    p = _profile("pbs", cores=36, memory="108GB", queue="regular", account="UCSD0042",
                 walltime="02:00:00")
    text = (FIX / "pbs_select_known_good.sh").read_text()
    r = import_known_good(p, text)
    # The select= line is dask-jobqueue's resource-spec: that key is the suggestion.
    assert r.changes["resource-spec"] == "select=1:ncpus=36:mem=109GB"
    assert r.skipped == [] and r.added == ["-j oe"]
    assert "job-directives-skip" not in r.changes
    assert r.changes["python"] == "/glade/u/apps/opt/conda/envs/npl/bin/python"
    assert r.header_matches
    assert _directives("pbs", r.after) == sorted(parse_script("pbs", text).directives)
    # The diff shows the changed request and the added directive.
    ops = {(d.op, d.text) for d in r.diff}
    assert ("-", "#PBS -l select=1:ncpus=36:mem=101GB") in ops
    assert ("+", "#PBS -l select=1:ncpus=36:mem=109GB") in ops and ("+", "#PBS -j oe") in ops


def test_a_matching_script_needs_no_change():
    p = _profile("slurm", cores=2, memory="4GB", python="/usr/bin/python3")
    r = import_known_good(p, render(p).text)
    assert r.changes == {} and r.unmatched == [] and r.skipped == [] and r.added == []
