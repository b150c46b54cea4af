"""Headless runs: place orders, let the scene work, print what happened."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

from app.engine.clock import SimClock
from app.engine.faults import FaultPlan, SpecError
from app.engine.simulation import Simulation
from app.scenes.orchestrator.model import FAULT_KINDS as SYSTEM_FAULTS
from app.scenes.orchestrator.model import Orchestrator, SystemConfig
from app.scenes.restaurant.model import FAULT_KINDS as KITCHEN_FAULTS
from app.scenes.restaurant.model import Kitchen, KitchenConfig
from app.scenes.scenario import load_scenario
from app.trace.export import ChromeTraceWriter, JsonlWriter
from app.trace.recorder import TraceRecorder, bind_thread_name

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_POLL_S = 0.05


def build_simulation(args: argparse.Namespace, recorder: TraceRecorder) -> tuple[Simulation, int]:
    """The scene the user asked for, and how many orders (or requests) the run is for."""
    scenario = args.scenario
    seed = args.seed
    if scenario.endswith(".toml"):
        loaded = load_scenario(scenario)
        scene, config = loaded.scene, loaded.config
        orders = args.orders if args.orders is not None else loaded.orders
    elif scenario in ("restaurant", "orchestrator"):
        scene, config, orders = scenario, None, args.orders
    else:
        raise SpecError(f"unknown scenario {scenario!r} (known: restaurant, orchestrator, FILE.toml)")
    clock = SimClock(args.speed, recorder=recorder)
    overrides: dict[str, Any] = {}
    if seed is not None:
        overrides["seed"] = seed
    if scene == "restaurant":
        if args.faults or config is None:
            overrides["faults"] = FaultPlan.parse(args.faults, KITCHEN_FAULTS)
        if args.stations is not None:
            if not 1 <= args.stations <= 16:
                raise SpecError(f"--stations must be from 1 to 16, got {args.stations}")
            base = KitchenConfig.with_station_count(args.stations)
            overrides["stations"] = base.stations
        kitchen_config = replace(config or KitchenConfig(), **overrides)
        total = 20 if orders is None else orders
        return Kitchen(kitchen_config, clock=clock, recorder=recorder), total
    if args.stations is not None:
        raise SpecError("--stations applies to the restaurant only")
    if args.faults or config is None:
        overrides["faults"] = FaultPlan.parse(args.faults, SYSTEM_FAULTS)
    system = replace(config or SystemConfig(), **overrides)
    if orders is not None:
        system = replace(system, requests=orders)
    assert system.requests is not None
    return Orchestrator(system, clock=clock, recorder=recorder), system.requests


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


def _progress(sim: Simulation, total: int) -> str:
    s = sim.summary()  # type: ignore[attr-defined]
    state = f", {s['final_state']}" if "final_state" in s else ""
    return (
        f"\r{s['served']}/{total} done, {s['cancelled']} cancelled, "
        f"{s['faults']} faults, {s['restarts']} restarts{state}   "
    )


def prepare(args: argparse.Namespace) -> tuple[Simulation, int, list[Any]]:
    """Everything that can fail on bad input, before any thread starts (raises SpecError)."""
    recorder = TraceRecorder()
    sim, total = build_simulation(args, recorder)
    return sim, total, _open_writers(args, recorder)


def run(args: argparse.Namespace) -> int:
    bind_thread_name("main")
    sim, total, writers = prepare(args)
    return execute(args, sim, total, writers)


def execute(args: argparse.Namespace, sim: Simulation, total: int, writers: list[Any]) -> int:
    """Run a prepared simulation to its end (or a signal) and report."""
    show_progress = not args.json and sys.stderr is not None and sys.stderr.isatty()
    t0 = time.monotonic()
    with _Signals() as signals:
        sim.start()  # type: ignore[attr-defined]
        if isinstance(sim, Kitchen):
            for _ in range(total):
                sim.place_order()
        last_draw = 0.0
        while not sim.finished() and signals.received is None:  # type: ignore[attr-defined]
            time.sleep(_POLL_S)  # the main thread polls so Ctrl-C is handled promptly
            if show_progress and time.monotonic() - last_draw > 0.2:
                sys.stderr.write(_progress(sim, total))
                sys.stderr.flush()
                last_draw = time.monotonic()
        reason = "run complete" if isinstance(sim, Orchestrator) else "shutdown"
        if signals.received is not None:
            reason = f"interrupted by {signal.Signals(signals.received).name}"
        alive = sim.stop(reason)
    wall = time.monotonic() - t0
    for w in writers:
        w.close()
    if show_progress:
        sys.stderr.write(_progress(sim, total) + "\n")
    summary = {**sim.summary(), "wall_s": round(wall, 3), "speed": args.speed or "max"}  # type: ignore[attr-defined]
    summary["per_s"] = round(summary["served"] / wall, 1) if wall > 0 else None
    summary["threads_alive"] = alive
    summary["interrupted"] = signals.received is not None
    _report(summary, args.json, print)
    if signals.received is not None:
        return 128 + signals.received
    failed = alive or summary["escalated"] or summary.get("violations") or summary.get("open")
    return EXIT_FAILED if failed else EXIT_OK


def _report(summary: dict[str, Any], as_json: bool, out: Callable[[str], None]) -> None:
    if as_json:
        out(json.dumps(summary))
        return
    unit, done = ("orders", "served") if summary["scenario"] == "restaurant" else ("requests", "processed")
    out(
        f"{summary['scenario']}: {summary['placed']} {unit}, {summary['served']} {done}, "
        f"{summary['cancelled']} cancelled in {summary['wall_s']} s "
        f"({summary['per_s']} {unit}/s at speed {summary['speed']})"
    )
    out(f"faults: {summary['faults']} {summary['faults_by_kind'] or ''}".rstrip())
    if "walkouts" in summary:
        out(f"restarts: {summary['restarts']}, walk-outs: {summary['walkouts']}, hires: {summary['hires']}")
    else:
        out(f"restarts: {summary['restarts']} {summary['restarts_by_component']}")
        out("states: " + " -> ".join(summary["states_visited"]))
        out("time in state (s): " + ", ".join(f"{k} {v}" for k, v in summary["time_in_state_s"].items()))
    for reason, n in summary.get("cancel_reasons", {}).items():
        out(f"cancelled ({reason}): {n}")
    if summary["escalated"]:
        out(f"escalated: {summary['escalated']}")
    for v in summary.get("violations", []):
        out(f"VIOLATION: {v}")
    if summary["threads_alive"]:
        out(f"threads still running after shutdown: {', '.join(summary['threads_alive'])}")
