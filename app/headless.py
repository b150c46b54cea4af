"""Headless runs: place orders, let the scene work, print what happened."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from app.core.clock import SimClock
from app.core.export import ChromeTraceWriter, JsonlWriter
from app.core.faults import FaultPlan, SpecError
from app.core.restaurant import FAULT_KINDS, Kitchen, KitchenConfig
from app.core.trace import TraceRecorder, bind_thread_name

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_POLL_S = 0.05


def build_kitchen(args: argparse.Namespace, recorder: TraceRecorder) -> Kitchen:
    plan = FaultPlan.parse(args.faults, FAULT_KINDS)
    kw: dict[str, Any] = {"faults": plan, "seed": args.seed}
    if args.stations is not None:
        if not 1 <= args.stations <= 16:
            raise SpecError(f"--stations must be from 1 to 16, got {args.stations}")
        config = KitchenConfig.with_station_count(args.stations, **kw)
    else:
        config = KitchenConfig(**kw)
    return Kitchen(config, clock=SimClock(args.speed, recorder=recorder), recorder=recorder)


def _open_writers(args: argparse.Namespace, recorder: TraceRecorder) -> list[Any]:
    writers: list[Any] = []
    for path, cls in ((args.trace, JsonlWriter), (args.chrome_trace, ChromeTraceWriter)):
        if not path:
            continue
        try:
            writer = cls(Path(path))
        except OSError as exc:
            for w in writers:
                w.close()
            raise SpecError(f"cannot write {path}: {exc.strerror or exc}") from None
        recorder.subscribe(writer)
        writers.append(writer)
    return writers


class _Signals:
    """Turns SIGINT and SIGTERM into a forced shutdown of the run in progress."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _Signals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.received = signum

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def _progress(kitchen: Kitchen, total: int) -> str:
    s = kitchen.summary()
    return (
        f"\r{s['served']}/{total} served, {s['cancelled']} cancelled, {kitchen.queued} queued, "
        f"{s['faults']} faults, {s['restarts']} restarts "
    )


def run(args: argparse.Namespace) -> int:
    scenario = args.scenario
    if scenario == "orchestrator" or scenario.endswith(".toml"):
        raise SpecError(f"scenario {scenario!r} is not available yet; use 'restaurant'")
    if scenario != "restaurant":
        raise SpecError(f"unknown scenario {scenario!r} (known: restaurant, orchestrator, FILE.toml)")
    bind_thread_name("main")
    recorder = TraceRecorder()
    kitchen = build_kitchen(args, recorder)
    writers = _open_writers(args, recorder)
    show_progress = not args.json and sys.stderr is not None and sys.stderr.isatty()
    t0 = time.monotonic()
    with _Signals() as signals:
        kitchen.start()
        for _ in range(args.orders):
            kitchen.place_order()
        last_draw = 0.0
        while not kitchen.finished() and signals.received is None:
            time.sleep(_POLL_S)  # the main thread polls so Ctrl-C is handled promptly
            if show_progress and time.monotonic() - last_draw > 0.2:
                sys.stderr.write(_progress(kitchen, args.orders))
                sys.stderr.flush()
                last_draw = time.monotonic()
        reason = "shutdown"
        if signals.received is not None:
            reason = f"interrupted by {signal.Signals(signals.received).name}"
        alive = kitchen.stop(reason)
    wall = time.monotonic() - t0
    for w in writers:
        w.close()
    if show_progress:
        sys.stderr.write(_progress(kitchen, args.orders) + "\n")
    summary = {**kitchen.summary(), "wall_s": round(wall, 3), "speed": args.speed or "max"}
    summary["orders_per_s"] = round(summary["served"] / wall, 1) if wall > 0 else None
    summary["threads_alive"] = alive
    summary["interrupted"] = signals.received is not None
    _report(summary, args.json, print)
    if signals.received is not None:
        return 128 + signals.received
    failed = alive or summary["escalated"] or summary["violations"] or summary["open"]
    return EXIT_FAILED if failed else EXIT_OK


def _report(summary: dict[str, Any], as_json: bool, out: Callable[[str], None]) -> None:
    if as_json:
        out(json.dumps(summary))
        return
    out(
        f"{summary['scenario']}: {summary['placed']} placed, {summary['served']} served, "
        f"{summary['cancelled']} cancelled in {summary['wall_s']} s "
        f"({summary['orders_per_s']} orders/s at speed {summary['speed']})"
    )
    out(f"faults: {summary['faults']} {summary['faults_by_kind'] or ''}".rstrip())
    out(f"restarts: {summary['restarts']}, walk-outs: {summary['walkouts']}, hires: {summary['hires']}")
    for reason, n in summary["cancel_reasons"].items():
        out(f"cancelled ({reason}): {n}")
    if summary["escalated"]:
        out(f"escalated: {summary['escalated']}")
    for v in summary["violations"]:
        out(f"VIOLATION: {v}")
    if summary["threads_alive"]:
        out(f"threads still running after shutdown: {', '.join(summary['threads_alive'])}")
