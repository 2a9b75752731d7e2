"""`hpctui doctor` and the stack sampler, without a batch system: when the next round runs under
the sampler (`next_step`), how a round wires and reads it (`RoundSampler` on the recorded
files of a worker held on its workspace lock), and what the report says about it."""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from hpctui.core.doctor import stacks as ds
from hpctui.core.diagnosis import Evidence, Finding, Fix, PatchOp, apply_fix, diagnose
from hpctui.core.diagnosis.signals import Signals
from hpctui.core.doctor.run import _best_fix
from hpctui.core.doctor.types import DoctorInputError, DoctorOptions, DoctorReport, Environment, Round
from hpctui.core.doctor.report import render_report_text, report_to_json
from hpctui.core.config.profile import Profile
from hpctui.core.stacks.sampler_toggle import sampler_on

STACKS = Path(__file__).resolve().parents[2] / "fixtures" / "stacks"


def _round(**kw) -> Round:
    base = dict(number=1, job_script="#!/bin/bash\n", workers_wanted=1, workers_connected=0,
                connected=False, ended="timed out after 30 s", scheduler_address="tcp://10.0.0.1:1",
                job_ids=("17",), left_in_queue=(), findings=(), jobs_ran=1)
    base.update(kw)
    return Round(**base)


def _finding(confidence: float, ops=(), action=None) -> Finding:
    return Finding("x", 3, "Compute nodes cannot connect to the login node", "why",
                   (Evidence("probe", "all timed out"),), confidence, Fix(tuple(ops), action))


def _profile(tmp_path: Path, **extra) -> Profile:
    return Profile("slurm", {"cores": 1, "memory": "1GB", "log-directory": str(tmp_path / "logs"),
                             "python": "/opt/env/bin/python", **extra})


# -- the decision ------------------------------------------------------------------------

def test_unexplained_failure_with_running_jobs_samples_next():
    step = ds.next_step(_round(), None, ds.SAMPLE_AUTO)
    assert step.action == "sample" and step.sampled
    assert "never written" in step.reason


def test_connected_round_is_done():
    step = ds.next_step(_round(connected=True, workers_connected=1), None, ds.SAMPLE_AUTO)
    assert step.action == "done" and not step.sampled


def test_a_fix_comes_before_the_sampler():
    best = _finding(0.9, [PatchOp("set", "interface", "ib0")])
    assert ds.next_step(_round(), best, ds.SAMPLE_AUTO) == ds.NextStep(
        "fix", False, "apply set interface: 'ib0'")
    # --sample keeps the sampler on for the fixed round too.
    assert ds.next_step(_round(), best, ds.SAMPLE_ALWAYS).sampled


def test_no_second_sampled_round_and_never_with_no_sample():
    assert ds.next_step(_round(sampler=ds.SamplerRun("/l/s", 2, ())), None,
                        ds.SAMPLE_AUTO).action == "stop"
    assert ds.next_step(_round(), None, ds.SAMPLE_NEVER).action == "stop"
    # --sample: every round was sampled already; nothing new to try.
    assert ds.next_step(_round(sampler=ds.SamplerRun("/l/s", 0, ())), None,
                        ds.SAMPLE_ALWAYS).action == "stop"


def test_no_job_ran_means_nothing_to_sample():
    assert ds.next_step(_round(jobs_ran=0), None, ds.SAMPLE_AUTO).action == "stop"
    assert ds.next_step(_round(job_ids=(), jobs_ran=0), None, ds.SAMPLE_AUTO).action == "stop"


def test_a_confident_finding_without_config_fix_already_explains():
    # The probe proved the login node locked down: the sampler could not add anything.
    explained = _round(findings=(_finding(0.95, action="run from a compute node"),))
    step = ds.next_step(explained, None, ds.SAMPLE_AUTO)
    assert step.action == "stop" and "cannot connect" in step.reason
    # A vague one (0.5) does not.
    vague = _round(findings=(_finding(0.5, action="wait"),))
    assert ds.next_step(vague, None, ds.SAMPLE_AUTO).action == "sample"


def test_no_log_directory_stops_with_a_note_naming_the_key(tmp_path):
    no_place = ds.can_sample(Profile("slurm", {"cores": 1}))
    assert no_place and "log-directory" in no_place
    step = ds.next_step(_round(), None, ds.SAMPLE_AUTO, no_place)
    assert step.action == "stop" and "log-directory" in step.note
    assert ds.can_sample(_profile(tmp_path)) is None


def test_first_round_sampled_only_with_sample():
    assert ds.first_round_sampled(ds.SAMPLE_ALWAYS)
    assert not ds.first_round_sampled(ds.SAMPLE_AUTO)
    assert not ds.first_round_sampled(ds.SAMPLE_NEVER)


def test_options_refuse_an_unknown_sample_mode_by_name():
    with pytest.raises(DoctorInputError, match="sample.*'sometimes'"):
        DoctorOptions(sample="sometimes")


# -- one sampled round, on recorded files --------------------------------------------------

def _recorded_end() -> float:
    """The last sample's time in the recorded worker file: "now" as it was then."""
    lines = (STACKS / "lock-worker.stacks").read_text().splitlines()
    return max(float(line.split()[1]) for line in lines if line.startswith("T "))


