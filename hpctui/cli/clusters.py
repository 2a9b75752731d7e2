"""`hpctui clusters`: the clusters left running with `scheduler-placement: job`, and cancel.

    hpctui clusters                      list them: scheduler job, workers, who is attached,
                                         dashboard, and the Python that connects to each
    hpctui clusters cancel NAME [--force]
                                         cancel every job of one (NAME as listed); refused
                                         while another hpctui is attached, unless --force

A record whose jobs are all gone is reported as ended and removed. Exit 0; 1 when a cancel
command failed; 2 on bad input (an unknown NAME, a cancel refused).
"""

from __future__ import annotations

import argparse
import sys

from hpctui.cli.errors import UsageError


def add_parser(subparsers, add_common=None) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "clusters", help="list (or cancel) the clusters left running in batch jobs",
        description="The clusters whose scheduler runs in a batch job (scheduler-placement: "
        "job), with how to use each from Python; `cancel NAME` cancels one.")
    parser.add_argument("action", nargs="?", choices=("list", "cancel"), default="list")
    parser.add_argument("name", nargs="?", help="with cancel: the cluster's name as listed")
    parser.add_argument("--force", action="store_true",
                        help="cancel even while another hpctui is attached to it")
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from hpctui.core.session import state as st
    from hpctui.core.session.attach import cancel_cluster, list_clusters

    if args.action == "cancel":
        if not args.name:
            raise UsageError("clusters cancel: name the cluster (as `hpctui clusters` lists it)")
        try:
            state = st.load(args.name)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if state is None:
            raise UsageError(f"clusters cancel: no cluster named {args.name!r}; "
                             "`hpctui clusters` lists them")
        try:
            result = cancel_cluster(state, force=args.force)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        print(("cancelled " if result.ok else "could not cancel ") + ", ".join(result.job_ids)
              + (f" ({result.detail})" if result.detail else ""))
        return 0 if result.ok else 1
    found = list_clusters()
    if not found:
        print("no cluster left running (hpctui records those of scheduler-placement: job)")
        return 0
    for status in found:
        text = status.describe()
        if status.state is not None and not status.alive:
            text = (f"{status.state.key}: ended (scheduler job {status.state.scheduler_job_id} "
                    "is gone); its record was removed")
        print(text, file=sys.stdout)
    return 0
