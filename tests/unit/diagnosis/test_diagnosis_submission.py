"""Diagnosis of rejected submissions and submit-side errors (failure modes 8, 9, 19, 22, 23), on
the catalogue's texts, the seed's Summit rejection and the testbed's real sbatch refusal."""

from __future__ import annotations

from pathlib import Path

from hpctui.core.diagnosis import ADD_DIRECTIVE, SET, SKIP_HEADER, PatchOp, Signals, apply_fix, \
    diagnose
from hpctui.core.jobscript.render import render_job_script
from hpctui.core.config.profile import Profile
from hpctui.core.jobscript.rejection import SubmitRejection
from hpctui.schedulers.base import JobRow, JobState

FIXTURES = Path(__file__).parents[2] / "fixtures"

SUMMIT = Profile("lsf", {"cores": 128, "processes": 8, "memory": "500 GB", "walltime": "00:30",
                         "project": "GEN119", "lsf-units": "mb"})


def rejected(stderr: str, command="sbatch /tmp/tmpjob.sh", code=1, stdout="") -> SubmitRejection:
    return SubmitRejection(command, code, stdout, stderr)


def captured(path: Path) -> SubmitRejection:
    """A `command/exit_code/--- stdout/--- stderr` capture (tests/fixtures/slurm/README.md)."""
    text = path.read_text()
    command = text.split("\n", 1)[0].removeprefix("# command:").strip()
    code = int(text.split("exit_code:", 1)[1].split("\n", 1)[0])
    stdout = text.split("--- stdout\n", 1)[1].split("--- stderr", 1)[0]
    stderr = text.split("--- stderr\n", 1)[1]
    return SubmitRejection(command, code, stdout, stderr)


def only(findings, mode):
    hits = [f for f in findings if f.mode == mode]
    assert hits, [f.rule_id for f in findings]
    return hits[0]


def header(script: str) -> list[str]:
    return [line for line in script.splitlines() if line.startswith("#") and not line.startswith("#!")]


# --- mode 8: Summit's bsub ---------------------------------------------------------------------

def test_summit_bsub_rejection_skips_n_R_M_and_adds_nnodes():
    rej = SubmitRejection.from_error_text(
        (FIXTURES / "diagnosis" / "summit_bsub_rejection.txt").read_text())
    f = only(diagnose(Signals(profile=SUMMIT, submit_failures=(rej,))), 8)
    assert f.rule_id == "lsf-easy-mode"
    texts = [e.text for e in f.evidence]
    assert "ERROR: -n is no longer supported. Please request nodes with -nnodes." in texts
    assert ("ERROR: Resource strings (-R) are not supported in easy mode. Please resubmit "
            "without a resource string.") in texts
    assert "bsub /tmp/tmp4874eufw.sh (exit code 255)" in texts
    assert f.fix.ops == (
        PatchOp(SKIP_HEADER, "job-directives-skip", "#BSUB -n", "#BSUB -n 128"),
        PatchOp(SKIP_HEADER, "job-directives-skip", "#BSUB -R", '#BSUB -R "span[hosts=1]"'),
        PatchOp(SKIP_HEADER, "job-directives-skip", "#BSUB -M", "#BSUB -M 500000"),
        PatchOp(ADD_DIRECTIVE, "job-extra-directives", "-nnodes 1"),
    )
    fixed = header(render_job_script(apply_fix(SUMMIT, f.fix)))
    assert fixed == ["#BSUB -J dask-worker", '#BSUB -P "GEN119"', "#BSUB -W 00:30",
                     "#BSUB -nnodes 1"]


def test_summit_rejection_without_profile_uses_the_seeds_entries():
    rej = rejected("ERROR: -n is no longer supported. Please request nodes with -nnodes.",
                   command="bsub", code=255)
    f = only(diagnose(Signals(submit_failures=(rej,))), 8)
    assert [op.value for op in f.fix.ops] == ["-n ", "-R ", "-M ", "-nnodes 1"]


# --- mode 8: SLURM memory per CPU --------------------------------------------------------------

def test_slurm_mem_per_node_refused_becomes_mem_per_cpu():
    profile = Profile("slurm", {"cores": 8, "memory": "20GB", "walltime": "01:00:00"})
    rej = rejected("sbatch: error: lua: Requesting memory by node is not supported. "
                   "Use --mem-per-cpu.\nsbatch: error: Batch job submission failed: "
                   "Unspecified error")
    f = only(diagnose(Signals(profile=profile, submit_failures=(rej,))), 8)
    assert f.rule_id == "slurm-mem-per-cpu"
    assert f.evidence[1].text.startswith("sbatch: error: lua: Requesting memory by node")
    # 20 GB / 8 cores = 2.5e9 bytes, rounded up in SLURM's binary units.
    assert f.fix.ops == (PatchOp(SKIP_HEADER, "job-directives-skip", "#SBATCH --mem",
                                 "#SBATCH --mem=19G"),
                         PatchOp(ADD_DIRECTIVE, "job-extra-directives", "--mem-per-cpu=3G"))
    fixed = header(render_job_script(apply_fix(profile, f.fix)))
    assert "#SBATCH --mem-per-cpu=3G" in fixed
    assert not any(line.startswith("#SBATCH --mem=") for line in fixed)


# --- mode 8: unknown partition / queue (the testbed's real sbatch) ------------------------------

def test_testbed_bad_partition_sets_queue_to_a_listed_partition():
    rej = captured(FIXTURES / "slurm" / "sbatch_bad_partition.txt")
    profile = Profile("slurm", {"cores": 1, "memory": "1GB", "queue": "nosuchpartition"})
    f = only(diagnose(Signals(profile=profile, submit_failures=(rej,),
                              partitions=("debug*", "long"))), 8)
    assert f.rule_id == "unknown-queue"
    assert "'nosuchpartition'" in f.title
    assert "sbatch: error: invalid partition specified: nosuchpartition" in [e.text for e in f.evidence]
    assert f.fix.ops == (PatchOp(SET, "queue", "debug"),)


