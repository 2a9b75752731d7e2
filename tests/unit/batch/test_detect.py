"""Batch-system detection: --scheduler wins, then PATH (with PBS vs SGE told apart), then local."""

import os
import stat
from pathlib import Path

import pytest

from hpctui.core.batch.detect import classify_qstat_help, detect


def _stand_in(bin_dir: Path, name: str, output: str = "") -> None:
    # A stand-in command: only its existence (and `qstat -help` text) matters to detection.
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\ncat <<'EOF'\n{output}\nEOF\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_explicit_scheduler_wins(tmp_path):
    _stand_in(tmp_path, "sbatch")
    d = detect("pbs", environ={"PATH": str(tmp_path)})
    assert d.kind == "pbs" and "--scheduler" in d.reason


def test_explicit_unknown_scheduler_names_valid_ones():
    with pytest.raises(ValueError, match="unknown batch system 'slrum'.*slurm"):
        detect("slrum", environ={"PATH": ""})


def test_nothing_on_path_is_local(tmp_path):
    d = detect(environ={"PATH": str(tmp_path)})
    assert d.kind == "local"


@pytest.mark.parametrize(
    "command,kind",
    [("sbatch", "slurm"), ("bsub", "lsf"), ("condor_submit", "htcondor"), ("oarsub", "oar")],
)
def test_submit_command_on_path(tmp_path, command, kind):
    _stand_in(tmp_path, command)
    d = detect(environ={"PATH": str(tmp_path)})
    assert d.kind == kind and command in d.reason


def test_sbatch_comes_before_qsub(tmp_path):
    _stand_in(tmp_path, "qsub")
    _stand_in(tmp_path, "sbatch")
    assert detect(environ={"PATH": str(tmp_path)}).kind == "slurm"


# First lines of `qstat -help` as the systems print them.
SGE_HELP = "SGE 8.1.9\nusage: qstat [options]\n        [-ext]                            view additional attributes"
SOGE_HELP = "GE 6.2u5\nusage: qstat [options]"
UGE_HELP = "UGE 8.6.4\nusage: qstat [options]"
PBS_HELP = "qstat: invalid option -- 'h'\nusage: \n  qstat [-f [-F json|dsv]] [-p] [-J] [-t] [-x] [-E] [ job_identifier... | destination... ]"


@pytest.mark.parametrize("text", [SGE_HELP, SOGE_HELP, UGE_HELP])
def test_grid_engine_help_is_sge(text):
    assert classify_qstat_help(text) == "sge"


def test_pbs_help_is_pbs():
    assert classify_qstat_help(PBS_HELP) == "pbs"
    assert classify_qstat_help("") == "pbs"


def test_qsub_with_sge_qstat(tmp_path):
    _stand_in(tmp_path, "qsub")
    _stand_in(tmp_path, "qstat", SGE_HELP)
    d = detect(environ={"PATH": str(tmp_path)})
    assert d.kind == "sge" and "Grid Engine" in d.reason


def test_qsub_with_pbs_qstat(tmp_path):
    _stand_in(tmp_path, "qsub")
    _stand_in(tmp_path, "qstat", PBS_HELP)
    assert detect(environ={"PATH": str(tmp_path)}).kind == "pbs"


def test_sge_root_means_sge(tmp_path):
    _stand_in(tmp_path, "qsub")
    assert detect(environ={"PATH": str(tmp_path), "SGE_ROOT": "/opt/sge"}).kind == "sge"