def _sampled_round(tmp_path: Path):
    profile = _profile(tmp_path, **{"job-script-prologue": ["module load dask"]})
    sampler = ds.RoundSampler(profile, "doctor-test-round2", python="/usr/bin/python3")
    # The worker's files as the sampler wrote them on a node where global.lock was held.
    for name in ("lock-nanny.stacks", "lock-worker.stacks"):
        shutil.copy(STACKS / name, sampler.place.out_dir / name)
    return profile, sampler


def test_round_sampler_wires_in_memory_and_installs_the_copy(tmp_path):
    profile, sampler = _sampled_round(tmp_path)
    python = sampler.profile.settings["python"]
    assert python.startswith("/opt/env/bin/python ")
    assert "hpctui-sampler.py" in python and "doctor-test-round2" in python
    assert (tmp_path / "logs" / "hpctui-sampler.py").is_file()
    assert sampler.place.out_dir == tmp_path / "logs" / "hpctui-stacks" / "doctor-test-round2"
    assert sampler_on(sampler.profile) and not sampler_on(profile)
    assert profile.settings["python"] == "/opt/env/bin/python"


def test_poll_finds_the_lock_and_the_fix_applies_without_the_sampler(tmp_path):
    profile, sampler = _sampled_round(tmp_path)
    reports = sampler.poll(now=_recorded_end())
    # As seen at the last sample: stuck ~13 s in locket.
    assert [r.finding.site for r in reports] == ["file-lock"]
    assert "worker process" in reports[0].source
    findings = ds.with_hot_frames(diagnose(Signals(profile=profile, stacks=reports)),
                                  sampler.summaries)
    lock = next(f for f in findings if f.rule_id == "nfs-file-locks")
    assert lock.confidence >= 0.8
    sources = [e.source for e in lock.evidence]
    assert sources[0].startswith("stack ") and sources[1].startswith("hot stack ")
    hot = lock.evidence[1].text
    assert "locket" in hot and "distributed/diskutils.py" in hot and " <- " in hot
    best = _best_fix(findings, profile)
    assert best is lock
    fixed = apply_fix(profile, best.fix)
    assert fixed.distributed == {"worker.use-file-locking": False}
    assert fixed.settings["python"] == "/opt/env/bin/python"  # no sampler in what --fix writes
    assert fixed.settings["job-script-prologue"] == [
        "module load dask", "export DASK_DISTRIBUTED__WORKER__USE_FILE_LOCKING=False"]


def test_stack_notes_say_process_frame_and_time(tmp_path):
    _, sampler = _sampled_round(tmp_path)
    sampler.poll(now=_recorded_end())
    run = sampler.run()
    assert run.processes == 2 and run.samples_dir.endswith("doctor-test-round2")
    (note,) = run.found
    assert note.site == "file-lock" and note.stuck and "locket" in note.frame
    assert 10 <= note.seconds <= 20
    assert note.hot_frames[0] == note.frame and note.hot_share > 0.3
    assert note.describe().startswith(f"{note.process} stuck {note.seconds:.0f} s in ")


def test_healthy_worker_has_nothing_to_say(tmp_path):
    sampler = ds.RoundSampler(_profile(tmp_path), "healthy")
    for name in ("healthy-nanny.stacks", "healthy-worker.stacks"):
        shutil.copy(STACKS / name, sampler.place.out_dir / name)
    assert sampler.poll(now=_recorded_end()) == ()
    assert sampler.run().found == () and sampler.run().processes == 2


def test_a_profile_already_running_the_sampler_is_kept_and_old_files_ignored(tmp_path):
    from hpctui.core.stacks.sampler_wiring import placement_for, wire_sampler

    plain = _profile(tmp_path)
    wired = Profile("slurm", wire_sampler(dict(plain.settings), placement_for(plain.settings)))
    place = placement_for(wired.settings)
    place.out_dir.mkdir(parents=True)
    shutil.copy(STACKS / "lock-worker.stacks", place.out_dir / "old.stacks")  # an earlier run's
    sampler = ds.RoundSampler(wired, "unused")
    assert sampler.profile == wired and sampler.place == place
    assert sampler.poll() == () and sampler.run().processes == 0


# -- the report --------------------------------------------------------------------------------

def _report(rounds) -> DoctorReport:
    env = Environment("3.11.7", sys.executable, "1", "1", "0.9.0", "0.1", "login1", "slurm",
                      "chosen with --scheduler", ())
    return DoctorReport("slurm", "/c/dask.yaml", True, 1, env, (), tuple(rounds), (), (), (), 1)


