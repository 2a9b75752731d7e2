"""Switching the stack sampler (with the start-up watcher in front of it) on or off in a profile as
one undoable edit (for the stacks pane's `s`).

The wiring itself (the `python` setting that runs the worker under the sampler) is
`hpctui.core.stacks.sampler_wiring`'s; this module wraps it as a header-operation-shaped function
(profile -> `OpResult`) so the change goes through `Workspace` history and shows in the job
script preview like any other edit. Nothing here imports Textual or touches files: copying the
sampler next to the logs (`sampler_wiring.install_sampler`) is the caller's, off the UI thread.
"""

from __future__ import annotations

import sys
from dataclasses import replace

from hpctui.core.stacks import sampler_wiring, startwatch_wiring
from hpctui.core.diagnosis.fix import op_result
from hpctui.core.jobscript.header_ops import OpResult
from hpctui.core.config.profile import Profile


def sampler_on(profile: Profile) -> bool:
    """True when the profile's workers start under the sampler."""
    return sampler_wiring.is_wired(profile.settings)


def toggle_sampler(profile: Profile, default_python: str = sys.executable,
                   rate: float = sampler_wiring.DEFAULT_RATE) -> OpResult:
    """The profile with the sampler switched the other way.

    Switching on needs `log-directory` (the shared place the sampler and its samples go):
    without it the result is ok=False and the message names the key.
    """
    settings = dict(profile.settings)
    if sampler_wiring.is_wired(settings):
        new = sampler_wiring.unwire_sampler(settings, default_python)
        new = startwatch_wiring.unwire_watcher(new, default_python)
        message = "stack sampler off for the next apply (python restored)"
    else:
        try:
            place = sampler_wiring.placement_for(settings)
        except ValueError as exc:
            return op_result(profile, profile, f"cannot switch the sampler on: {exc}", ok=False)
        # The start-up watcher in front of it sees the start-up the sampler cannot (site,
        # .pth files): never with --abort-after here, the UI does not kill workers.
        new = sampler_wiring.wire_sampler(settings, place, rate, default_python)
        new = startwatch_wiring.wire_watcher(new, place, None, default_python)
        message = (f"stack sampler on for the next apply: python runs {place.sampler_path.name}"
                   f" at {rate:g} Hz under the start-up watcher, samples in {place.out_dir}")
    return op_result(profile, replace(profile, settings=new), message)
