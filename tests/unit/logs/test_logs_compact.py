"""The compact rendering of log lines: distributed's records made short, tracebacks under
their record, anything else as written; on a real worker's start-up log."""

from __future__ import annotations

from pathlib import Path

from hpctui.core.logs.compact import CompactState, collapse, compact, logger_part

FIXTURE = Path(__file__).parents[2] / "fixtures" / "logs" / "distributed_worker_startup.err"


def _all(lines: list[str]) -> list[str]:
    state = CompactState()
    return [compact(line, state).text for line in lines]


def test_a_real_worker_start_up_log_becomes_time_letter_logger_message():
    raw = FIXTURE.read_text().splitlines()
    shown = _all(raw)
    assert len(shown) == len(raw)
    # The date once, on the first line; afterwards only when it changes.
    assert shown[0] == "2026-12-05 18:09:39 I nanny Start Nanny at: 'tcp://127.0.0.1:40885'"
    assert shown[1] == "18:09:40 I worker Start worker at: tcp://127.0.0.1:35917"
    assert shown[5] == "18:09:40 I worker Waiting to connect to: tcp://127.0.0.1:35643"
    assert shown[6] == "18:09:40 I worker ---"  # the banner's rule of 49 dashes
    assert shown[7] == "18:09:40 I worker Threads: 1"
    assert shown[14] == "18:09:40 I core Starting established connection to tcp://127.0.0.1:35643"
    assert all("  " not in s for s in shown)  # no padding left
    # Every line is shorter; the whole log is about half as long.
    assert all(len(s) < len(r) for s, r in zip(shown, raw))
    assert sum(map(len, shown)) < 0.6 * sum(map(len, raw))


def test_the_fields_of_a_record():
    c = compact("2026-12-05 07:20:39,034 - distributed.worker.memory - WARNING - "
                "Unmanaged memory use is high.    ", CompactState())
    assert (c.kind, c.date, c.time, c.level, c.logger) == (
        "record", "2026-12-05", "07:20:39", "WARNING", "memory")
    assert c.message == "Unmanaged memory use is high."
    assert c.text == "2026-12-05 07:20:39 W memory Unmanaged memory use is high."


def test_the_date_shows_again_when_it_changes():
    shown = _all(["2026-12-05 23:59:59,999 - distributed.worker - INFO - a",
                  "2026-12-05 23:59:59,999 - distributed.worker - ERROR - b",
                  "2026-12-06 00:00:00,001 - distributed.nanny - CRITICAL - c"])
    assert shown == ["2026-12-05 23:59:59 I worker a", "23:59:59 E worker b",
                     "2026-12-06 00:00:00 C nanny c"]


def test_a_traceback_under_a_record_is_indented_to_its_exception_line_and_chained_ones_too():
    lines = [
        "2026-12-05 07:20:39,034 - distributed.nanny - ERROR - Failed to start process",
        "Traceback (most recent call last):",
        '  File "/env/lib/python3.11/site-packages/distributed/core.py", line 664, in start',
        "    await wait_for(self.start_unsafe(), timeout=timeout)",
        "OSError: Timed out trying to connect to tcp://10.0.0.1:8786 after 30 s",
        "",
        "The above exception was the direct cause of the following exception:",
        "",
        "Traceback (most recent call last):",
        '  File "<frozen runpy>", line 198, in _run_module_as_main',
        "RuntimeError: Nanny failed to start.",
        "srun: error: node1: task 0: Exited with exit code 1",
    ]
    state = CompactState()
    got = [compact(line, state) for line in lines]
    kinds = [c.kind for c in got]
    assert kinds[0] == "record"
    assert kinds[1:5] == ["continuation"] * 4
    assert kinds[6] == kinds[8] == kinds[9] == kinds[10] == "continuation"
    assert got[4].text == "  OSError: Timed out trying to connect to tcp://10.0.0.1:8786 after 30 s"
    assert got[2].text.startswith('    File "/env')  # its own indent kept, two more in front
    # After the exception line, a line of another program is shown as it is.
    assert (got[-1].kind, got[-1].text) == ("other", lines[-1])


def test_lines_not_in_distributeds_format_are_shown_as_written():
    lines = ["just some output   with   spaces", "  indented, but after no record",
             "ValueError: not under a record", "2026-12-05 07:20:39 no logger here"]
    state = CompactState()
    for line in lines:
        c = compact(line, state)
        assert (c.kind, c.text) == ("other", line)


def test_reset_forgets_the_date_and_the_record():
    state = CompactState()
    compact("2026-12-05 07:20:39,034 - distributed.worker - INFO - a", state)
    state.reset()
    assert compact("2026-12-05 07:20:40,000 - distributed.worker - INFO - b", state).date
    state.reset()
    assert compact("    indented", state).kind == "other"


def test_collapse_and_logger_part():
    assert collapse("      Start worker at:      tcp://h:1") == "Start worker at: tcp://h:1"
    assert collapse("-" * 49) == "---"
    assert collapse("a -- b --- c") == "a -- b --- c"  # short dashes are text, not padding
    assert logger_part("distributed.worker") == "worker"
    assert logger_part("tornado") == "tornado"