def test_report_says_per_round_whether_the_sampler_ran_and_what_it_found(tmp_path):
    profile, sampler = _sampled_round(tmp_path)
    reports = sampler.poll(now=_recorded_end())
    findings = ds.with_hot_frames(diagnose(Signals(profile=profile, stacks=reports)),
                                  sampler.summaries)
    report = _report([_round(probe_verdict="the compute node reaches ib0"),
                      _round(number=2, findings=findings, sampler=sampler.run(),
                             ended="diagnosed: Worker start-up is stuck on file locks")])
    doc = json.loads(json.dumps(report_to_json(report)))
    first, second = doc["rounds"]
    assert first["sampler"] == {"ran": False, "samples_dir": None, "processes": 0, "found": []}
    assert second["sampler"]["ran"] and second["sampler"]["processes"] == 2
    (found,) = second["sampler"]["found"]
    assert found["site"] == "file-lock" and "locket" in found["frame"]
    assert found["summary"].startswith(found["process"] + " stuck ")
    assert isinstance(found["hot_frames"], list) and found["hot_frames"]
    lock = next(f for f in doc["findings"] if f["rule_id"] == "nfs-file-locks")
    assert any(e["source"].startswith("hot stack ") for e in lock["evidence"])
    text = render_report_text(report)
    assert "sampler: on (2 process(es) sampled" in text
    assert f"stuck {found['seconds']:.0f} s in {found['frame']}" in text
    assert "hot frames" in text
    assert text.count("sampler: on") == 1


def test_json_of_a_round_without_the_sampler_keeps_the_old_keys():
    doc = report_to_json(_report([replace(_round(), probe_verdict="ok")]))
    r = doc["rounds"][0]
    assert doc["schema"] == "hpctui.doctor/1"
    for key in ("number", "connected", "ended", "workers_wanted", "workers_connected",
                "scheduler_address", "job_ids", "left_in_queue", "probe", "duration",
                "job_script", "findings"):
        assert key in r
    assert r["jobs_ran"] == 1 and r["sampler"]["ran"] is False


def test_a_sure_finding_whose_fix_is_already_in_the_profile_does_not_explain():
    # "set interface: ib0" when the profile has it: `best` is None, the failure unexplained.
    done = _round(findings=(_finding(0.9, [PatchOp("set", "interface", "ib0")]),))
    assert ds.next_step(done, None, ds.SAMPLE_AUTO).action == "sample"


# -- the whole run on the local backend (real bash-run jobs and workers) -------------------

def _local_config(tmp_path: Path, name: str, log_directory: bool = True) -> Path:
    path = tmp_path / "dask.yaml"
    logs = f"    log-directory: {tmp_path / 'logs'}\n" if log_directory else ""
    path.write_text(f"""\
jobqueue:
  local:
    cores: 1
    memory: 1GiB
    name: {name}
{logs}    local-directory: {tmp_path / 'local'}  # global.lock is held under here
    python: {sys.executable}
    scheduler-options: {{dashboard_address: "127.0.0.1:0", host: 127.0.0.1}}
    worker-extra-args: ["--dashboard-address", "127.0.0.1:0"]
""")
    return path


def _cli(tmp_path: Path, *args):
    import subprocess

    return subprocess.run([sys.executable, "-m", "hpctui", "doctor", "--scheduler", "local",
                           "--no-probe", *map(str, args)], capture_output=True, text=True,
                          timeout=150, cwd=tmp_path)


@pytest.mark.timeout(180)
def test_sample_flag_finds_a_held_lock_from_round_1_and_fix_writes_only_the_fix(tmp_path):
    import subprocess

    path = _local_config(tmp_path, "doc-sample")
    lock = tmp_path / "local" / "dask-scratch-space" / "global.lock"
    lock.parent.mkdir(parents=True)
    holder = subprocess.Popen(["flock", str(lock), "-c", "echo held; exec sleep 600"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        out = _cli(tmp_path, "--config", path, "--timeout", 60, "--sample", "--fix", "--json")
    finally:
        holder.kill()
        holder.wait()
    assert out.returncode == 0, out.stderr[-3000:] + out.stdout[-3000:]
    doc = json.loads(out.stdout)
    first, second = doc["rounds"]
    assert first["sampler"]["ran"] and first["ended"].startswith("diagnosed"), first["ended"]
    assert [f["site"] for f in first["sampler"]["found"]] == ["file-lock"]
    assert second["connected"] and second["sampler"]["ran"]  # --sample: every round
    assert [c["rule_id"] for c in doc["changes"]] == ["nfs-file-locks"]
    text = path.read_text()
    assert "use-file-locking: false" in text and "hpctui-sampler" not in text
    assert "# global.lock is held under here" in text


def test_sample_without_log_directory_is_exit_2_naming_the_key(tmp_path):
    out = _cli(tmp_path, "--config", _local_config(tmp_path, "doc-nolog", log_directory=False),
               "--sample")
    assert out.returncode == 2, out.stderr
    assert "--sample" in out.stderr and "log-directory" in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_a_sampler_that_cannot_be_installed_is_a_note_and_no_second_try(tmp_path):
    from hpctui.core.doctor.run import Doctor

    (tmp_path / "logs").write_text("a file where the log directory should be")
    doctor = Doctor(DoctorOptions(kind="slurm"))
    assert doctor._sampler(2, _profile(tmp_path)) is None
    assert "round 2: the stack sampler could not be installed" in doctor.notes[0]
    step = ds.next_step(_round(), None, ds.SAMPLE_AUTO, doctor._no_sampler)
    assert step.action == "stop" and "could not be installed" in step.note
