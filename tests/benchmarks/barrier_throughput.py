"""Traced Barrier vs raw threading.Barrier: crossings per second, same machine, same run.

    python tests/benchmarks/barrier_throughput.py [--seconds 1.0]

Prints one JSON line; ``ratio`` per party count is traced / raw (bar: >= 0.8).
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


def measure(parties: int, seconds: float, repeats: int) -> dict[str, float]:
    rec = TraceRecorder()
    raw, traced = [], []
    for _ in range(repeats):  # interleaved, so drift in machine load hits both alike
        raw.append(_run(lambda p: threading.Barrier(p), parties, seconds))
        traced.append(_run(lambda p: Barrier(p, recorder=rec), parties, seconds))
    r, t = statistics.median(raw), statistics.median(traced)
    return {"raw_per_s": round(r), "traced_per_s": round(t), "ratio": round(t / r, 3)}


def _run(make, parties: int, seconds: float) -> float:
    barrier = make(parties)
    deadline = time.perf_counter() + seconds
    done = [0] * parties
    finished = threading.Event()

    def body(i: int) -> None:
        n = 0
        try:
            while True:
                barrier.wait()
                n += 1
                if time.perf_counter() > deadline:
                    finished.set()
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
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    results = {str(p): measure(p, args.seconds, args.repeats) for p in (3, 8, 32)}
    worst = min(v["ratio"] for v in results.values())
    print(json.dumps({"benchmark": "barrier_throughput", "parties": results, "min_ratio": worst, "bar": 0.8}))


if __name__ == "__main__":
    main()
