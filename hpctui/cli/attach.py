"""`hpctui attach [NAME]`: open the TUI on a cluster left running, and fail if there is none.

Plain `hpctui` reattaches by itself when the profile's cluster is running; `attach` says so
up front and, given a NAME from `hpctui clusters`, opens the profile (batch system and config
file) that cluster was started from. Exit 2 with one line when there is nothing to attach to.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hpctui.cli.errors import UsageError


def add_parser(subparsers, add_common=None) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "attach", help="open the TUI on a cluster left running (scheduler-placement: job)",
        description="Reattach to the cluster of this profile (or NAME, as `hpctui clusters` "
        "lists it): queue, workers and logs live again.")
    if add_common is not None:
        add_common(parser)
    parser.add_argument("name", nargs="?", help="the cluster's name as `hpctui clusters` lists it")
    # No handler: main opens the TUI once `prepare` has chosen the profile.
    parser.set_defaults(prepare=prepare)
    return parser


def prepare(args: argparse.Namespace) -> None:
    """Point args at the cluster's profile; UsageError when no such cluster runs."""
    from hpctui.core.batch.detect import detect
    from hpctui.core.session import state as st
    from hpctui.core.session.attach import find_cluster

    if args.name:
        try:
            state = st.load(args.name)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if state is None:
            raise UsageError(f"attach: no cluster named {args.name!r}; `hpctui clusters` "
                             "lists them")
        args.scheduler = state.kind
        args.config = Path(state.config_path) if state.config_path else None
    kind = detect(getattr(args, "scheduler", None)).kind
    config = getattr(args, "config", None)
    if config is None:
        from hpctui.core.config.load import choose_target

        config = choose_target(kind, None).path
    found, note = find_cluster(kind, config)
    if found is None:
        raise UsageError("attach: " + (note or f"no cluster left running for {kind} with "
                                       f"{config}; `hpctui clusters` lists them"))
    args.scheduler, args.config = kind, Path(found.config_path) if found.config_path else config
