"""A rejected submission: its parts, and which header lines of the job script it points at.

When `sbatch`/`qsub`/`bsub` refuses a job script, dask-jobqueue raises a RuntimeError whose
text holds the command, exit code, stdout and stderr. `SubmitRejection` holds those as
separate fields (parsed from that text, or given directly by the session), and
`lines_mentioned` finds the header lines the error talks about, loosely, for any batch
system's wording: an option named in the error (`-n`, `-R`, `--mem`) or a word naming what
an option asks for ("memory", "partition", "account", "time limit") selects the lines that
carry that option. Pure functions, no Textual, so they are tested on the real messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The shape of dask-jobqueue's submission error (dask_jobqueue/core.py, Job._call).
_ERROR_RE = re.compile(
    r"Exit code:\s*(?P<code>-?\d+)\s*\nCommand:\s*\n(?P<command>.*?)\n"
    r"stdout:\s*\n(?P<stdout>.*?)\nstderr:\s*\n(?P<stderr>.*)$",
    re.S,
)


@dataclass(frozen=True)
class SubmitRejection:
    """A job script the batch system refused: what ran and what it said."""

    command: str
    exit_code: int | None
    stdout: str
    stderr: str

    @classmethod
    def from_error_text(cls, text: str) -> "SubmitRejection":
        """Split dask-jobqueue's "Command exited with non-zero exit code" message.

        Text of any other shape is kept whole as stderr (exit code unknown), so nothing
        the batch system said is lost.
        """
        found = _ERROR_RE.search(text)
        if found is None:
            return cls(command="", exit_code=None, stdout="", stderr=text.strip())
        return cls(
            command=found.group("command").strip(),
            exit_code=int(found.group("code")),
            stdout=found.group("stdout").strip("\n"),
            stderr=found.group("stderr").strip("\n"),
        )


# Words in an error message -> the options (any batch system's spelling) that ask for that
# thing. An option is matched against the option names of a header line (`--mem=8G` has
# `--mem`; PBS `-l select=1:ncpus=4,mem=8GB` has `-l`, `select`, `ncpus`, `mem`).
_CONCEPTS: dict[str, tuple[str, ...]] = {
    r"mem(ory)?": ("--mem", "--mem-per-cpu", "-M", "mem", "h_vmem", "mem_free", "rusage"),
    r"partitions?": ("-p", "--partition"),
    r"queues?": ("-q", "-p", "--partition", "--qos"),
    r"qos": ("-q", "--qos"),
    r"accounts?|projects?|allocations?": ("-A", "--account", "-P", "-a", "--project"),
    r"time ?limits?|wall ?(clock|time)s?|run ?time|time specification": (
        "-t", "--time", "-W", "walltime", "h_rt"),
    r"nodes?|node count": ("-N", "--nodes", "-nnodes", "nodes", "select"),
    r"cpus?|cores?|tasks?|processors?|slots?|ncpus": (
        "-n", "-c", "--ntasks", "--cpus-per-task", "ncpus", "-pe", "core"),
    r"resource strings?|resource requests?|resources?": ("-R", "-l"),
    r"job names?": ("-J", "-N", "--job-name"),
    r"constraints?|features?": ("-C", "--constraint"),
    r"gpus?|gres": ("--gres", "--gpus", "-G", "ngpus", "gpu"),
    r"exclusive": ("--exclusive", "-x"),
}
_CONCEPT_RES = [(re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])", re.I), options)
                for pattern, options in _CONCEPTS.items()]
# An option as written in an error message: "-n", "--mem", "(-R)", "'-nnodes'".
_OPTION_IN_TEXT = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")
_DIRECTIVE_PREFIX = re.compile(r"^\s*#(?:SBATCH|PBS|BSUB|OAR|\$|MSUB)\s+")


def options_of(line: str) -> set[str]:
    """The option names a header line carries: `#SBATCH --mem=8G` -> {"--mem"}.

    Resource lists are opened up (`-l select=1:ncpus=4,walltime=1:00:00` -> `-l`, `select`,
    `ncpus`, `walltime`; `-R "rusage[mem=8]"` -> `-R`, `rusage`, `mem`); HTCondor's
    `Key = value` lines give their key.
    """
    body = _DIRECTIVE_PREFIX.sub("", line, count=1)
    if body == line and " = " in line and not line.lstrip().startswith("#"):
        return {line.split(" = ", 1)[0].strip().lower()}
    names: set[str] = set()
    for token in body.split():
        if token.startswith("-"):
            names.add(token.split("=", 1)[0])
        else:
            # A resource list's names: words directly before "=", or before "[".
            names.update(m.group(1) for m in re.finditer(r"([A-Za-z_][\w-]*)\s*[=\[]", token))
    return names


def _option_matches(wanted: str, have: set[str]) -> bool:
    # Options are case-sensitive (-n and -N differ); resource names are not.
    if wanted.startswith("-"):
        return wanted in have
    return wanted.lower() in {h.lower() for h in have if not h.startswith("-")}


def lines_mentioned(text: str, header_lines: list[str]) -> list[int]:
    """Indices of the header lines an error message points at (in header order).

    An option written in the message (`-R`, `--mem`, `-nnodes`) selects the lines that carry
    exactly that option; a word naming a resource ("memory", "partition", "time limit")
    selects the lines with any option that asks for it; a resource name written as the line
    has it (`h_vmem`, `request_memory`) selects that line.
    """
    wanted: set[str] = set(_OPTION_IN_TEXT.findall(text))
    for pattern, options in _CONCEPT_RES:
        if pattern.search(text):
            wanted.update(options)
    # Resource names quoted in the message as they are ("h_vmem", Resource_List.walltime).
    words = {w.lower() for w in re.findall(r"[A-Za-z_]\w{2,}", text)}
    hits = []
    for index, line in enumerate(header_lines):
        have = options_of(line)
        if any(_option_matches(w, have) for w in wanted) or any(
                h.lower() in words for h in have if not h.startswith("-")):
            hits.append(index)
    return hits


def rejection_lines(rejection: SubmitRejection, header_lines: list[str]) -> list[int]:
    """The header lines a rejection points at: from stderr, else from stdout.

    stderr is where batch systems say what is wrong; stdout often holds a usage text that
    names every option (LSF on Summit lists -W and -P in its NOTES), so it is read only
    when stderr points at nothing.
    """
    return (lines_mentioned(rejection.stderr, header_lines)
            or lines_mentioned(rejection.stdout, header_lines))
