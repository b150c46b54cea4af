"""Exploring schedules of a 3-thread lab experiment: schedules per second, against the same
experiment run free (the operating system schedules) as many times, in the same run.

    python tests/benchmarks/explore.py [--schedules 300] [--repeats 3] [--quick]

Each repeat times ``--schedules`` controlled runs of ``basics`` (three workers meeting at a
barrier; ``any`` interleaving, the explorer's) under POS, each judged as ``explore`` judges it,
for the right and the wrong variant, and as many free runs of the right variant (a fresh lab,
started, waited for, stopped). Reported: the median of the repeats; ``ratio`` is explored
schedules/s over free runs/s (bar: >= 50 schedules/s, docs/quality-bars.md). Prints one JSON
line. ``--quick`` is a cheap smoke run for CI, not a measurement.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import _common  # noqa: F401

from app.engine.clock import SimClock
from app.engine.exploring import run_schedule
from app.explore import strategy_for, target
from app.scenes.lab.experiment import ANY_ORDER
from app.scenes.lab.model import LabBench, LabConfig
from app.trace.recorder import TraceRecorder

BAR = 50.0
EXPERIMENT = "basics"


def explored(variant: str, n: int) -> tuple[float, int]:
    """(schedules per second, how many failed) over ``n`` schedules."""
    t = target(f"lab:{EXPERIMENT}", variant, "")
    failed = 0
    t0 = time.perf_counter()
    for i in range(n):
        out = run_schedule(t.build(i), strategy_for("pos", i, None), t.spec.invariants)
        failed += out.failed is not None
    return n / (time.perf_counter() - t0), failed


def free(n: int) -> float:
    """Free runs of the right variant per second (nothing to explore: one run each)."""
    t0 = time.perf_counter()
    for i in range(n):
        rec = TraceRecorder()
        config = LabConfig(experiment=EXPERIMENT, variant="right", interleaving=ANY_ORDER, seed=i)
        bench = LabBench(config, clock=SimClock(None, recorder=rec), recorder=rec)
        bench.start()
        while not bench.finished():
            time.sleep(0.0002)
        if bench.stop(bench.end_reason):
            raise SystemExit("a free run left a thread alive")
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--schedules", type=int, default=300, help="schedules (and free runs) per repeat")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="a cheap smoke run, not a measurement")
    args = ap.parse_args()
    if args.quick:
        args.schedules, args.repeats = 20, 1
    right, wrong, base, found = [], [], [], []
    for _ in range(args.repeats):
        base.append(free(args.schedules))
        rate, bad = explored("right", args.schedules)
        right.append(rate)
        if bad:
            raise SystemExit(f"the right variant failed in {bad} schedules")
        rate, bad = explored("wrong", args.schedules)
        wrong.append(rate)
        found.append(bad)
    right_s, wrong_s, base_s = (statistics.median(v) for v in (right, wrong, base))
    print(
        json.dumps(
            {
                "benchmark": "explore",
                "experiment": EXPERIMENT,
                "threads": 3,
                "strategy": "pos",
                "schedules": args.schedules,
                "repeats": args.repeats,
                "right_schedules_per_s": round(right_s, 1),
                "wrong_schedules_per_s": round(wrong_s, 1),
                "wrong_failures_found": found,
                "free_runs_per_s": round(base_s, 1),
                "ratio": round(right_s / base_s, 3),
                "runs": {
                    "right": [round(v, 1) for v in right],
                    "wrong": [round(v, 1) for v in wrong],
                    "free": [round(v, 1) for v in base],
                },
                "bar": BAR,
                "ok": min(right_s, wrong_s) >= BAR,
            }
        )
    )


if __name__ == "__main__":
    main()