def test_sge_unknown_queue_without_a_list_says_how_to_find_one():
    rej = rejected('Unable to run job: Job was rejected because job requests unknown queue "all.qq".\n'
                   "Exiting.", command="qsub /tmp/x.sh")
    f = only(diagnose(Signals(profile=Profile("sge"), submit_failures=(rej,))), 8)
    assert "'all.qq'" in f.title
    assert f.fix.ops == () and "queue" in f.fix.action


# --- mode 8: the rest of the catalogue's rejections ---------------------------------------------

def test_memory_cannot_be_satisfied():
    rej = rejected("sbatch: error: Memory specification can not be satisfied\n"
                   "sbatch: error: Batch job submission failed: Requested node configuration "
                   "is not available")
    f = only(diagnose(Signals(submit_failures=(rej,))), 8)
    assert f.rule_id == "request-too-big"
    assert len([e for e in f.evidence if e.source == "sbatch stderr"]) == 2
    assert "sinfo" in f.fix.action


def test_qsub_command_syntax_invalid():
    rej = rejected("qsub: Command syntax invalid", command="qsub /tmp/tmpjob.sh", code=2)
    f = only(diagnose(Signals(profile=Profile("pbs"), submit_failures=(rej,))), 8)
    assert f.rule_id == "qsub-syntax"
    assert f.evidence[-1].text == "qsub: Command syntax invalid"
    assert "resource-spec" in f.fix.action


def test_pbs_exit_code_32_without_a_message():
    rej = rejected("", command="qsub /tmp/tmpjob.sh", code=32)
    f = only(diagnose(Signals(submit_failures=(rej,))), 8)
    assert f.rule_id == "qsub-syntax"
    assert f.evidence[0].text == "qsub /tmp/tmpjob.sh (exit code 32)"


def test_an_unknown_rejection_points_at_the_lines_it_names():
    profile = Profile("slurm", {"cores": 2, "memory": "4GB", "walltime": "00:30:00"})
    rej = rejected("sbatch: error: Walltime exceeds the maximum of 00:20:00 for this site")
    f = only(diagnose(Signals(profile=profile, submit_failures=(rej,))), 8)
    assert f.rule_id == "submission-rejected"
    assert [op.line for op in f.fix.ops] == ["#SBATCH -t 00:30:00"]


# --- mode 9 --------------------------------------------------------------------------------------

def test_job_id_not_parsed():
    err = ("ValueError: Could not parse job id from submission command output.\n"
           "Job id regexp is '(?P<job_id>\\\\d+)'\nSubmission command output is:\n"
           "Welcome to Cluster X! Your job was queued as job.abc")
    f = only(diagnose(Signals(errors=(err,))), 9)
    assert f.evidence[0].source == "hpctui"
    assert "job_id_regexp" in f.fix.action


def test_a_job_id_not_found_is_not_also_a_refusal():
    # What the session's collector records for it: the command succeeded (exit code 0).
    from hpctui.core.jobscript.rejection import SubmitRejection

    err = ("Could not parse job id from submission command output.\nJob id regexp is "
           "'(?P<job_id>\\d+)'\nSubmission command output is:\nYour job has been accepted by "
           "the site wrapper")
    rej = SubmitRejection(command="sbatch /tmp/x.sh", exit_code=0, stdout="", stderr=err)
    profile = Profile("slurm", {"cores": 2, "memory": "4GB"})
    found = diagnose(Signals(profile=profile, submit_failures=(rej,), errors=(err,)))
    assert [f.mode for f in found] == [9], [f.rule_id for f in found]
    assert "cancel it by its name" in found[0].explanation


# --- mode 19 -------------------------------------------------------------------------------------

def test_slurm_temporarily_unable_and_qos_limits():
    rej = rejected("sbatch: error: Slurm temporarily unable to accept job, sleeping and retrying")
    queue = (JobRow("41", JobState.PENDING, "PD", "QOSMaxJobsPerUserLimit"),)
    f = only(diagnose(Signals(submit_failures=(rej,), queue=queue)), 19)
    texts = [e.text for e in f.evidence]
    assert "sbatch: error: Slurm temporarily unable to accept job, sleeping and retrying" in texts
    assert "PD (QOSMaxJobsPerUserLimit)" in texts
    assert "fewer, bigger jobs" in f.fix.action
    # A job held back by a limit is explained by mode 19, not as merely "pending".
    assert not [x for x in diagnose(Signals(queue=queue)) if x.mode == 17]


# --- mode 22 -------------------------------------------------------------------------------------

def test_cores_and_memory_missing():
    err = ("ValueError: You must specify how much cores and memory per job you want to use, for "
           "example:\ncluster = SLURMCluster(cores=24, memory='100GB')")
    profile = Profile("slurm", {"memory": "8GB"})
    f = only(diagnose(Signals(profile=profile, errors=(err,))), 22)
    assert f.fix.ops == (PatchOp(SET, "cores", 1),)
    assert render_job_script(apply_fix(profile, f.fix)).count("--cpus-per-task=1") == 1


# --- mode 23 -------------------------------------------------------------------------------------

def test_submit_command_missing_on_this_node():
    err = "FileNotFoundError: [Errno 2] No such file or directory: 'oarsub'"
    f = only(diagnose(Signals(profile=Profile("oar"), errors=(err,))), 23)
    assert f.rule_id == "submit-command-missing"
    assert "login node" in f.fix.action
