"""Soak: a long headless run at speed "max" with faults; nothing lost, memory flat.

    python tests/benchmarks/soak.py [--orders 100000] [--faults SPEC] [--max-restarts N] [--restart-window S]
    (default: 2% faults, 0.5% each kind; a budget of 100,000 restarts in 30 simulated seconds,
    so faults at a few per cent do not escalate)

Resident memory is read when 10% of the orders have ended (the trace ring is full by then)
and at the end; "growth_ratio" is end / 10%. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import threading
import time

import _common  # noqa: F401

from app.engine.budget import RestartPolicy
from app.engine.clock import SimClock
from app.engine.faults import FaultPlan
from app.scenes.restaurant.model import FAULT_KINDS, Kitchen, KitchenConfig
from app.trace.recorder import TraceRecorder


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    import resource

    return pages * resource.getpagesize() / 2**20


def soak(orders: int, faults: str, restart: RestartPolicy) -> dict[str, object]:
    rec = TraceRecorder()
    config = KitchenConfig(
        faults=FaultPlan.parse(faults, FAULT_KINDS),
        max_speed_timeout_s=0.05,
        restart=restart,
        rehire_after_s=3.0,
    )
    kitchen = Kitchen(config, clock=SimClock(None, recorder=rec), recorder=rec)
    tick = threading.Event()
    kitchen.start()
    t0 = time.perf_counter()
    kitchen.feed(orders)  # made as the queue drains: memory must not grow with the run
    early = None
    while not kitchen.finished():
        tick.wait(0.05)
        if early is None and kitchen.book.served + kitchen.book.cancelled >= orders // 10:
            early = rss_mib()
    wall = time.perf_counter() - t0
    alive = kitchen.stop()
    end = rss_mib()
    s = kitchen.summary()
    lost = s["placed"] - s["served"] - s["cancelled"]
    return {
        "benchmark": "soak",
        "orders": orders,
        "faults": faults,
        "served": s["served"],
        "cancelled": s["cancelled"],
        "lost": lost,
        "violations": len(s["violations"]),
        "faults_injected": s["faults"],
        "restarts": s["restarts"],
        "escalated": s["escalated"],
        "threads_alive": alive,
        "wall_s": round(wall, 1),
        "orders_per_s": round(orders / wall),
        "rss_mib_at_10pct": round(early or end, 1),
        "rss_mib_end": round(end, 1),
        "growth_ratio": round(end / (early or end), 3),
        "watchdog_fired": kitchen.watchdog.fired,
        "trace_records": rec.total,
        "trace_ring": len(rec.snapshot()),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--faults", default="crash=0.005,burn=0.005,stall=0.005,walkout=0.005")
    ap.add_argument("--max-restarts", type=int, default=100_000)
    ap.add_argument("--restart-window", type=float, default=30.0)
    ap.add_argument("--quick", action="store_true", help="2,000 orders (a CI smoke run)")
    args = ap.parse_args()
    if args.quick:
        args.orders = 2000
    restart = RestartPolicy(max_restarts=args.max_restarts, window_s=args.restart_window)
    print(json.dumps(soak(args.orders, args.faults, restart)))


if __name__ == "__main__":
    main()
