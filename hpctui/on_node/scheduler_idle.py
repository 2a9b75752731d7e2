"""A scheduler preload: an attached client counts as activity for `--idle-timeout`.

hpctui starts the scheduler of `scheduler-placement: job` with distributed's own
`--idle-timeout`, so a forgotten cluster ends itself. distributed calls a scheduler idle when
no task runs, whoever is connected; a user looking at hpctui for an hour without computing,
or a notebook between two cells, would lose the cluster under them. This preload wraps the
scheduler's periodic idle check: while any client other than the scheduler's own
bookkeeping entry is connected, the idle clock does not run. With no client and no task for
the timeout, distributed's own check closes the scheduler, as it always does.

Standard library only (it is copied beside the scheduler file and run with the cluster's
python, which may have no hpctui): everything it touches is the scheduler object handed to
`dask_setup`.
"""

from __future__ import annotations

import logging

# distributed keeps an entry of its own for fire-and-forget futures in `Scheduler.clients`.
_NOT_A_CLIENT = {"fire-and-forget"}

logger = logging.getLogger("distributed.scheduler")


def attached_clients(scheduler) -> list[str]:
    """The ids of the clients connected now."""
    return [c for c in getattr(scheduler, "clients", {}) if c not in _NOT_A_CLIENT]


def dask_setup(scheduler) -> None:
    """Called by distributed as the scheduler starts (`--preload <this file>`)."""
    callback = getattr(scheduler, "periodic_callbacks", {}).get("idle-timeout")
    if callback is None:  # a distributed without the idle check: nothing to extend
        return
    check_idle = callback.callback

    def check_idle_unless_attached():
        if attached_clients(scheduler):
            scheduler.idle_since = None
            return None
        return check_idle()

    callback.callback = check_idle_unless_attached
    logger.info("hpctui: an attached client keeps this scheduler from its idle timeout")
