"""Command line: parses arguments, picks the batch system, builds and runs the app.

Errors the user can fix (unknown --scheduler, unreadable config, no terminal) are one line
on stderr and exit code 2: no usage dump, no traceback. Nothing heavy is imported before
it is needed, so `hpctui --help` is instant and the TUI's first frame comes fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from hpctui import __version__
from hpctui.cli.errors import EXIT_USAGE, UsageError
from hpctui.core.batch.kinds import KIND_NAMES, get_kind


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage before the error; one line is easier to read over SSH.
    def error(self, message: str):  # type: ignore[override]
        raise UsageError(message)


def _scheduler(value: str) -> str:
    try:
        get_kind(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for `hpctui` and its subcommands."""
    parser = _Parser(
        prog="hpctui",
        description="A terminal UI that gets Dask running on HPC batch systems, "
        "and shows why it doesn't.",
    )
    parser.add_argument("--version", action="version", version=f"hpctui {__version__}")
    _add_common(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser,
                                title="commands (default: open the TUI)")
    from hpctui.cli import subcommands

    # In a subcommand the common options must not reset what was given before it
    # (`hpctui --scheduler slurm script`): argparse would apply the subparser's defaults.
    subcommands.register(sub, lambda p: _add_common(p, default=argparse.SUPPRESS))
    return parser


def _add_common(parser: argparse.ArgumentParser, default=None) -> None:
    parser.add_argument(
        "--scheduler", type=_scheduler, metavar="KIND", default=default,
        help=f"batch system: {', '.join(KIND_NAMES)} (default: detected from PATH, else local)",
    )
    parser.add_argument(
        "--config", type=Path, metavar="PATH", default=default,
        help="Dask YAML config file to read and write (default: the user file that already "
        "sets jobqueue.<kind>, else ~/.config/dask/hpctui.yaml)",
    )


def check_config_readable(path: Path) -> None:
    """UsageError unless `path` is a readable file."""
    try:
        with open(path, "rb"):
            pass
    except FileNotFoundError:
        raise UsageError(f"config file {path} does not exist") from None
    except IsADirectoryError:
        raise UsageError(f"config file {path} is a directory, not a YAML file") from None
    except OSError as exc:
        raise UsageError(f"cannot read config file {path}: {exc.strerror}") from None


def run_tui(args: argparse.Namespace) -> int:
    """Open the TUI (needs a terminal)."""
    # textual-serve (`hpctui serve`) runs the app on pipes with its web driver: no TTY needed.
    web = "web_driver" in os.environ.get("TEXTUAL_DRIVER", "")
    if not web and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            "no terminal: the TUI needs an interactive terminal "
            "(for scripts use `hpctui script`)"
        )
    from hpctui.cli.launch import build_context
    from hpctui.core.session.library_output import LibraryCapture
    from hpctui.ui.app import HpcTuiApp

    context = build_context(args.scheduler, args.config)
    app = HpcTuiApp(context)
    # The scheduler runs in this process: nothing distributed, tornado or asyncio log or warn
    # may print over the screen, nor onto the terminal while the session closes after it
    # (nor, under `hpctui serve`, into the server's output).
    with LibraryCapture():
        try:
            app.run()
        finally:
            # However the app ended, this session's jobs are cancelled before we return.
            if not app.shutdown():
                print("hpctui: warning: the cluster session did not close in time; "
                      "check the queue for leftover jobs", file=sys.stderr)
    return app.return_code or 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `hpctui` command; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        if args.config is not None:
            check_config_readable(args.config)
        prepare = getattr(args, "prepare", None)
        if prepare is not None:  # `attach`: chooses the profile, then the TUI opens
            prepare(args)
        handler = getattr(args, "handler", None) or run_tui
        return handler(args)
    except UsageError as exc:
        print(f"hpctui: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
