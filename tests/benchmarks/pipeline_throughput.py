"""Headless pipeline at speed "max": items saved per second vs raw ``queue.Queue`` hand-offs
per second through three stages of plain threads, both measured in this run, with the same
pools (2/4/2 workers) and the same queue capacity.

The baseline does nothing but hand each item on: a thread of each stage takes it from the
stage's ``queue.Queue`` and puts it into the next one (the last stage counts it). The
pipeline does all it does in a run: batch barriers, back-pressure, fault draws, the trace.

    python tests/benchmarks/pipeline_throughput.py [--items 40000] [--repeats 5] [--quick]

Each repeat measures the baseline and then the pipeline, back to back; the ratio is the
median of the repeats' ratios (a pair shares the machine's load of the moment: on two busy
cores the raw figure alone moves by half). Prints one JSON line; bar (docs/quality-bars.md): ratio >= 0.3.
"""

from __future__ import annotations

import argparse
import json
import queue
import statistics
import threading
import time

import _common  # noqa: F401

from app.engine.clock import SimClock
from app.scenes.pipeline.model import PipelineConfig
from app.scenes.pipeline.spec import SCENE
from app.trace.recorder import TraceRecorder

WORKERS = (2, 4, 2)
BAR = 0.3
_DONE = object()


def raw_handoffs_per_s(items: int, capacity: int) -> float:
    """Items per second through three stages of plain threads and bounded queues."""
    queues = [queue.Queue() for _ in WORKERS]  # the first is the source: filled up front
    for q in queues[1:]:
        q.maxsize = capacity
    for i in range(items):
        queues[0].put(i)
    counted = [0]
    lock = threading.Lock()
    finished = threading.Event()

    def stage(s: int) -> None:
        take = queues[s].get
        give = queues[s + 1].put if s + 1 < len(queues) else None
        while True:
            item = take()
            if item is _DONE:
                queues[s].put(_DONE)  # let the stage's other threads see it too
                return
            if give is not None:
                give(item)
                continue
            with lock:
                counted[0] += 1
                if counted[0] == items:
                    finished.set()

    threads = [threading.Thread(target=stage, args=(s,)) for s, n in enumerate(WORKERS) for _ in range(n)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    finished.wait()
    elapsed = time.perf_counter() - t0
    for q in queues:
        q.put(_DONE)
    for t in threads:
        t.join()
    return items / elapsed


def pipeline_items_per_s(items: int) -> tuple[float, dict]:
    """Items saved per second by the headless pipeline at "max" (the CLI's defaults, 2/4/2)."""
    config = SCENE.configure(SCENE.default_config(), {"items": 0})
    assert config.workers == WORKERS
    rec = TraceRecorder(capacity=10_000)  # as a headless run has it
    sim = SCENE.build(config, SimClock(None, recorder=rec), rec, None)
    done = threading.Event()
    sim.start()
    t0 = time.perf_counter()
    sim.feed(items)
    while not sim.finished():
        done.wait(0.002)
    elapsed = time.perf_counter() - t0
    alive = sim.stop()
    summary = sim.summary()
    assert not alive and summary["served"] == items and summary["open"] == 0, summary
    return items / elapsed, summary


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=40_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="2,000 items, once (a CI smoke run)")
    args = ap.parse_args()
    if args.quick:
        args.items, args.repeats = 2_000, 1
    capacity = PipelineConfig().queue_capacity
    raw, pipe = [], []
    summary: dict = {}
    for _ in range(args.repeats):  # interleaved, so load drift hits both alike
        raw.append(raw_handoffs_per_s(args.items, capacity))
        rate, summary = pipeline_items_per_s(args.items)
        pipe.append(rate)
    r, p = statistics.median(raw), statistics.median(pipe)
    ratio = statistics.median(b / a for a, b in zip(raw, pipe, strict=True))
    print(
        json.dumps(
            {
                "benchmark": "pipeline_throughput",
                "workers": dict(zip(("load", "transform", "save"), WORKERS, strict=True)),
                "items": args.items,
                "raw_handoffs_per_s": round(r),
                "pipeline_items_per_s": round(p),
                "ratio": round(ratio, 3),
                "runs": {"raw": [round(x) for x in raw], "pipeline": [round(x) for x in pipe]},
                "batch_size": summary["batch_size"],
                "queue_capacity": capacity,
                "batches": {k: v["batches"] for k, v in summary["stages"].items()},
                "bar": BAR,
                "ok": ratio >= BAR,
            }
        )
    )


if __name__ == "__main__":
    main()
