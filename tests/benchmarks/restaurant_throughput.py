"""Headless restaurant at speed "max": orders per second vs raw threading.Barrier crossings
per second with the same number of parties, both measured in this run.

    python tests/benchmarks/restaurant_throughput.py [--orders 20000] [--stations 3]

Prints one JSON line; bar (DESIGN.md): ratio >= 0.5.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time

import _common  # noqa: F401

from app.engine.clock import SimClock
from app.scenes.restaurant.model import Kitchen, KitchenConfig
from app.trace.recorder import TraceRecorder


def raw_crossings_per_s(parties: int, seconds: float) -> float:
    barrier = threading.Barrier(parties)
    deadline = time.perf_counter() + seconds
    counts = [0] * parties

    def body(i: int) -> None:
        try:
            while True:
                barrier.wait()
                counts[i] += 1
                if time.perf_counter() > deadline:
                    barrier.abort()
                    return
        except threading.BrokenBarrierError:
            pass

    threads = [threading.Thread(target=body, args=(i,)) for i in range(parties)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return max(counts) / (time.perf_counter() - t0)


def orders_per_s(orders: int, stations: int) -> float:
    rec = TraceRecorder()
    kitchen = Kitchen(
        KitchenConfig.with_station_count(stations), clock=SimClock(None, recorder=rec), recorder=rec
    )
    done = threading.Event()
    kitchen.start()
    t0 = time.perf_counter()
    for _ in range(orders):
        kitchen.place_order()
    while not kitchen.finished():
        done.wait(0.005)
    elapsed = time.perf_counter() - t0
    kitchen.stop()
    assert kitchen.book.served == orders, kitchen.summary()
    return orders / elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=20000)
    ap.add_argument("--stations", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    raw, kitchen = [], []
    for _ in range(args.repeats):
        raw.append(raw_crossings_per_s(args.stations, 1.0))
        kitchen.append(orders_per_s(args.orders, args.stations))
    r, k = statistics.median(raw), statistics.median(kitchen)
    print(
        json.dumps(
            {
                "benchmark": "restaurant_throughput",
                "stations": args.stations,
                "raw_crossings_per_s": round(r),
                "orders_per_s": round(k),
                "ratio": round(k / r, 3),
                "bar": 0.5,
            }
        )
    )


if __name__ == "__main__":
    main()
