"""Rules for rejected submissions and submit-side errors (failure modes 8, 9, 19, 22, 23).

Each batch system words its refusals its own way; the patterns below match loosely (case,
punctuation, version differences) and the fix is computed from the profile's own header lines.
"""

from __future__ import annotations

import math
import re

from hpctui.core.diagnosis.finding import ADD_DIRECTIVE, SET, Evidence, Finding, Fix, PatchOp
from hpctui.core.diagnosis.headers import header_lines, skip_lines_ops, skip_ops
from hpctui.core.diagnosis.search import error_lines, grep, rx, submit_lines
from hpctui.core.diagnosis.signals import Signals
from hpctui.core.jobscript.rejection import lines_mentioned, rejection_lines

_LSF_EASY_MODE = rx(r"-n\)? is no longer supported", r"Resource strings?\s*\(-R\)\s*(?:are|is) not supported",
                    r"No nodes requested", r"must specify a node count\s*\(-nnodes\)",
                    r"request nodes with -nnodes")
_MEM_PER_CPU = rx(r"Requesting memory by node is not supported", r"Use --mem-per-cpu",
                  r"--mem (?:is )?not (?:supported|allowed)")
_PARTITION = re.compile(
    r"invalid partition specified:?\s*[\"']?([\w.-]+)?|invalid partition name|"
    r"(?:job requests )?unknown queue(?: name)?(?:(?::\s*|\s+)[\"']([\w.-]+)[\"']|:\s*([\w.-]+))?|"
    r"queue\s+[\"']?([\w.-]+)[\"']?\s+does not exist|invalid queue|not a valid (?:queue|partition)|"
    r"([\w.-]+): No such queue|No such queue",
    re.I)
_UNSATISFIABLE = rx(r"Memory specification can not be satisfied",
                    r"Requested node configuration is not available",
                    r"more (?:memory|processors|cpus) (?:than|requested)",
                    r"exceeds? (?:the )?(?:available|maximum|node) (?:memory|cpus|resources)",
                    r"Job exceeds queue resource limits", r"not enough (?:memory|cpus|slots)")
_PBS_SYNTAX = rx(r"Command syntax invalid", r"Unknown resource", r"Illegal attribute or resource value",
                 r"qsub: (?:illegal|invalid) option", r"Unknown resource type")
_ACCOUNT = rx(r"invalid account", r"must specify (?:an? )?(?:account|project|allocation)",
              r"no (?:valid )?(?:account|project) (?:specified|given)", r"invalid project",
              r"Project .{0,40} (?:not valid|does not exist)", r"account/partition combination")
_JOB_ID = rx(r"Could not parse job id from submission command output")
_LIMITS = rx(r"temporarily unable to accept job", r"QOSMax\w*Limit", r"AssocMax\w*Limit",
             r"job submit limit", r"max(?:imum)? (?:number of )?(?:submitted )?jobs",
             r"would exceed .{0,60}limit", r"Job violates accounting/QOS policy",
             r"too many jobs", r"MaxSubmitJobs")
_CORES_MEMORY = rx(r"You must specify how (?:much|many) (?:cores|memory)",
                   r"must specify how many cores", r"must specify how much memory")
_COMMAND_MISSING = re.compile(
    r"(sbatch|qsub|bsub|msub|oarsub|condor_submit|squeue|qstat|bjobs|oarstat|condor_q)"
    r"[:'\"]?\s*(?:command )?not found|No such file or directory:\s*'"
    r"(sbatch|qsub|bsub|msub|oarsub|condor_submit)'", re.I)


def _quotes(s: Signals, pattern: re.Pattern) -> list[Evidence]:
    return grep(submit_lines(s), pattern)


def _command_evidence(s: Signals) -> list[Evidence]:
    return [Evidence("submission", f"{r.command} (exit code {r.exit_code})")
            for r in s.submit_failures[:1] if r.command]


