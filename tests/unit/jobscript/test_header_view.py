"""Header lines as the editor lists them, for a line-directive system and for HTCondor."""

from __future__ import annotations

from hpctui.core.jobscript.header_view import header_lines
from hpctui.core.jobscript.render import render
from hpctui.core.config.profile import Profile


def _view(profile: Profile):
    return [(h.text, h.state, h.skipped_by, h.extra_index)
            for h in header_lines(profile, render(profile).header_lines)]


def test_pbs_skipped_kept_and_added_in_order():
    p = Profile("pbs", {"cores": 2, "memory": "2GB", "walltime": "01:00:00",
                        "job-extra-directives": ["-l select=1"],
                        "job-directives-skip": ["walltime"]})
    assert _view(p) == [
        ("#PBS -N dask-worker", "generated", (), None),
        ("#PBS -l select=1:ncpus=2:mem=1908MB", "generated", (), None),
        ("#PBS -l walltime=01:00:00", "skipped", ("walltime",), None),
        ("#PBS -l select=1", "added", (), 0),
    ]


def test_htcondor_skips_whole_keys_and_adds_key_value_lines():
    p = Profile("htcondor", {"cores": 2, "memory": "2GB", "disk": "1GB",
                             "job-extra-directives": {"+Project": '"bio"'},
                             "job-directives-skip": ["MY.DaskWorkerName"]})
    view = _view(p)
    assert view[0][1:3] == ("skipped", ("MY.DaskWorkerName",))
    assert view[-1] == ('+Project = "bio"', "added", (), 0)
    assert all(state == "generated" for _, state, _, _ in view[1:-1])


def test_a_profile_dask_jobqueue_refuses_lists_no_lines_from_a_failed_render():
    p = Profile("slurm", {"cores": 2, "memory": "2GB"})
    rendered = render(p).header_lines
    bad = Profile("slurm", {"cores": None, "memory": None})
    assert header_lines(bad, rendered) == [
        type(header_lines(p, rendered)[0])(t, "generated") for t in rendered]
