"""Forced shutdown: time until every worker thread has been joined, across speeds and states.

    python tests/benchmarks/shutdown_latency.py [--repeats 5]

For each speed (0.25x, 1x, 16x, max) and state (idle, cooking, paused, mid-fault), and for
the orchestrator (processing, restarting), stop() is timed; the baseline is joining the same
number of plain threads that wait on an Event. Bar (docs/quality-bars.md): 500 ms. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time

import _common  # noqa: F401

from app.engine.clock import SimClock
from app.scenes.orchestrator.model import Orchestrator, SystemConfig
from app.scenes.restaurant.model import Kitchen, KitchenConfig
from app.trace.recorder import TraceRecorder

SPEEDS = {"0.25x": 0.25, "1x": 1.0, "16x": 16.0, "max": None}


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


def kitchen_stop(speed: float | None, state: str) -> float:
    rec = TraceRecorder()
    k = Kitchen(KitchenConfig(rehire_after_s=None), clock=SimClock(speed, recorder=rec), recorder=rec)
    k.start()
    ready = threading.Event()
    if state != "idle":
        for _ in range(50):
            k.place_order()
        if state == "paused":
            k.clock.pause()
        if state == "mid-fault":
            k.inject("stall", "main")
            k.inject("crash", "dessert")
        ready.wait(0.2)  # let it get under way (this is a benchmark: the state is the point)
    t0 = time.perf_counter()
    alive = k.stop()
    took = time.perf_counter() - t0
    assert alive == [], alive
    return took


def system_stop(state: str) -> float:
    rec = TraceRecorder()
    o = Orchestrator(SystemConfig(requests=None), clock=SimClock(4.0, recorder=rec), recorder=rec)
    o.start()
    deadline = time.monotonic() + 10
    while o.state != "PROCESSING" and time.monotonic() < deadline:
        threading.Event().wait(0.01)
    if state == "restarting":
        o.inject("crash", "Database")
        while o.components["API server"].status != "restarting" and time.monotonic() < deadline:
            threading.Event().wait(0.005)
    t0 = time.perf_counter()
    alive = o.stop()
    took = time.perf_counter() - t0
    assert alive == [], alive
    return took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    out: dict[str, float] = {}
    for sname, speed in SPEEDS.items():
        for state in ("idle", "cooking", "paused", "mid-fault"):
            runs = [kitchen_stop(speed, state) for _ in range(args.repeats)]
            out[f"restaurant {sname} {state}"] = round(max(runs) * 1000, 2)
    for state in ("processing", "restarting"):
        out[f"orchestrator {state}"] = round(max(system_stop(state) for _ in range(args.repeats)) * 1000, 2)
    base = statistics.median(baseline(4) for _ in range(args.repeats)) * 1000
    worst = max(out.values())
    print(
        json.dumps(
            {
                "benchmark": "shutdown_latency",
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