def lsf_easy_mode(s: Signals) -> list[Finding]:
    """Mode 8 (Summit's LSF): no -n/-R/-M in easy mode; -nnodes required."""
    evidence = _quotes(s, _LSF_EASY_MODE)
    if not evidence:
        return []
    options = ["-n", "-R"]
    lines = header_lines(s.profile)
    if any("-M" in line.split() for line in lines) or (not lines and s.profile is None):
        options.append("-M")  # memory limits go with -n/-R in easy mode (the seed's fix)
    ops = skip_ops(s.profile, options)
    extra = list(s.profile.get("job-extra-directives") or []) if s.profile else []
    if not any("-nnodes" in str(d) for d in extra):
        ops.append(PatchOp(ADD_DIRECTIVE, "job-extra-directives", "-nnodes 1"))
    return [Finding(
        "lsf-easy-mode", 8, "The site's bsub wants whole nodes (-nnodes), not -n/-R",
        "This LSF (Summit's CSM 'easy mode') refuses the `-n` slot count and `-R` resource "
        "strings dask-jobqueue writes, and requires a node count. Skipping those header lines "
        "and adding `-nnodes 1` gives one whole node per job.",
        tuple(_command_evidence(s) + evidence), 0.95, Fix(tuple(ops)))]


def _mem_per_cpu(s: Signals) -> str | None:
    from dask.utils import parse_bytes
    from dask_jobqueue.slurm import slurm_format_bytes_ceil

    p = s.profile
    if p is None:
        return None
    memory = p.get("job-mem") or p.get("memory")
    cpus = p.get("job-cpu") or p.get("cores")
    try:
        per_cpu = math.ceil(parse_bytes(str(memory)) / int(cpus))
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return slurm_format_bytes_ceil(per_cpu)


def slurm_mem_per_cpu(s: Signals) -> list[Finding]:
    """Mode 8 (SLURM sites with a submit filter): memory per CPU instead of per node."""
    evidence = _quotes(s, _MEM_PER_CPU)
    if not evidence:
        return []
    ops = skip_ops(s.profile, ["--mem"])
    per_cpu = _mem_per_cpu(s)
    action = None
    if per_cpu:
        ops.append(PatchOp(ADD_DIRECTIVE, "job-extra-directives", f"--mem-per-cpu={per_cpu}"))
    else:
        action = "add `--mem-per-cpu=<memory / cores, rounded up>` to job-extra-directives"
    return [Finding(
        "slurm-mem-per-cpu", 8, "The site wants memory per CPU (--mem-per-cpu), not --mem",
        "The site's submit filter refuses `--mem` (memory per node). Skipping that line and "
        "asking the same total as `--mem-per-cpu` (memory / cores, rounded up) keeps the "
        "workers' memory.",
        tuple(_command_evidence(s) + evidence), 0.95, Fix(tuple(ops), action))]


def unknown_partition(s: Signals) -> list[Finding]:
    """Mode 8: the queue/partition named does not exist."""
    evidence = _quotes(s, _PARTITION)
    if not evidence:
        return []
    bad = next((g for ev in evidence if (m := _PARTITION.search(ev.text))
                for g in m.groups() if g), None)
    if bad is None and s.profile is not None:
        bad = s.profile.get("queue")
    choices = [p.rstrip("*") for p in s.partitions if p.rstrip("*") != bad]
    ops: tuple[PatchOp, ...] = ()
    action = None
    if choices:
        ops = (PatchOp(SET, "queue", choices[0]),)
        evidence = evidence + [Evidence("partitions", ", ".join(s.partitions))]
    else:
        action = ("set `queue` to a partition/queue that exists (`sinfo -s`, `qstat -Q`, "
                  "`bqueues` list them)")
    return [Finding(
        "unknown-queue", 8, f"The queue {bad!r} does not exist" if bad else "Unknown queue",
        "The batch system has no partition/queue of that name (or you may not use it). "
        + (f"It lists: {', '.join(choices)}." if choices else ""),
        tuple(_command_evidence(s) + evidence), 0.9, Fix(ops, action))]


