"""Peak memory by run length: each scene run headless at speed "max" for 10,000 and for
100,000 units, every run in a fresh process; bar: the peak at 100,000 is at most 1.3x
the peak at 10,000, for every scene. Linux and macOS (peak RSS from os.wait4).

    python tests/benchmarks/memory.py [--small 10000] [--large 100000] [--scenes NAME ...] [--quick]

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from _common import ROOT

from app.scenes import registry

BAR = 1.3


def peak_mib(scene: str, units: int) -> tuple[float, float, dict]:
    """Peak resident memory (MiB) and wall time of one headless run, in a fresh process."""
    flag = f"--{registry.get(scene).units_flag}"
    cmd = [sys.executable, "-m", "app", "run", scene, flag, str(units), "--speed", "max", "--json"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak, not the largest so far
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    summary = json.loads(out)
    if proc.returncode != 0 or summary["served"] != units:
        raise SystemExit(f"{scene} run of {units} failed (exit {proc.returncode}): {summary}")
    kib = usage.ru_maxrss / (1024 if sys.platform == "darwin" else 1)  # bytes on macOS
    return kib / 1024, wall, summary


def measure(scene: str, small: int, large: int) -> dict[str, object]:
    low, low_wall, _ = peak_mib(scene, small)
    high, high_wall, _ = peak_mib(scene, large)
    return {
        f"peak_mib_{small}": round(low, 1),
        f"peak_mib_{large}": round(high, 1),
        "ratio": round(high / low, 3),
        "wall_s": [round(low_wall, 1), round(high_wall, 1)],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=10_000)
    ap.add_argument("--large", type=int, default=100_000)
    ap.add_argument("--scenes", nargs="+", default=registry.names())
    ap.add_argument("--quick", action="store_true", help="200 and 2,000 units (a CI smoke run)")
    args = ap.parse_args()
    if args.quick:
        args.small, args.large = 200, 2000
    result: dict[str, object] = {"benchmark": "memory", "units": [args.small, args.large], "bar": BAR}
    for scene in args.scenes:
        result[scene] = measure(scene, args.small, args.large)
    result["ok"] = all(result[s]["ratio"] <= BAR for s in args.scenes)  # type: ignore[index]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
