"""Grid Engine: qstat -xml -r, qstat -j and qconf -sql as the real Grid Engine 8.1.9 of the testbed
printed them (tests/fixtures/sge, recorded by capture.sh)."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from hpctui.schedulers import sge
from hpctui.schedulers.base import JobRow, JobState, ParseError, merge_rows

FIXTURES = Path(__file__).parents[2] / "fixtures" / "sge"


def _rows(name: str) -> dict[str, JobRow]:
    return {r.job_id: r for r in sge.parse_status((FIXTURES / name).read_text())}


def test_status_command():
    assert sge.status_command(["6101"]) == ["qstat", "-xml", "-r", "-u", getpass.getuser()]


def test_parse_real_states():
    rows = _rows("qstat_xml_r_states.xml")
    by_name = {r.name: r for r in rows.values()}
    assert set(by_name) == {"cap-run", "cap-pend", "cap-held", "cap-err", "cap-arr"}
    run = by_name["cap-run"]
    assert (run.state, run.raw_state, run.nodes, run.reason) == (JobState.RUNNING, "r", "gecn01", "")
    # Grid Engine 8.1 prints h_rt in seconds: shown as a duration.
    assert (run.time_limit, run.time_limit_s) == ("10:00", 600)
    pend = by_name["cap-pend"]
    assert (pend.state, pend.raw_state, pend.nodes, pend.time_limit_s) == (
        JobState.PENDING, "qw", "", None)
    held = by_name["cap-held"]
    assert (held.state, held.raw_state) == (JobState.PENDING, "hqw")
    assert held.reason == f"held (hqw): `qrls {held.job_id}` releases it"
    err = by_name["cap-err"]
    assert (err.state, err.raw_state) == (JobState.FAILED, "Eqw")
    assert "qstat -j" in err.reason


def test_array_tasks_are_one_row():
    text = (FIXTURES / "qstat_xml_r_states.xml").read_text()
    assert text.count("<JB_name>cap-arr</JB_name>") == 3
    rows = sge.parse_status(text)
    assert [r.name for r in rows].count("cap-arr") == 1
    assert len({r.job_id for r in rows}) == len(rows)


def test_deleting_running_job():
    rows = {r.name: r for r in _rows("qstat_xml_r_deleting.xml").values()}
    assert (rows["cap-run"].state, rows["cap-run"].raw_state) == (JobState.COMPLETING, "dr")


@pytest.mark.parametrize("raw,state", [
    ("qw", JobState.PENDING), ("hqw", JobState.PENDING), ("hRwq", JobState.PENDING),
    ("r", JobState.RUNNING), ("Rr", JobState.RUNNING), ("t", JobState.PENDING),
    ("s", JobState.PENDING), ("S", JobState.PENDING), ("dr", JobState.COMPLETING),
    ("Eqw", JobState.FAILED), ("zz", JobState.UNKNOWN),
])
def test_state_letters(raw, state):
    assert sge._state(raw)[0] is state


def test_error_reason_from_qstat_j():
    err = next(r for r in _rows("qstat_xml_r_states.xml").values() if r.raw_state == "Eqw")
    assert sge.wants_detail(err)
    # Besides the error state, only a plain wait (qw) is asked about: held, running, arrays
    # running show their reason or need none.
    assert {r.raw_state for r in _rows("qstat_xml_r_states.xml").values()
            if sge.wants_detail(r)} == {"Eqw", "qw"}
    assert sge.detail_command([err.job_id, "12"]) == ["qstat", "-j", f"{err.job_id},12"]
    reasons = sge.parse_detail((FIXTURES / "qstat_j_eqw.txt").read_text())
    # Two jobs in one report (qstat -j 8,9), each with its own error reason.
    assert len(reasons) == 2
    job_id, reason = sorted(reasons.items())[0]
    assert reason.startswith("error state: can't open output file \"/nonexistent-hpctui/out/\": "
                             "No such file or directory")
    assert f"qmod -cj {job_id}" in reason
    assert "/out2/" in sorted(reasons.items())[1][1]
    assert sge.parse_detail("") == {}


def test_pending_reason_from_scheduling_info():
    # Recorded on the testbed: a job asking for more slots of PE smp than the node has, and
    # one submitted with -h (`qstat -j <pending>,<held>`, as capture.sh runs it).
    reasons = sge.parse_detail((FIXTURES / "qstat_j_qw.txt").read_text())
    assert list(reasons.values()) == ['cannot run in PE "smp" because it only offers 0 slots',
                                      "Job is in hold state"]


def test_scheduling_info_spans_lines_and_says_nothing_when_turned_off():
    block = ("job_number:                 7\n"
             "scheduling info:            queue instance \"all.q@gecn01\" dropped because it is full\n"
             "                            cannot run in PE \"smp\" because it only offers 0 slots\n"
             "                            queue instance \"all.q@gecn01\" dropped because it is full\n")
    assert sge.parse_detail(block) == {"7": 'queue instance "all.q@gecn01" dropped because it is '
                                            'full; cannot run in PE "smp" because it only offers '
                                            '0 slots'}
    off = ("job_number:                 7\nscheduling info:            (Collecting of scheduler "
           "job information is turned off)\n")
    assert sge.parse_detail(off) == {}


def test_queues():
    assert sge.queues_command() == ["qconf", "-sql"]
    assert sge.parse_queues((FIXTURES / "qconf_sql.txt").read_text()) == ("all.q",)


def test_empty_queue_and_vanished_jobs():
    assert sge.parse_status((FIXTURES / "qstat_xml_empty.xml").read_text()) == []
    [row] = merge_rows({}, [], ["6101"])
    assert row.state is JobState.DONE


def test_bad_output():
    with pytest.raises(ParseError, match="not XML"):
        sge.parse_status("job-ID  prior   name\n")


def test_log_paths():
    assert sge.log_paths("6101", "dask-worker", "/scratch/logs", "/home/a") == [
        Path("/scratch/logs/dask-worker.o6101")]
    assert sge.log_paths("6101", "dask-worker", None, "/home/a") == [Path("/home/a/dask-worker.o6101")]
