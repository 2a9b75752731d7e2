"""Which header lines a rejected submission points at, on real batch-system wording."""

from __future__ import annotations

from pathlib import Path

from hpctui.core.jobscript.rejection import SubmitRejection, lines_mentioned, options_of, rejection_lines

FIXTURES = Path(__file__).parents[2] / "fixtures"

SUMMIT_HEADER = [
    "#BSUB -J dask-worker",
    "#BSUB -P GEN119",
    "#BSUB -n 128",
    '#BSUB -R "span[hosts=1]"',
    "#BSUB -M 600000",
    "#BSUB -W 00:30",
]
SUMMIT_ERROR = """Command exited with non-zero exit code.
Exit code: 255
Command:
bsub /tmp/tmp4874eufw.sh
stdout:

Typical usage:
\tbsub [LSF arguments] jobscript

NOTES:
 * All jobs must specify a walltime (-W) and project id (-P)
 * Standard jobs must specify a node count (-nnodes) or -ln_slots. These jobs cannot specify a resource string (-R).

stderr:
ERROR: Resource strings (-R) are not supported in easy mode. Please resubmit without a resource string.
ERROR: -n is no longer supported. Please request nodes with -nnodes.
ERROR: No nodes requested. Please request nodes with -nnodes.
"""

SLURM_HEADER = [
    "#SBATCH -J dask-worker",
    "#SBATCH -p debug",
    "#SBATCH -n 1",
    "#SBATCH --cpus-per-task=4",
    "#SBATCH --mem=8G",
    "#SBATCH -t 01:00:00",
    "#SBATCH -A bio",
]


def test_summit_error_split_into_fields():
    r = SubmitRejection.from_error_text(SUMMIT_ERROR)
    assert r.command == "bsub /tmp/tmp4874eufw.sh"
    assert r.exit_code == 255
    assert "NOTES:" in r.stdout and "stderr" not in r.stdout
    assert r.stderr.startswith("ERROR: Resource strings (-R)")


def test_unparsable_text_kept_as_stderr():
    r = SubmitRejection.from_error_text("something odd happened")
    assert r.exit_code is None and r.stderr == "something odd happened"


def test_summit_points_at_n_and_R_not_at_the_usage_notes():
    r = SubmitRejection.from_error_text(SUMMIT_ERROR)
    assert rejection_lines(r, SUMMIT_HEADER) == [2, 3]
    # stdout alone names -W and -P (usage notes): used only when stderr points nowhere.
    assert rejection_lines(SubmitRejection("bsub x", 255, r.stdout, "ERROR"), SUMMIT_HEADER) \
        == [1, 3, 5]


def test_slurm_partition_from_real_capture():
    text = (FIXTURES / "slurm" / "sbatch_bad_partition.txt").read_text()
    stderr = text.split("--- stderr", 1)[1]
    assert lines_mentioned(stderr, SLURM_HEADER) == [1]


def test_slurm_memory_wordings():
    assert lines_mentioned("sbatch: error: Memory specification can not be satisfied",
                           SLURM_HEADER) == [4]
    # Points at --mem although it suggests --mem-per-cpu (which the script doesn't have).
    assert lines_mentioned("lua: Requesting memory by node is not supported. Use --mem-per-cpu.",
                           SLURM_HEADER) == [4]
    assert lines_mentioned("sbatch: error: Invalid time limit specification", SLURM_HEADER) == [5]
    assert lines_mentioned("sbatch: error: Invalid account or account/partition combination "
                           "specified", SLURM_HEADER) == [1, 6]


def test_pbs_resource_lists_and_queue():
    header = ["#PBS -N dask-worker", "#PBS -q batch", "#PBS -A bio",
              "#PBS -l select=1:ncpus=4:mem=8GB", "#PBS -l walltime=01:00:00"]
    assert options_of(header[3]) == {"-l", "select", "ncpus", "mem"}
    assert lines_mentioned("qsub: Job exceeds queue resource limits", header) == [1, 3, 4]
    assert lines_mentioned("qsub: Unknown queue", header) == [1]
    assert lines_mentioned("qsub: Job violates queue and/or server resource limits: mem",
                           header) == [1, 3, 4]
    # "resource" selects every -l line; "walltime" alone doesn't select the queue line.
    assert lines_mentioned("qsub: Illegal attribute or resource value Resource_List.walltime",
                           ["#PBS -l walltime=99", "#PBS -q x"]) == [0]


def test_nothing_mentioned_gives_no_lines():
    assert lines_mentioned("sbatch: error: Batch job submission failed: Socket timed out",
                           SLURM_HEADER) == []
    assert lines_mentioned("", SLURM_HEADER) == []


def test_htcondor_keys():
    header = ["universe = vanilla", "request_memory = 8000", "request_cpus = 4"]
    assert options_of(header[1]) == {"request_memory"}


def test_resource_names_as_written_in_the_message():
    sge = ["#$ -N dask-worker", "#$ -q all.q", "#$ -l h_vmem=8G", "#$ -l h_rt=01:00:00"]
    assert lines_mentioned('Unable to run job: unknown resource "h_vmem"', sge) == [2, 3]
    assert lines_mentioned("denied: job requests unknown queue", sge) == [1]
    condor = ["universe = vanilla", "request_memory = 8000", "request_cpus = 4"]
    assert lines_mentioned("ERROR: request_cpus must be a positive integer", condor) == [2]
