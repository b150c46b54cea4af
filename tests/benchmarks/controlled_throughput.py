"""Headless restaurant at speed "max": orders per second in controlled mode against free mode,
both in this run.

    python tests/benchmarks/controlled_throughput.py [--orders 5000] [--strategy pct] [--quick]

Each case is a whole ``app.main(["run", "restaurant", ...])`` call in this process, timed from
the call to its return. Every controlled run (``--schedule STRATEGY``) is paired with a free
run just before it, so a change in machine load hits both alike; the reported ratio is the
median of the pair ratios. All three strategies are measured; the bar (docs/quality-bars.md)
is on the worst of them: controlled >= 0.25x free. ``--quick`` is a CI smoke run.
"""

from __future__ import annotations

import argparse
import json
import statistics

import _common

BAR = 0.25
STRATEGIES = ("random", "pct", "pos")


def orders_per_s(orders: int, extra: list[str]) -> tuple[float, dict]:
    argv = ["run", "restaurant", "--orders", str(orders), "--speed", "max", "--seed", "1", "--json", *extra]
    elapsed, code, summary = _common.run_cli(argv)
    assert code == 0 and summary["served"] == orders, (code, summary)
    return orders / elapsed, summary


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=5000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="a cheap smoke run (well under a second)")
    args = ap.parse_args()
    if args.quick:
        args.orders, args.repeats = 200, 1
    orders_per_s(min(args.orders, 200), [])  # imports and first-call costs
    free: list[float] = []
    per_s: dict[str, list[float]] = {s: [] for s in STRATEGIES}
    ratios: dict[str, list[float]] = {s: [] for s in STRATEGIES}
    steps: dict[str, int] = {}
    for i in range(args.repeats):
        order = STRATEGIES[i % 3 :] + STRATEGIES[: i % 3]
        for name in order:
            f, _ = orders_per_s(args.orders, [])
            c, summary = orders_per_s(args.orders, ["--schedule", name])
            free.append(f)
            per_s[name].append(c)
            ratios[name].append(c / f)
            steps[name] = summary["schedule"]["steps"]
    ratio = {name: round(statistics.median(v), 3) for name, v in ratios.items()}
    print(
        json.dumps(
            {
                "benchmark": "controlled_throughput",
                "orders": args.orders,
                "repeats": args.repeats,
                "quick": args.quick,
                "free_orders_per_s": round(statistics.median(free)),
                "controlled_orders_per_s": {n: round(statistics.median(v)) for n, v in per_s.items()},
                "scheduling_points": steps,
                "ratio": ratio,
                "ratio_spread": {n: [round(min(v), 3), round(max(v), 3)] for n, v in ratios.items()},
                "bar": BAR,
                "held": min(ratio.values()) >= BAR,
            }
        )
    )


if __name__ == "__main__":
    main()
