"""`hpctui doctor`: submit, watch, diagnose, clean up, and report; optionally fix the config.

    hpctui doctor [--scheduler KIND] [--config PATH] [--workers N] [--timeout S] [--json] [--fix]
                  [--tls] [--no-probe] [--probe-after S] [--sample | --no-sample]
                  [--observe-after S]
    hpctui doctor --adapt MIN:MAX [--timeout S] [--json]

Exit 0 when the workers connected, 1 when not (the report says why), 2 on bad input (one
line on stderr, no traceback). Progress lines go to stderr, the report to stdout.
The run itself is `hpctui.core.doctor.run.run_doctor`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_parser(subparsers, add_common=None) -> argparse.ArgumentParser:
    """Register `doctor` on `subparsers` (with the common --scheduler/--config options)."""
    parser = subparsers.add_parser(
        "doctor", help="submit workers, watch them, and report what is wrong",
        description="Validate the profile, submit N workers, watch queue, logs and workers "
        "until they connect or the timeout, cancel everything and report (exit 0: connected, "
        "1: not, 2: bad input).")
    if add_common is not None:
        add_common(parser)
    else:
        parser.add_argument("--scheduler", metavar="KIND", help="batch system kind")
        parser.add_argument("--config", type=Path, metavar="PATH", help="Dask YAML config file")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="workers that must connect (default 1)")
    parser.add_argument("--timeout", type=float, default=300.0, metavar="S",
                        help="seconds each round waits for the workers (default 300)")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON document")
    parser.add_argument("--fix", action="store_true",
                        help="write the best fix of each round to the config file and retry")
    parser.add_argument("--tls", action="store_true",
                        help="run the workers over TLS (dask-jobqueue's temporary certificates, "
                        "kept in <log-directory>/.hpctui-tls, mode 0700)")
    parser.add_argument("--no-probe", action="store_true",
                        help="never submit the network probe job")
    parser.add_argument("--probe-after", type=float, default=None, metavar="S",
                        help="seconds a job runs with no worker connected before the network "
                        "probe goes, while the round runs (default 1.5)")
    sampling = parser.add_mutually_exclusive_group()
    sampling.add_argument("--sample", action="store_const", const="always", dest="sample",
                          help="run the workers under the stack sampler from the first round "
                          "(needs log-directory; never written to the config file)")
    sampling.add_argument("--no-sample", action="store_const", const="never", dest="sample",
                          help="never run the workers under the stack sampler (by default a "
                          "round runs under it after one that failed with nothing saying why)")
    parser.add_argument("--observe-after", type=float, default=None, metavar="S",
                        help="seconds a job runs with no worker and silent logs (once the probe "
                        "answered) before the round ends and the next one observes the "
                        "workers' start-up (default 6; 0 or more)")
    parser.add_argument("--adapt", metavar="MIN:MAX", default=None,
                        help="run the demo workload under adaptive scaling within MIN..MAX "
                        "(the profile's adapt unit, jobs by default) and report adapt's "
                        "decisions, and a submit/cancel loop when there is one")
    parser.set_defaults(sample="auto")
    parser.set_defaults(handler=run)
    return parser


def _keyboard_interrupt_on_ctrl_c() -> None:
    # dask-jobqueue's import sets SIGINT to `sys.exit()` (exit 0, as if all went well); doctor
    # wants Ctrl-C to stop the round, cancel its jobs and exit 130.
    import signal
    import threading

    from hpctui.core.batch.djq import ensure_imported

    ensure_imported()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


def run(args: argparse.Namespace) -> int:
    """Run `hpctui doctor`; returns the exit code."""
    from hpctui.core.doctor.run import run_doctor
    from hpctui.core.doctor.types import EXIT_BAD_INPUT, DoctorInputError, DoctorOptions
    from hpctui.core.doctor.report import render_report_text, report_to_json

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    _keyboard_interrupt_on_ctrl_c()
    if getattr(args, "adapt", None) is not None:
        return run_adapt(args, progress)
    config = getattr(args, "config", None)
    try:
        options = DoctorOptions(kind=getattr(args, "scheduler", None),
                                config_path=str(config) if config is not None else None,
                                workers=args.workers, timeout=args.timeout, fix=args.fix,
                                probe=not args.no_probe, tls=args.tls, sample=args.sample,
                                **({} if args.probe_after is None
                                   else {"early_grace": args.probe_after}),
                                **({} if getattr(args, "observe_after", None) is None
                                   else {"observe_after": args.observe_after}))
        report = run_doctor(options, None if args.json else progress)
    except DoctorInputError as exc:
        print(f"hpctui doctor: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the promise is "no traceback": say what failed instead
        print(f"hpctui doctor: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        sys.stdout.write(json.dumps(report_to_json(report), indent=2, default=str) + "\n")
    else:
        sys.stdout.write(render_report_text(report))
    return report.exit_code


def run_adapt(args: argparse.Namespace, progress) -> int:
    """`hpctui doctor --adapt MIN:MAX`: the demo workload under adapt, its decisions reported."""
    from hpctui.core.doctor.adapt_check import run_adapt_check
    from hpctui.core.doctor.adapt_report import adapt_report_to_json, render_adapt_report_text
    from hpctui.core.doctor.types import EXIT_BAD_INPUT, DoctorInputError, DoctorOptions
    from hpctui.core.session.adapt_settings import parse_range

    config = getattr(args, "config", None)
    try:
        try:
            bounds = parse_range(args.adapt)
        except ValueError as exc:
            raise DoctorInputError(f"--adapt: {exc}") from None
        options = DoctorOptions(kind=getattr(args, "scheduler", None),
                                config_path=str(config) if config is not None else None,
                                timeout=args.timeout)
        report = run_adapt_check(options, bounds, None if args.json else progress)
    except DoctorInputError as exc:
        print(f"hpctui doctor: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # no traceback: say what failed instead
        print(f"hpctui doctor: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        sys.stdout.write(json.dumps(adapt_report_to_json(report), indent=2, default=str) + "\n")
    else:
        sys.stdout.write(render_adapt_report_text(report))
    return report.exit_code