def unsatisfiable_request(s: Signals) -> list[Finding]:
    """Mode 8: more memory or CPUs than a node (or the queue) has."""
    evidence = _quotes(s, _UNSATISFIABLE)
    if not evidence:
        return []
    return [Finding(
        "request-too-big", 8, "No node can satisfy the memory or CPUs asked for",
        "The job asks for more memory or CPUs than any node of that partition has (or than "
        "its limits allow). Lower `memory`/`cores` (or `job-mem`) to fit one node, or pick a "
        "partition with bigger nodes.",
        tuple(_command_evidence(s) + evidence), 0.85,
        Fix((), "lower `memory` and `cores` to what one node has: `sinfo -o '%P %c %m'` "
                "(SLURM) or `pbsnodes -a` lists CPUs and memory per node"))]


def pbs_syntax(s: Signals) -> list[Finding]:
    """Mode 8: qsub refuses the resource request's syntax (PBS exit code 32 among others)."""
    evidence = _quotes(s, _PBS_SYNTAX)
    exit32 = [r for r in s.submit_failures
              if r.exit_code == 32 and (r.command.split() or [""])[0].endswith("qsub")]
    if not evidence and not exit32:
        return []
    ops: list[PatchOp] = []
    if s.profile is not None:
        text = " ".join(e.text for e in evidence)
        ops = skip_lines_ops(s.profile, lines_mentioned(text, header_lines(s.profile))) if text else []
    return [Finding(
        "qsub-syntax", 8, "qsub refused the job's resource request",
        "PBS/SGE could not parse the `-l` resource request dask-jobqueue wrote. Sites differ "
        "(PBS Pro wants `select=1:ncpus=N:mem=M`, Torque `nodes=1:ppn=N`, SGE its own "
        "complexes); `resource-spec` sets the whole request.",
        tuple(_command_evidence(s) + evidence), 0.8 if evidence else 0.6,
        Fix(tuple(ops), "set `resource-spec` to the site's form, e.g. "
                        "`select=1:ncpus=<cores>:mem=<memory>` for PBS Pro"))]


def account_required(s: Signals) -> list[Finding]:
    """Mode 8: the job needs a (valid) account/project."""
    evidence = _quotes(s, _ACCOUNT)
    if not evidence:
        return []
    key = "project" if s.kind in ("sge", "lsf", "oar") else "account"
    return [Finding(
        "account-required", 8, "The job needs a valid account (project)",
        f"The site charges jobs to an allocation; `{key}` names it.",
        tuple(_command_evidence(s) + evidence), 0.85,
        Fix((), f"set `{key}` to one of your allocations (`sacctmgr show assoc user=$USER`, "
                "`sshare -U`, or your site's allocation page)"))]


def unexplained_rejection(s: Signals) -> list[Finding]:
    """Mode 8: a rejection no specific rule explains; point at the lines it names."""
    specific = (_LSF_EASY_MODE, _MEM_PER_CPU, _PARTITION, _UNSATISFIABLE, _PBS_SYNTAX,
                _ACCOUNT, _LIMITS, _COMMAND_MISSING)
    findings = []
    for rej in s.submit_failures:
        text = f"{rej.stderr}\n{rej.stdout}"
        # Exit code 0 with no job id found is no refusal: the job was accepted (mode 9).
        if rej.exit_code == 0 or _JOB_ID.search(text) or any(p.search(text) for p in specific):
            continue
        lines = header_lines(s.profile)
        indices = rejection_lines(rej, lines) if lines else []
        ops = skip_lines_ops(s.profile, indices) if indices else []
        quoted = [Evidence("submit stderr", l.strip()) for l in rej.stderr.splitlines() if l.strip()][:5]
        quoted += [Evidence("job script", lines[i]) for i in indices]
        findings.append(Finding(
            "submission-rejected", 8, "The batch system refused the job script",
            "The submit command failed; its message is quoted. "
            + ("It names the header lines quoted; skipping them is a start."
               if ops else "It names no header line hpctui can match."),
            tuple(_command_evidence(s) + quoted), 0.5 if ops else 0.4,
            Fix(tuple(ops), "read the message, then skip or add header lines "
                            "(job-directives-skip, job-extra-directives) as the site asks")))
    return findings


