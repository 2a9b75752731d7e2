"""Makes the screenshots in this folder from real runs: a real cluster on the local backend, the
real SLURM testbed for the failures that need a batch system (when `tests/testbed/status` says
it is up), and, for the few that cannot happen on this machine (LSF on Summit), the real app
driven by a stand-in submit command that replays the site's captured output.

    .venv/bin/python screenshots/make.py [--only NAME ...] [--out DIR] [--no-png]

Each scenario drives the real app headless through Textual's Pilot, waits for the state it
shows (workers connected, the rejection view, the time-outs in the logs, a finding), saves the
screen as SVG and PNG (cairosvg: `pip install -e '.[screenshots]'`; `--no-png` without it),
and cancels its jobs. The scenarios live in
`scenarios_local.py`, `scenarios_testbed.py`, `scenarios_placement.py` (the scheduler in a job;
`locked-down-finding` turns tests/testbed/lockdown on for its probe, as root),
`scenarios_adapt.py` (adaptive scaling under the demo workload, and its submit/cancel loop) and
`scenarios_replay.py`; `shots.py` is the
machinery they share.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scenarios_adapt  # noqa: E402
import scenarios_local  # noqa: E402
import scenarios_placement  # noqa: E402
import scenarios_replay  # noqa: E402
import scenarios_testbed  # noqa: E402
from shots import Shot  # noqa: E402

# name -> (scenario, needs the SLURM testbed)
SCENARIOS = {
    **{name: (fn, False) for name, fn in scenarios_local.SCENARIOS.items()},
    **{name: (fn, True) for name, fn in scenarios_testbed.SCENARIOS.items()},
    **{name: (fn, True) for name, fn in scenarios_placement.SCENARIOS.items()},
    **{name: (fn, True) for name, fn in scenarios_adapt.SCENARIOS.items()},
    **{name: (fn, False) for name, fn in scenarios_replay.SCENARIOS.items()},
}


def testbed_up() -> bool:
    status = HERE.parent / "tests" / "testbed" / "status"
    return subprocess.run(["bash", str(status)], capture_output=True).returncode == 0


def run_scenario(name: str, out: Path, png: bool = True) -> list[Path]:
    """Run one scenario in a fresh temp folder, with dask and hpctui reading no user config and
    keeping no state outside it; the files it wrote."""
    scenario, _ = SCENARIOS[name]
    saved = {k: os.environ.get(k) for k in ("DASK_CONFIG", "HPCTUI_STATE_DIR")}
    with tempfile.TemporaryDirectory(prefix="hpctui-shot-") as tmp:
        os.environ["DASK_CONFIG"] = tmp  # never the user's own config
        os.environ["HPCTUI_STATE_DIR"] = str(Path(tmp) / "state")
        import dask

        dask.config.refresh()
        shot = Shot(Path(tmp), out, png=png)
        try:
            asyncio.run(scenario(shot))
        finally:
            shot.cancel_jobs()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    return shot.written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS))
    parser.add_argument("--out", type=Path, default=HERE, help="where the pictures go")
    parser.add_argument("--no-png", action="store_true", help="SVG only")
    args = parser.parse_args()
    up = testbed_up()
    failed = []
    for name in args.only or SCENARIOS:
        if SCENARIOS[name][1] and not up:
            print(f"skipped {name}: the SLURM testbed is not running (sudo bash tests/testbed/start)")
            continue
        print(f"-- {name}")
        try:
            run_scenario(name, args.out, png=not args.no_png)
        except Exception as exc:  # noqa: BLE001 - one broken scenario must not stop the others
            print(f"FAILED {name}: {type(exc).__name__}: {exc}")
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
