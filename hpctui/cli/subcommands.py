"""The subcommands of `hpctui` (script, ...), registered in one place.

Each subcommand module provides `add_parser(subparsers, add_common)` which sets
`handler=<function(args) -> exit code>` as a default on its parser, or (`attach`, which opens
the TUI) `prepare=<function(args)>`, run before the TUI opens.
"""

from __future__ import annotations


def register(subparsers, add_common) -> None:
    """Add every subcommand's parser."""
    from hpctui.cli import attach as cli_attach, clusters as cli_clusters, \
        doctor as cli_doctor, script as cli_script, serve as cli_serve

    cli_script.add_parser(subparsers, add_common)
    cli_serve.add_parser(subparsers, add_common)
    cli_doctor.add_parser(subparsers, add_common)
    cli_clusters.add_parser(subparsers, add_common)
    cli_attach.add_parser(subparsers, add_common)