def job_id_unparsed(s: Signals) -> list[Finding]:
    """Mode 9: the submit command printed something dask-jobqueue cannot read a job id from."""
    evidence = grep(error_lines(s), _JOB_ID) + grep(submit_lines(s), _JOB_ID)
    if not evidence:
        return []
    return [Finding(
        "job-id-unparsed", 9, "dask-jobqueue could not read the job id",
        "The submit command printed something other than the usual `Submitted batch job N` "
        "(a site wrapper, a banner, a different version). dask-jobqueue finds the id with its "
        "class's `job_id_regexp`. The job itself was accepted and may be running without "
        "hpctui knowing its id: cancel it by its name if it is (`scancel --name=...`, "
        "`qdel`, `bkill -J ...`).",
        tuple(evidence), 0.9,
        Fix((), "make the submit command print the job id alone (a wrapper script that runs "
                "`sbatch --parsable`), or subclass the Job class with a `job_id_regexp` that "
                "matches what your site prints"))]


def site_job_limits(s: Signals) -> list[Finding]:
    """Mode 19: the site caps jobs per user or refuses submissions for a while."""
    evidence = _quotes(s, _LIMITS) + grep(error_lines(s), _LIMITS)
    evidence += [Evidence(f"queue job {r.job_id}", f"{r.raw_state} ({r.reason})")
                 for r in s.queue if _LIMITS.search(r.reason)][:3]
    if not evidence:
        return []
    return [Finding(
        "site-job-limits", 19, "The site limits how many jobs you may have",
        "The batch system caps jobs per user (or was briefly unable to take more). Many "
        "one-worker jobs hit that cap; fewer, bigger jobs each holding several workers do not.",
        tuple(evidence), 0.85,
        Fix((), "use fewer, bigger jobs: raise `cores`, `memory` and `processes` so each job "
                "holds several workers, and scale to fewer jobs"))]


def cores_memory_missing(s: Signals) -> list[Finding]:
    """Mode 22: `cores` or `memory` unset."""
    evidence = grep(error_lines(s), _CORES_MEMORY)
    if not evidence:
        return []
    ops = []
    p = s.profile
    if p is None or not p.get("cores"):
        ops.append(PatchOp(SET, "cores", 1))
    if p is None or not p.get("memory"):
        ops.append(PatchOp(SET, "memory", "2GiB"))
    return [Finding(
        "cores-memory-missing", 22, "Cores and memory per job are not set",
        "dask-jobqueue needs `cores` and `memory` per job to write the job script. The values "
        "proposed are a small start (one core, 2 GiB); raise them to fit your nodes.",
        tuple(evidence), 0.95, Fix(tuple(ops)))]


def submit_command_missing(s: Signals) -> list[Finding]:
    """Mode 23: the batch system's commands are not on this node's PATH."""
    evidence = grep(error_lines(s), _COMMAND_MISSING) + grep(submit_lines(s), _COMMAND_MISSING)
    if not evidence:
        return []
    return [Finding(
        "submit-command-missing", 23, "The batch system's submit command is not here",
        "This node cannot submit jobs (some sites, e.g. OAR ones, only allow it on the login "
        "node, or a module must be loaded first).",
        tuple(evidence), 0.9,
        Fix((), "run hpctui on the login node, or load the batch system's module "
                "(`module load slurm`) so its commands are on PATH"))]


RULES = (lsf_easy_mode, slurm_mem_per_cpu, unknown_partition, unsatisfiable_request, pbs_syntax,
         account_required, unexplained_rejection, job_id_unparsed, site_job_limits,
         cores_memory_missing, submit_command_missing)
