"""Benchmark: time from probe submission to verdict on the SLURM testbed.

Prints (never asserts) the figures behind issue 6's target, "verdict under 2 s beyond the job's
own start", for several probe runs on the testbed (`tests/testbed/start` must have run):
  - submit -> verdict: what the user waits for, queue and job start included;
  - queue + start: from `sbatch` returning to the probe's first instruction (its own wall-clock
    stamp), which is the batch system's part and not hpctui's to shorten;
  - probe start -> verdict: the part hpctui controls (target < 2 s). It is bounded below by the
    connect timeout whenever some address is silently dropped (the testbed drops the default one);
  - submit -> import check: when the dask/distributed import check reached the login node.
With --locked-down it also runs probes that find nothing reachable (verdict by the shared file).

    .venv/bin/python benchmarks/probe.py [--runs 5] [--connect-timeout 1.5] [--locked-down 0]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hpctui.core.network.probe_run import run_probe  # noqa: E402


def testbed_facts() -> dict[str, str]:
    here = Path(__file__).resolve().parent.parent / "tests" / "testbed" / "status"
    out = subprocess.run(["bash", str(here)], capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        sys.exit(f"testbed is not running: {out.stderr.strip()}")
    return dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)


def lockdown(ports: list[int], table: str) -> None:
    # Silently drop what the compute node sends to this probe's listeners (see the e2e test).
    rules = (f"table inet {table} {{\n  chain input {{\n"
             "    type filter hook input priority -20; policy accept;\n"
             f"    iifname \"ib0\" tcp dport {{ {', '.join(map(str, ports))} }} drop\n  }}\n}}\n")
    subprocess.run(["nft", "-f", "-"], input=rules, text=True, check=True, timeout=20)


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:34s} (no data)"
    return (f"{name:34s} median {statistics.median(values):6.3f} s   min {min(values):6.3f} s   "
            f"max {max(values):6.3f} s   (n={len(values)})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--locked-down", type=int, default=2, help="extra runs with every address dropped")
    ap.add_argument("--connect-timeout", type=float, default=1.5)
    args = ap.parse_args()
    facts = testbed_facts()
    print(f"testbed: partition {facts['PARTITION']}, host ib0 {facts['HOST_IB0']}, "
          f"default address {facts['DEFAULT_ADDR']} (dropped)")
    with tempfile.TemporaryDirectory(prefix="hpctui-bench-probe-") as tmp:
        profile = dict(cores=1, memory="1GB", queue=facts["PARTITION"], walltime="00:05:00",
                       python=sys.executable, log_directory=tmp)
        for label, n, locked in (("reachable", args.runs, False), ("locked down", args.locked_down, True)):
            if n <= 0:
                continue
            rows: dict[str, list[float]] = {}
            verdicts = []
            for _ in range(n):
                table = f"hpctui_bench_lock_{uuid.uuid4().hex[:8]}"
                hook = (lambda targets, t=table: lockdown([x.port for x in targets], t)) if locked else None
                t0 = time.monotonic()
                try:
                    r = run_probe("slurm", profile, connect_timeout=args.connect_timeout,
                                  report_timeout=120, on_listening=hook)
                finally:
                    if locked:
                        subprocess.run(["nft", "delete", "table", "inet", table],
                                       capture_output=True, timeout=20)
                wall = time.monotonic() - t0
                verdicts.append(f"{r.verdict}/{r.channel}")
                for key, value in r.timings.items():
                    rows.setdefault(key, []).append(value)
                rows.setdefault("whole run (incl. cancel)", []).append(wall)
            print(f"\n{label}: {n} runs, verdicts {sorted(set(verdicts))}, "
                  f"connect timeout {args.connect_timeout:g} s")
            for key in ("submit_s", "queue_and_start_s", "probe_start_to_verdict_s",
                        "submit_to_verdict_s", "submit_to_python_check_s", "whole run (incl. cancel)"):
                if key in rows:
                    print("  " + summary(key, rows[key]))


if __name__ == "__main__":
    main()
