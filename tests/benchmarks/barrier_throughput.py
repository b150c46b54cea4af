"""Traced Barrier vs raw threading.Barrier: crossings per second, same machine, same run.

    python tests/benchmarks/barrier_throughput.py [--seconds 0.25] [--pairs 9] [--quick]

For each party count (3, 8, 32), raw and traced runs of ``--seconds`` each alternate
``--pairs`` times; each pair's ratio is traced / raw, measured a moment apart, so a change in
machine load hits both sides of a pair alike. The reported ratio is the median of the pairs'
ratios (bar: >= 0.8). Prints one JSON line. ``--quick`` is a cheap smoke run (about a third
of a second) for CI, not a measurement.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time

import _common  # noqa: F401

from app.sync import Barrier
from app.trace.recorder import TraceRecorder

BAR = 0.8


def measure(parties: int, seconds: float, pairs: int) -> dict[str, float]:
    rec = TraceRecorder()
    raw, traced, ratios = [], [], []
    for i in range(pairs):
        # Alternate which side goes first, so neither always runs on a warmer machine.
        sides = [("raw", lambda p: threading.Barrier(p)), ("traced", lambda p: Barrier(p, recorder=rec))]
        got = {name: _run(make, parties, seconds) for name, make in (sides if i % 2 == 0 else sides[::-1])}
        raw.append(got["raw"])
        traced.append(got["traced"])
        ratios.append(got["traced"] / got["raw"])
    return {
        "raw_per_s": round(statistics.median(raw)),
        "traced_per_s": round(statistics.median(traced)),
        "ratio": round(statistics.median(ratios), 3),
        "ratio_spread": [round(min(ratios), 3), round(max(ratios), 3)],
    }


def _run(make, parties: int, seconds: float) -> float:
    barrier = make(parties)
    deadline = time.perf_counter() + seconds
    done = [0] * parties

    def body(i: int) -> None:
        n = 0
        try:
            while True:
                barrier.wait()
                n += 1
                if time.perf_counter() > deadline:
                    barrier.abort()
                    break
        except threading.BrokenBarrierError:
            pass
        done[i] = n

    threads = [threading.Thread(target=body, args=(i,)) for i in range(parties)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 30)
    return max(done) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=0.25, help="length of one run")
    ap.add_argument("--pairs", type=int, default=9, help="raw/traced pairs per party count")
    ap.add_argument("--quick", action="store_true", help="a cheap smoke run, not a measurement")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.pairs = 0.05, 1
    results = {str(p): measure(p, args.seconds, args.pairs) for p in (3, 8, 32)}
    worst = min(v["ratio"] for v in results.values())
    print(
        json.dumps(
            {
                "benchmark": "barrier_throughput",
                "parties": results,
                "min_ratio": worst,
                "bar": BAR,
                "pairs": args.pairs,
                "seconds": args.seconds,
                "quick": args.quick,
                "held": worst >= BAR,
            }
        )
    )


if __name__ == "__main__":
    main()
