"""Worker jobs submitted with their scheduler job (hpctui/core/session/workers_ahead.py): the
job objects dask-jobqueue's own SLURM class makes for them (no batch system needed to build a
script), and telling a worker that gave up waiting for the scheduler file from one that could
not reach the address (the log lines are distributed's own, as the SLURM testbed wrote them)."""

from __future__ import annotations

import asyncio

from hpctui.core.batch.kinds import cluster_class
from hpctui.core.jobscript.render import compare_scripts
from hpctui.core.session.workers_ahead import (WorkersAhead, jobs_for, prepare,
                                               scheduler_file_argument)

# Written by distributed 2026.x on the testbed: a worker whose scheduler file never came (its
# death-timeout 3 s), and one that read an address it could not reach.
GAVE_UP_LOG = ("2026-12-06 06:35:09,286 - distributed.dask_worker - INFO - Timed out starting worker",
               "2026-12-06 06:35:09,286 - distributed.dask_worker - INFO - End worker")
UNREACHABLE_LOG = (
    "2026-12-06 06:40:01,101 - distributed.nanny - INFO -         Start Nanny at: 'tcp://10.213.7.2:40123'",
    "2026-12-06 06:40:01,912 - distributed.worker - INFO - Waiting to connect to:       tcp://192.0.2.2:8786",
    "2026-12-06 06:40:31,950 - distributed.dask_worker - INFO - Timed out starting worker",
    "2026-12-06 06:40:31,950 - distributed.dask_worker - INFO - End worker")


def test_a_worker_that_never_had_the_address_gave_up_waiting():
    ahead = WorkersAhead()
    ahead.add("93", "SLURMCluster-0")
    ahead.add("94", "SLURMCluster-1")
    assert ahead.gave_up("93", GAVE_UP_LOG) == "SLURMCluster-0"
    assert ahead.gave_up("93", GAVE_UP_LOG) is None  # once per job
    assert ahead.gave_up("95", GAVE_UP_LOG) is None  # not submitted ahead
    assert len(ahead) == 1


def test_a_worker_that_read_the_address_is_a_real_failure_not_a_wait():
    ahead = WorkersAhead()
    ahead.add("94", "SLURMCluster-1")
    assert ahead.gave_up("94", UNREACHABLE_LOG) is None
    # Lines come in pieces as the log grows: the address line alone settles it too.
    ahead.add("96", "SLURMCluster-2")
    assert ahead.gave_up("96", UNREACHABLE_LOG[:2]) is None
    assert ahead.gave_up("96", UNREACHABLE_LOG[2:]) is None
    assert len(ahead) == 0


def test_a_joined_worker_is_forgotten():
    ahead = WorkersAhead()
    ahead.add("7", "a")
    ahead.joined("7")
    ahead.joined(None)
    assert ahead.gave_up("7", GAVE_UP_LOG) is None


def test_the_file_argument_is_quoted_for_the_shell():
    assert scheduler_file_argument("/logs/s.json") == "--scheduler-file /logs/s.json"
    assert scheduler_file_argument("/my logs/s.json") == "--scheduler-file '/my logs/s.json'"


def test_prepare_makes_dask_jobqueues_jobs_pointed_at_the_file(tmp_path):
    async def main():
        cls = cluster_class("slurm")
        cluster = cls(asynchronous=True, cores=2, processes=2, memory="2GB",
                      log_directory=str(tmp_path), job_name="ahead")
        assert jobs_for(cluster, 3) == 2  # 2 workers a job, rounded up as scale() does
        made = prepare(cluster, 3, str(tmp_path / "sched.json"))
        assert set(made) == set(cluster.worker_spec) == set(cluster.workers)
        assert len(made) == 2
        for name, job in made.items():
            script = job.job_script()
            assert (f"distributed.cli.dask_worker --scheduler-file {tmp_path / 'sched.json'} "
                    f"--name {name} ") in script
            assert set(cluster._created) >= {job}
        # Again with the same number: nothing new to make.
        assert prepare(cluster, 3, str(tmp_path / "sched.json")) == {}
        return cluster, made

    cluster, made = asyncio.run(main())
    # The submitted script matches the preview except for the scheduler file and the name.
    from hpctui.core.config.profile import Profile
    from hpctui.core.jobscript.render import render_job_script

    preview = render_job_script(Profile("slurm", {"cores": 2, "processes": 2, "memory": "2GB",
                                                  "log-directory": str(tmp_path),
                                                  "job-name": "ahead"}))
    job = next(iter(made.values()))
    same = compare_scripts(preview, job.job_script())
    assert same.matches, same.summary()
    assert [d.what for d in same.identity_lines] == ["scheduler file and worker name"]
