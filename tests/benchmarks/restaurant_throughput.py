"""Headless restaurant at speed "max" through the CLI: orders per second vs raw
threading.Barrier crossings per second with the same number of parties, both in this run.

    python tests/benchmarks/restaurant_throughput.py [--orders 20000] [--stations 3] [--quick]

Three cases, each a whole ``app.main(["run", "restaurant", ...])`` call in this process
(argument parsing, set-up, the run, the writers' close), timed from the call to its return:
no trace, ``--trace FILE.jsonl`` and ``--chrome-trace FILE.json``. Each case run is paired
with a raw-barrier run just before it (so a change in machine load hits both alike); the
cases rotate order each repeat. The reported ratio is the median of a case's pair ratios.
Prints one JSON line; bars (docs/quality-bars.md): >= 0.5 without a trace, >= 0.35 with either.
``--quick`` is a cheap smoke run (well under a second) for CI, not a measurement.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

import _common

BARS = {"no_trace": 0.5, "jsonl": 0.35, "chrome": 0.35}


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


def cli_orders_per_s(orders: int, stations: int, extra: list[str]) -> float:
    argv = ["run", "restaurant", "--orders", str(orders), "--stations", str(stations)]
    argv += ["--speed", "max", "--json", *extra]
    elapsed, code, summary = _common.run_cli(argv)
    assert code == 0 and summary["served"] == orders, (code, summary)
    return orders / elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=20000)
    ap.add_argument("--stations", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="a cheap smoke run (well under a second)")
    args = ap.parse_args()
    raw_s = 0.5
    if args.quick:
        args.orders, args.repeats, raw_s = 300, 1, 0.05
    with tempfile.TemporaryDirectory() as tmp:
        cases = {
            "no_trace": [],
            "jsonl": ["--trace", str(Path(tmp) / "t.jsonl")],
            "chrome": ["--chrome-trace", str(Path(tmp) / "t.json")],
        }
        cli_orders_per_s(min(args.orders, 200), args.stations, [])  # imports and first-call costs
        raw: list[float] = []
        per_s: dict[str, list[float]] = {name: [] for name in cases}
        ratios: dict[str, list[float]] = {name: [] for name in cases}
        names = list(cases)
        for i in range(args.repeats):
            for name in names[i % 3 :] + names[: i % 3]:
                r = raw_crossings_per_s(args.stations, raw_s)
                k = cli_orders_per_s(args.orders, args.stations, cases[name])
                raw.append(r)
                per_s[name].append(k)
                ratios[name].append(k / r)
    med = {name: statistics.median(v) for name, v in per_s.items()}
    ratio = {name: round(statistics.median(v), 3) for name, v in ratios.items()}
    print(
        json.dumps(
            {
                "benchmark": "restaurant_throughput",
                "stations": args.stations,
                "orders": args.orders,
                "repeats": args.repeats,
                "quick": args.quick,
                "raw_crossings_per_s": round(statistics.median(raw)),
                "orders_per_s": {name: round(v) for name, v in med.items()},
                "ratio": ratio,
                "ratio_spread": {name: [round(min(v), 3), round(max(v), 3)] for name, v in ratios.items()},
                "bars": BARS,
                "held": all(ratio[name] >= bar for name, bar in BARS.items()),
            }
        )
    )


if __name__ == "__main__":
    main()
