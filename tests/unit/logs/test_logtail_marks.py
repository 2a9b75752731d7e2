"""classify_line: levels and failure-mode marks on real-looking log lines."""

from __future__ import annotations

import pytest

from hpctui.core.logs.marks import MARKS, Level, classify_line

# Lines as distributed 2026 / SLURM / LSF print them (from the failure-mode catalogue and the
# testbed), with the mark each must carry.
CASES = [
    ("2026-11-27 19:01:02,345 - distributed.nanny - ERROR - Failed to start process\n"
     .rstrip(), Level.ERROR, set()),
    ("OSError: Timed out trying to connect to tcp://192.168.1.5:41234 after 30 s",
     Level.ERROR, {"connect-timeout", "exception"}),
    ("2026-11-27 19:01:02,345 - distributed.nanny - INFO - Closing Nanny at "
     "'tcp://10.77.0.2:33001'. Reason: failure-to-start-<class 'OSError'>",
     Level.ERROR, {"failure-to-start"}),
    ("RuntimeError: Nanny failed to start.", Level.ERROR, {"nanny-failed", "exception"}),
    ("2026-11-27 19:01:02,345 - distributed.worker - INFO - Waiting to connect to: "
     "tcp://192.168.1.5:41234", Level.WARNING, {"waiting-to-connect"}),
    ("OSError: [Errno 113] No route to host", Level.ERROR, {"no-route", "exception"}),
    ("/x/distributed/utils.py:180: RuntimeWarning: Couldn't detect a suitable IP address for "
     "reaching '8.8.8.8', defaulting to hostname: [Errno 101] Network is unreachable",
     Level.ERROR, {"no-suitable-ip", "network-unreachable"}),
    ("Traceback (most recent call last):", Level.ERROR, {"traceback"}),
    ("2026-11-27 23:01:02,345 - distributed.worker - INFO - Stopping worker at "
     "tcp://10.213.7.2:40313. Reason: worker-handle-scheduler-connection-broken", Level.WARNING,
     {"scheduler-gone"}),
    ("Error: No such option '--nprocs'.", Level.ERROR, {"nprocs-option", "exception"}),
    ("Error: Got unexpected extra arguments: (2 tcp://127.0.0.1:9). If you intended these as "
     "values for a --preload module, list --preload before them.", Level.ERROR,
     {"nprocs-option", "exception"}),
    ("slurmstepd: error: *** JOB 42 ON node1 CANCELLED AT 2026-11-27T19:00:00 DUE TO TIME LIMIT ***",
     Level.ERROR, {"time-limit"}),
    ("slurmstepd: error: Detected 1 oom-kill event(s) in StepId=42.batch.", Level.ERROR,
     {"oom-kill"}),
    ("2026-11-27 19:01:02,345 - distributed.worker.memory - WARNING - Worker is at 96% memory "
     "usage. Exceeded 95% memory budget. Restarting...", Level.WARNING, {"memory-budget"}),
    ("2026-11-27 19:01:02,345 - distributed.nanny - WARNING - Worker process 1234 was killed "
     "by signal 9", Level.ERROR, {"killed-signal-9"}),
    ("ValueError: 'ib0' is not a valid network interface. Valid network interfaces are: "
     "['lo', 'eth0']", Level.ERROR, {"bad-interface", "exception"}),
    ("sbatch: error: Memory specification can not be satisfied", Level.ERROR, {"submit-memory"}),
    ("TERM_MEMLIMIT: job killed after reaching LSF memory usage limit.", Level.ERROR,
     {"lsf-memlimit"}),
    ("2026-11-27 19:01:02,345 - distributed.diskutils - WARNING - Creating scratch directories "
     "is taking a surprisingly long time.", Level.WARNING, {"slow-scratch"}),
    ("2026-11-27 19:01:02,345 - distributed.worker - INFO -       Start worker at: "
     "tcp://10.77.0.2:40000", Level.INFO, set()),
    ("2026-11-27 19:01:02,345 - distributed.worker - DEBUG - heartbeat", Level.DEBUG, set()),
    ("just some output", None, set()),
]


@pytest.mark.parametrize("text,level,marks", CASES)
def test_classify(text, level, marks):
    got = classify_line(text)
    assert got.level == level
    assert {m.name for m in got.marks} == marks
    assert got.matters == bool(marks)


def test_every_mark_names_a_known_failure_mode_or_is_generic():
    names = [m.name for m in MARKS]
    assert len(names) == len(set(names))
    for m in MARKS:
        assert m.failure_mode is None or 1 <= m.failure_mode <= 24, m.name
        assert m.summary


def test_error_text_inside_an_info_line_is_not_an_exception():
    got = classify_line("2026-11-27 19:01:02,345 - distributed.worker - INFO - no OSError here")
    assert got.level == Level.INFO and not got.matters


def test_waiting_to_connect_is_a_sign_only_until_the_jobs_worker_connected():
    from hpctui.core.logs.marks import in_force, legend

    text = ("2026-11-27 19:01:02,345 - distributed.worker - INFO - Waiting to connect to: "
            "tcp://192.168.1.5:41234")
    cls = classify_line(text)
    assert in_force(cls, connected=False) == cls and cls.matters
    healthy = in_force(cls, connected=True)
    assert not healthy.matters and healthy.level == Level.INFO  # the line's own level
    assert "until a worker of the job connects" in legend(cls.marks)
    # A time-out is trouble whatever the job's state.
    timeout = classify_line("OSError: Timed out trying to connect to tcp://10.0.0.1:8786")
    assert in_force(timeout, connected=True) == timeout
    assert legend(timeout.marks).startswith("connect-timeout: the worker could not reach")


def test_the_quick_pass_finds_what_each_marks_own_case_blind_search_finds():
    import re

    from hpctui.core.logs.marks import _ANY, lowered

    assert lowered(r"CANCELLED AT \S+ DUE \(x\) [\w.]+") == r"cancelled at \S+ due \(x\) [\w.]+"
    every = re.compile("|".join(f"(?:{m.regex})" for m in MARKS), re.IGNORECASE)
    texts = [text for text, _, _ in CASES] + [
        text.upper() for text, _, _ in CASES] + ["TIMED OUT TRYING TO CONNECT TO x",
                                                "Slurmstepd: CANCELLED AT 2026 DUE TO TIME LIMIT"]
    for text in texts:
        assert bool(_ANY.search(text.lower())) == bool(every.search(text)), text
