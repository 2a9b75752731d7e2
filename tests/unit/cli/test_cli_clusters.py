"""`hpctui clusters` and `hpctui attach` on the command line: listing, cancel refused while
another hpctui is attached, and one clear line (exit 2) for what cannot be done."""

from __future__ import annotations

import subprocess
import sys

from hpctui.cli.main import main
from hpctui.core.session import state as st


def record(tmp_path, job_id: str, **kw) -> st.ClusterState:
    s = st.ClusterState(key=st.cluster_key("local", tmp_path / "c.yaml"), kind="local",
                        config_path=str(tmp_path / "c.yaml"), scheduler_job_id=job_id,
                        scheduler_file=str(tmp_path / "s.json"), preload=str(tmp_path / "p.py"),
                        scheduler_job_name="w-scheduler", log_directory=str(tmp_path),
                        idle_timeout=60.0, settings={}, **kw)
    st.save(s)
    return s


def test_no_clusters(capsys):
    assert main(["clusters"]) == 0
    assert "no cluster left running" in capsys.readouterr().out


def test_cancel_an_unknown_cluster_is_one_line_exit_2(capsys):
    assert main(["clusters", "cancel", "slurm-nosuch"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("hpctui: error: clusters cancel: no cluster named 'slurm-nosuch'; "
                           "`hpctui clusters` lists them")
    assert main(["clusters", "cancel"]) == 2


def test_attach_with_nothing_to_attach_to(capsys, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("jobqueue: {local: {cores: 1, memory: 1GB}}\n")
    assert main(["attach", "--scheduler", "local", "--config", str(config)]) == 2
    assert "attach: no cluster left running for local" in capsys.readouterr().err


def test_list_shows_a_live_cluster_with_its_hand_off_and_cancel_is_guarded(capsys, tmp_path):
    job = subprocess.Popen(["sleep", "60"], start_new_session=True)  # a "job" of the local kind
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        s = record(tmp_path, str(job.pid), address="tcp://10.0.0.2:8786",
                   attached=(st.Attacher(holder.pid, __import__("socket").gethostname(), 0.0,
                                         "t"),))
        assert main(["clusters"]) == 0
        out = capsys.readouterr().out
        assert f"{s.key}: local, config {tmp_path / 'c.yaml'}" in out
        assert f"scheduler job {job.pid} RUNNING at tcp://10.0.0.2:8786" in out
        assert f"attached: pid {holder.pid}" in out
        assert f"client = Client(scheduler_file={str(tmp_path / 's.json')!r})" in out
        # Another hpctui is attached: a plain cancel is refused, --force does it.
        assert main(["clusters", "cancel", s.key]) == 2
        assert "is attached to by hpctui" in capsys.readouterr().err
        assert job.poll() is None
        assert main(["clusters", "cancel", s.key, "--force"]) == 0
        assert f"cancelled {job.pid}" in capsys.readouterr().out
        assert job.wait(10) is not None and st.load(s.key) is None
    finally:
        for p in (job, holder):
            p.kill()
            p.wait()
