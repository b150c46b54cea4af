"""Forced shutdown: time until every worker thread has been joined, across speeds and states.

    python tests/benchmarks/shutdown_latency.py [--repeats 5] [--schedule pos] [--quick]

For every scene in the registry, at each speed (0.25x, 1x, 16x, max) and in each state (idle,
busy, paused, mid-fault), stop() is timed; the baseline is joining four plain threads that
wait on an Event. Bar (docs/quality-bars.md): 500 ms. Prints one JSON line.

``--schedule STRATEGY`` runs every scene in controlled mode, stopped from this (non-task)
thread as the window stops it; "paused" is then the window's pause, a run held at a choice.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time

import _common  # noqa: F401

from app.engine.clock import SimClock
from app.scenes import registry
from app.sync.control import Scheduler, make_strategy
from app.trace.recorder import TraceRecorder
from tests.scene_driver import build, config_for, fault_any, wait_records, working_kinds

SPEEDS = {"0.25x": 0.25, "1x": 1.0, "16x": 16.0, "max": None}
STATES = ("idle", "busy", "paused", "mid-fault")


def baseline(n: int) -> float:
    stop = threading.Event()
    threads = [threading.Thread(target=stop.wait) for _ in range(n)]
    for t in threads:
        t.start()
    t0 = time.perf_counter()
    stop.set()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def scene_stop(spec, speed: float | None, state: str, schedule: str | None = None) -> float:
    """Seconds from a forced shutdown to every worker joined, with the scene in ``state``."""
    if schedule is None:
        sim = build(spec, config_for(spec, 0), speed)
    else:
        rec = TraceRecorder(capacity=2_000_000)
        rec.scheduler = Scheduler(make_strategy(schedule, 0), recorder=rec)
        sim = spec.build(config_for(spec, 0), SimClock(speed, recorder=rec), rec, None)
    sim.start()
    if state != "idle":
        sim.feed(50)
        wait_records(sim, working_kinds(spec), 1, 10)
        if state == "paused" and sim.scheduler is not None:
            sim.scheduler.hold()
        elif state == "paused":
            sim.clock.pause()
        if state == "mid-fault":
            fault_any(sim, spec)
    t0 = time.perf_counter()
    alive = sim.stop("forced shutdown")
    took = time.perf_counter() - t0
    assert alive == [], alive
    return took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="one repeat at two speeds (a CI smoke run)")
    ap.add_argument("--schedule", choices=("random", "pct", "pos"), default=None, help="controlled mode")
    args = ap.parse_args()
    repeats = 1 if args.quick else args.repeats
    speeds = {k: v for k, v in SPEEDS.items() if not args.quick or k in ("16x", "max")}
    out: dict[str, float] = {}
    for spec in registry.SCENES:
        for sname, speed in speeds.items():
            for state in STATES:
                runs = [scene_stop(spec, speed, state, args.schedule) for _ in range(repeats)]
                out[f"{spec.name} {sname} {state}"] = round(max(runs) * 1000, 2)
    base = statistics.median(baseline(4) for _ in range(repeats)) * 1000
    worst = max(out.values())
    print(
        json.dumps(
            {
                "benchmark": "shutdown_latency",
                "schedule": args.schedule or "free",
                "max_ms": out,
                "worst_ms": worst,
                "baseline_join_ms": round(base, 3),
                "bar_ms": 500,
                "held": worst <= 500,
            }
        )
    )


if __name__ == "__main__":
    main()
