"""Overhead of the stack sampler at 10 Hz on a CPU-bound pure-Python workload.

Runs the same workload in fresh subprocesses with and without the sampler, alternating, several
times, and prints the median wall times, the slowdown ratio (target < 1.01) and the sampler
thread's own CPU share (its thread CPU time over the run's wall time). Prints, never asserts.

    .venv/bin/python benchmarks/sampler_overhead.py [--reps 7] [--rate 10] [--seconds 2] [--startwatch]

--startwatch runs the sampled side as hpctui wires it: under the start-up watcher
(hpctui/on_node/startwatch.py, which samples /proc every 150 ms while a worker starts; this
workload never registers, so it samples the whole run), and also prints the watcher's own CPU.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

SAMPLER = Path(__file__).resolve().parents[1] / "hpctui" / "on_node" / "sampler.py"
STARTWATCH = SAMPLER.with_name("startwatch.py")

# A deep-ish recursive pure-Python workload (so each sample walks ~30 frames), sized by a
# fixed amount of work, not by time, so the two runs do the same work. The module reports
# its own wall time and, when the sampler runs, that thread's CPU time.
WORKLOAD = textwrap.dedent('''
    import json, sys, threading, time

    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    def nest(depth, n):
        return nest(depth - 1, n) if depth else fib(n)

    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(ROUNDS):
        nest(20, 20)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0  # the whole process: the workload and the sampler thread
    sampler_cpu = None
    for t in threading.enumerate():
        if t.name == "hpctui-sampler":
            sampler_cpu = time.clock_gettime(time.pthread_getcpuclockid(t.ident))
    print(json.dumps({"wall": wall, "cpu": cpu, "sampler_cpu": sampler_cpu}))
''')


def _calibrate(seconds: float, work: Path) -> int:
    (work / "calib.py").write_text(WORKLOAD.replace("ROUNDS", "3"))
    out = subprocess.run([sys.executable, "-m", "calib"], cwd=work, capture_output=True, text=True, check=True)
    per_round = json.loads(out.stdout)["wall"] / 3
    return max(1, int(seconds / per_round))


def _children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--rate", type=float, default=10.0)
    ap.add_argument("--seconds", type=float, default=2.0, help="approximate length of one run")
    ap.add_argument("--startwatch", action="store_true",
                    help="run the sampled side under the start-up watcher too")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        rounds = _calibrate(args.seconds, work)
        (work / "workload.py").write_text(WORKLOAD.replace("ROUNDS", str(rounds)))
        plain, sampled, shares = [], [], []
        plain_cpu, sampled_cpu, watcher_shares = [], [], []
        for _ in range(args.reps):
            # Alternate so drifts in machine load hit both sides alike.
            out = subprocess.run([sys.executable, "-m", "workload"], cwd=work,
                                 capture_output=True, text=True, check=True)
            plain.append(json.loads(out.stdout)["wall"])
            plain_cpu.append(json.loads(out.stdout)["cpu"])
            command = [sys.executable, str(SAMPLER), "--out", str(work / "stacks"),
                       "--rate", str(args.rate), "-m", "workload"]
            if args.startwatch:
                command[1:1] = ["-I", "-S", str(STARTWATCH), "--out", str(work / "stacks"), "--"]
            before = _children_cpu()
            out = subprocess.run(command, cwd=work, capture_output=True, text=True, check=True)
            r = json.loads(out.stdout)
            # Every process of the run (watcher + workload) minus the workload's own CPU.
            watcher_shares.append((_children_cpu() - before - r["cpu"]) / r["wall"])
            sampled.append(r["wall"])
            sampled_cpu.append(r["cpu"])
            shares.append(r["sampler_cpu"] / r["wall"])
        p, s = statistics.median(plain), statistics.median(sampled)
        size = sum(f.stat().st_size for f in (work / "stacks").glob("*"))
    print(f"workload: {rounds} rounds, {args.reps} repetitions each way, sampler at {args.rate:g} Hz")
    print(f"median wall without sampler: {p:.3f} s   with: {s:.3f} s")
    print(f"slowdown ratio (median with / median without): {s / p:.4f}   (target < 1.01)")
    print(f"min-to-min ratio: {min(sampled) / min(plain):.4f}")
    # CPU time is far less sensitive than wall time to a shared machine's noise (other
    # processes, steal): the figure to read on a busy machine.
    pc, sc = statistics.median(plain_cpu), statistics.median(sampled_cpu)
    print(f"process CPU time ratio (median with / median without): {sc / pc:.4f}   (target < 1.01)")
    print(f"sampler thread CPU share of wall time: median {statistics.median(shares):.4%}, "
          f"max {max(shares):.4%}")
    print(f"sample files written: {size} bytes in total over {args.reps} runs")
    if args.startwatch:
        print(f"under the start-up watcher; its own CPU (interpreter start-up included) as a "
              f"share of wall time: median {statistics.median(watcher_shares):.4%}")


if __name__ == "__main__":
    main()
