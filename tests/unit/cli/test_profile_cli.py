"""`hpctui script`: the script on stdout (exit 0) or the errors on stderr (exit 2), never a
traceback; `--import-known-good FILE` prints the changes and the diff."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import yaml

from hpctui.cli import script as cli_script

FIX = Path(__file__).parents[2] / "fixtures" / "jobscripts"


@pytest.fixture(autouse=True)
def _no_home_config(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in [n for n in __import__("os").environ if n.startswith("DASK_") and n != "DASK_CONFIG"]:
        monkeypatch.delenv(name)


def _run(argv):
    parser = argparse.ArgumentParser()
    cli_script.add_parser(parser.add_subparsers())
    args = parser.parse_args(["script", *argv])
    return args.handler(args)


def _config(tmp_path, text):
    path = tmp_path / "site.yaml"
    path.write_text(text)
    return str(path)


def test_prints_the_job_script(tmp_path, capsys):
    cfg = _config(tmp_path, "jobqueue:\n  slurm:\n    cores: 4\n    memory: 8GB\n"
                            "    python: /opt/py/bin/python\n")
    assert _run(["--scheduler", "slurm", "--config", cfg]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("#!/usr/bin/env bash\n\n#SBATCH -J dask-worker\n")
    assert "/opt/py/bin/python -m distributed.cli.dask_worker" in out
    assert err == ""


def test_a_skip_entry_that_removes_two_options_is_a_warning_on_stderr(tmp_path, capsys):
    # The story, hand-written: '0' once skipped the time alone; with 10 GB of memory
    # it also removes --mem. The script still goes to stdout, as dask-jobqueue renders it.
    cfg = _config(tmp_path, "jobqueue:\n  slurm:\n    cores: 1\n    memory: 10 GB\n"
                            "    job-directives-skip: ['0']\n")
    assert _run(["--scheduler", "slurm", "--config", cfg]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("#!/usr/bin/env bash\n\n#SBATCH -J dask-worker\n")
    assert "#SBATCH --mem" not in out and "#SBATCH -t" not in out
    assert err.splitlines() == [
        "hpctui script: warning: jobqueue.slurm: job-directives-skip: '0' removes 2 header "
        "lines with different options: '#SBATCH --mem=10G', '#SBATCH -t 00:30:00'; remove it "
        "and skip only the line you meant ('#SBATCH --mem' for '#SBATCH --mem=10G' or "
        "'#SBATCH -t' for '#SBATCH -t 00:30:00')"]


def test_a_stale_skip_entry_is_a_warning_and_an_option_entry_is_quiet(tmp_path, capsys):
    cfg = _config(tmp_path, "jobqueue:\n  slurm:\n    cores: 1\n    memory: 10 GB\n"
                            "    job-directives-skip: ['#SBATCH -t', '--exclusive']\n")
    assert _run(["--scheduler", "slurm", "--config", cfg]) == 0
    out, err = capsys.readouterr()
    assert "#SBATCH --mem=10G" in out and "#SBATCH -t" not in out
    assert err.splitlines() == [
        "hpctui script: warning: jobqueue.slurm: job-directives-skip: '--exclusive' removes no "
        "header line; remove it (dask-jobqueue matches it against every header line it "
        "generates, so it may start removing one when a value changes)"]


def test_validation_errors_exit_2_without_traceback(tmp_path, capsys):
    cfg = _config(tmp_path, "jobqueue:\n  slurm:\n    cores: 4\n    memory: 12 GiGs\n"
                            "    walltme: '1'\n")
    assert _run(["--scheduler", "slurm", "--config", cfg]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "jobqueue.slurm: memory: '12 GiGs' is not a size" in err
    assert "did you mean 'walltime'" in err
    assert "Traceback" not in err


def test_missing_cores_uses_dask_jobqueues_message(tmp_path, capsys):
    assert _run(["--scheduler", "pbs", "--config", _config(tmp_path, "jobqueue: {}\n")]) == 2
    assert "You must specify how much cores and memory" in capsys.readouterr().err


def test_malformed_config_names_file_line_column(tmp_path, capsys):
    cfg = _config(tmp_path, "jobqueue:\n  slurm:\n    cores: [4\n")
    assert _run(["--scheduler", "slurm", "--config", cfg]) == 2
    err = capsys.readouterr().err
    assert f"{cfg}:4:1: malformed YAML" in err and "Traceback" not in err


def test_renamed_keys_are_noted(tmp_path, capsys):
    cfg = _config(tmp_path, "jobqueue:\n  slurm:\n    cores: 1\n    memory: 1GB\n"
                            "    job-extra: ['--exclusive']\n")
    assert _run(["--scheduler", "slurm", "--config", cfg]) == 0
    out, err = capsys.readouterr()
    assert "#SBATCH --exclusive" in out
    assert "job-extra" in err and "renamed to job-extra-directives, will be migrated" in err


def test_import_known_good_prints_changes_and_diff_and_writes(tmp_path, capsys):
    cfg = _config(tmp_path, "# Summit\njobqueue:\n  lsf:\n    cores: 128\n    memory: 600 GB\n"
                            "    project: GEN119\n    walltime: '00:30'\n    lsf-units: mb\n")
    known = str(FIX / "summit_lsf_known_good.sh")
    assert _run(["--scheduler", "lsf", "--config", cfg, "--import-known-good", known]) == 0
    out, err = capsys.readouterr()
    suggested = yaml.safe_load(out.split("\n\n")[0])
    assert suggested["jobqueue"]["lsf"]["job-extra-directives"] == ["-nnodes 1"]
    assert "-#BSUB -n 128" in out and "+#BSUB -nnodes 1" in out
    assert Path(cfg).read_text().startswith("# Summit\njobqueue:\n  lsf:\n    cores: 128\n")
    assert "job-extra-directives" not in Path(cfg).read_text()  # not written without --write

    assert _run(["--scheduler", "lsf", "--config", cfg, "--import-known-good", known,
                 "--write"]) == 0
    err = capsys.readouterr().err
    assert f"to {cfg}" in err
    assert _run(["--scheduler", "lsf", "--config", cfg]) == 0
    out = capsys.readouterr().out
    assert "#BSUB -nnodes 1" in out and "#BSUB -R" not in out
    assert "jsrun -n 1 /ccs/home/mrocklin/anaconda/bin/python -m distributed" in out


def test_unreadable_known_good_file(tmp_path, capsys):
    cfg = _config(tmp_path, "jobqueue:\n  slurm:\n    cores: 1\n    memory: 1GB\n")
    assert _run(["--scheduler", "slurm", "--config", cfg, "--import-known-good",
                 str(tmp_path / "nope.sh")]) == 2
    assert "cannot read" in capsys.readouterr().err
