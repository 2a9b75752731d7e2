"""`hpctui script`: print the job script dask-jobqueue would submit, or why it can't.

    hpctui script [--scheduler KIND] [--config PATH]
        the job script (exit 0), or the validation errors on stderr (exit 2)
    hpctui script --import-known-good FILE [--write]
        the config changes that make the generated header match FILE's, what can't be
        matched, and the resulting script diff; --write puts the changes in the config file

Notes (renamed keys, unknown keys, dask-jobqueue's warnings, `job-directives-skip` entries
that remove a line they were not chosen for or nothing) go to stderr so that stdout is
exactly the script and can be piped into `sbatch`. No traceback ever reaches the user.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK = 0
EXIT_INVALID = 2


def add_parser(subparsers, add_common=None) -> argparse.ArgumentParser:
    """Register `script` on `subparsers` (with the common --scheduler/--config options)."""
    parser = subparsers.add_parser(
        "script", help="print the job script that would be submitted",
        description="Print the job script dask-jobqueue would submit for the current config "
        "(exit 0), or the validation errors (exit 2).")
    if add_common is not None:
        add_common(parser)
    else:
        parser.add_argument("--scheduler", metavar="KIND", help="batch system kind")
        parser.add_argument("--config", type=Path, metavar="PATH",
                            help="Dask YAML config file to read (and write with --write)")
    parser.add_argument("--import-known-good", type=Path, metavar="FILE",
                        help="a job script that works on this site: print the config "
                        "changes that make the generated header match it")
    parser.add_argument("--write", action="store_true",
                        help="with --import-known-good: write the changes to the config file")
    parser.set_defaults(handler=run)
    return parser


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def _kind(args) -> str:
    scheduler = getattr(args, "scheduler", None)
    from hpctui.core.batch.detect import detect

    return detect(scheduler).kind


def run(args: argparse.Namespace) -> int:
    """Run `hpctui script`; returns the exit code."""
    try:
        return _run(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the promise is "no traceback": say what failed instead
        _err(f"hpctui script: error: {type(exc).__name__}: {exc}")
        return EXIT_INVALID


def _run(args) -> int:
    from hpctui.core.config.load import load_profile
    from hpctui.core.config.validate import validate

    try:
        kind = _kind(args)
    except ValueError as exc:
        _err(f"hpctui script: error: {exc}")
        return EXIT_INVALID
    config = getattr(args, "config", None)
    loaded = load_profile(kind, config)
    for error in loaded.errors:
        _err(f"hpctui script: error: {error.message}")
    if loaded.errors:
        return EXIT_INVALID
    for renamed in loaded.renamed:
        _err(f"hpctui script: note: {renamed.message}")
    for unknown in loaded.unknown_keys:
        _err(f"hpctui script: error: {unknown}")
    problems = validate(loaded.profile)
    errors = [p for p in problems if p.severity == "error"]
    for p in problems:
        prefix = "error" if p.severity == "error" else "warning"
        _err(f"hpctui script: {prefix}: jobqueue.{kind}: {p.message}"
             if not p.key.startswith("distributed.") else f"hpctui script: {prefix}: {p.message}")
    if errors or loaded.unknown_keys:
        return EXIT_INVALID

    if getattr(args, "import_known_good", None) is not None:
        return _import(args, kind, loaded)

    from hpctui.core.jobscript.render import render
    from hpctui.core.jobscript.skip_check import check_skips

    # Before rendering: a skip entry that removes a line it was not chosen for is what a
    # user piping this into sbatch would otherwise never see.
    for issue in check_skips(loaded.profile):
        _err(f"hpctui script: warning: jobqueue.{kind}: {issue.summary()}")
    rendered = render(loaded.profile)
    for warning in rendered.warnings:
        _err(f"hpctui script: warning: {warning}")
    sys.stdout.write(rendered.text)
    return EXIT_OK


def _import(args, kind, loaded) -> int:
    import yaml

    from hpctui.core.jobscript.render import render_job_script, unified_diff
    from hpctui.core.jobscript.known_good import import_known_good

    path = args.import_known_good
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        _err(f"hpctui script: error: cannot read {path}: {getattr(exc, 'strerror', exc)}")
        return EXIT_INVALID
    result = import_known_good(loaded.profile, text)
    out = sys.stdout
    if result.changes:
        out.write(f"# Suggested changes to jobqueue.{kind}:\n")
        out.write(yaml.safe_dump({"jobqueue": {kind: result.changes}}, sort_keys=False,
                                 default_flow_style=False, width=4096))
    else:
        out.write(f"# No changes: the generated header already matches {path}.\n")
    for item in result.unmatched:
        out.write(f"# cannot match: {item}\n")
    out.write("\n")
    out.write(unified_diff(render_job_script(result.before), render_job_script(result.after),
                           "generated now", "generated after the changes"))
    if args.write and result.changes:
        from hpctui.core.config.load import choose_target
        from hpctui.core.config.write import ConfigWriteError, write_profile

        target = choose_target(kind, getattr(args, "config", None))
        try:
            written = write_profile(target.path, result.before, result.after, loaded)
        except ConfigWriteError as exc:
            _err(f"hpctui script: error: {exc}")
            return EXIT_INVALID
        _err(f"hpctui script: wrote {', '.join(written.set_keys)} to {written.path} "
             f"({target.reason}); previous version in {written.backup or '(new file)'}")
        for line in written.shadowed:
            _err(f"hpctui script: warning: {line}")
    return EXIT_OK
