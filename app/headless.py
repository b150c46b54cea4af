"""Headless runs: place orders, let the scene work, print what happened."""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from app.engine.clock import SimClock
from app.engine.contract import SceneSpec
from app.engine.controlled import supervise
from app.engine.faults import SpecError
from app.engine.simulation import Simulation
from app.scenes import registry
from app.scenes.scenario import load_scenario
from app.sync.control import ReplayStrategy, Scheduler, make_strategy
from app.trace.export import ChromeTraceWriter, JsonlWriter
from app.trace.format import TraceFormatError, read_trace, trace_header
from app.trace.recorder import TraceRecorder, bind_thread_name

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_POLL_S = 0.05
_FLUSH_S = 1.0


def scene_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The scene flags the user gave (every scene's flags are on the one ``run`` parser)."""
    names = {f.name for spec in registry.SCENES for f in spec.flags}
    return {n: v for n in sorted(names) if (v := getattr(args, n, None)) is not None}


def _restart_limits(config: Any, args: argparse.Namespace) -> Any:
    """``--max-restarts`` and ``--restart-window`` over the scene's (or file's) restart policy."""
    given = {"max_restarts": "max_restarts", "window_s": "restart_window"}
    limits = {k: v for k, flag in given.items() if (v := getattr(args, flag, None)) is not None}
    if not limits:
        return config
    return dataclasses.replace(config, restart=dataclasses.replace(config.restart, **limits))


def build_simulation(args: argparse.Namespace, recorder: TraceRecorder) -> tuple[SceneSpec, Simulation]:
    """The scene the user asked for, configured from its file and flags (raises SpecError)."""
    scenario = args.scenario
    if scenario.endswith(".toml"):
        loaded = load_scenario(scenario)
        spec, config = loaded.spec, loaded.config
    else:
        spec = registry.get(scenario)
        config = spec.default_config()
    given = scene_flags(args)
    spec.check_flags(given)
    given = spec.read_flags(given)
    config = spec.configure(config, given)
    config = spec.with_common(config, seed=args.seed, faults=args.faults)
    config = _restart_limits(config, args)
    clock = SimClock(args.speed, recorder=recorder)
    return spec, spec.build(config, clock, recorder, None)


def make_scheduler(args: argparse.Namespace, recorder: TraceRecorder) -> Scheduler | None:
    """The scheduler ``--schedule`` or ``--replay`` asks for (None: a free run)."""
    if getattr(args, "replay", None):
        header, choices = read_schedule(args.replay)
        return Scheduler(ReplayStrategy(choices, header.get("schedule") or {}), recorder=recorder)
    name = getattr(args, "schedule", None)
    if not name:
        return None
    options = {"depth": args.pct_depth} if name == "pct" and getattr(args, "pct_depth", None) else {}
    return Scheduler(make_strategy(name, args.seed or 0, **options), recorder=recorder)


def read_schedule(path: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A trace's header and the schedule's choices in it (raises SpecError on a bad file)."""
    try:
        header, records = read_trace(path)
        choices = [r for r in records if r["kind"] == "sched.choice"]
    except FileNotFoundError:
        raise SpecError(f"--replay: no such file: {path}") from None
    except OSError as exc:
        raise SpecError(f"--replay: cannot read {path}: {exc.strerror or exc}") from None
    except TraceFormatError as exc:
        raise SpecError(f"--replay: {exc}") from None
    if header is None or "schedule" not in header:
        raise SpecError(f"--replay: {path} is not a controlled run's trace (run with --schedule and --trace)")
    return header, choices


def check_replay(args: argparse.Namespace, spec: SceneSpec, sim: Simulation) -> None:
    """A replay must run the scene and settings the trace was made with (else SpecError)."""
    header, _ = read_schedule(args.replay)
    made = trace_header(spec.name, sim.config, sim.config.seed)
    for key in ("scene", "seed", "config"):
        if header.get(key) != made[key]:
            raise SpecError(
                f"--replay: {args.replay} was made with another {key} "
                f"({_differs(header.get(key), made[key])}); give the command it was made with"
            )


def _differs(was: Any, now: Any) -> str:
    if isinstance(was, dict) and isinstance(now, dict):
        keys = [k for k in sorted(set(was) | set(now)) if was.get(k) != now.get(k)]
        return ", ".join(f"{k} {was.get(k)!r} there, {now.get(k)!r} here" for k in keys[:3])
    return f"{was!r} there, {now!r} here"


def _open_writers(
    args: argparse.Namespace, spec: SceneSpec, sim: Simulation, recorder: TraceRecorder
) -> list[Any]:
    writers: list[Any] = []
    header = trace_header(spec.name, sim.config, sim.config.seed)
    if sim.scheduler is not None:
        header["schedule"] = sim.scheduler.describe()
    makers: list[tuple[str | None, Callable[[Path], Any]]] = [
        (args.trace, lambda p: JsonlWriter(p, header=header)),
        (args.chrome_trace, lambda p: ChromeTraceWriter(p, spans=spec.spans, header=header)),
    ]
    for path, make in makers:
        if not path:
            continue
        try:
            writer = make(Path(path))
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


def _progress(spec: SceneSpec, sim: Simulation) -> str:
    s = sim.summary()
    state = f", {s['final_state']}" if "final_state" in s else ""
    return (
        f"\r{s['served']}/{s['placed']} {spec.unit} {spec.unit_done}, {s['cancelled']} cancelled, "
        f"{s['faults']} faults, {s['restarts']} restarts{state}   "
    )


@dataclass
class Prepared:
    """A run that passed every input check and has not started a thread yet."""

    spec: SceneSpec
    sim: Simulation
    writers: list[Any]


def prepare(args: argparse.Namespace) -> Prepared:
    """Everything that can fail on bad input, before any thread starts (raises SpecError)."""
    recorder = TraceRecorder(capacity=10_000)  # summaries count every record; the ring is for views
    recorder.scheduler = make_scheduler(args, recorder)
    spec, sim = build_simulation(args, recorder)
    if getattr(args, "replay", None):
        check_replay(args, spec, sim)
    return Prepared(spec, sim, _open_writers(args, spec, sim, recorder))


def printout(args: argparse.Namespace) -> str | None:
    """What a scene flag that prints and exits (``Flag.prints``) has to say, if one was given."""
    scenario = args.scenario
    spec = load_scenario(scenario).spec if scenario.endswith(".toml") else registry.get(scenario)
    given = scene_flags(args)
    spec.check_flags(given)
    for flag in spec.flags:
        if flag.prints is not None and given.get(flag.name):
            return flag.prints()
    return None


def run(args: argparse.Namespace) -> int:
    bind_thread_name("main")
    text = printout(args)
    if text is not None:
        print(text)
        return EXIT_OK
    return execute(args, prepare(args))


def execute(args: argparse.Namespace, prepared: Prepared) -> int:
    """Run a prepared simulation to its end (or a signal) and report."""
    spec, sim, writers = prepared.spec, prepared.sim, prepared.writers
    show_progress = not args.json and sys.stderr is not None and sys.stderr.isatty()
    t0 = time.monotonic()
    with _Signals() as signals:
        last = {"draw": 0.0, "flush": 0.0}

        def poll() -> None:
            now = time.monotonic()
            if writers and now - last["flush"] > _FLUSH_S:
                sim.recorder.flush()  # trace files keep up with the run, batch or not
                last["flush"] = now
            if show_progress and now - last["draw"] > 0.2:
                sys.stderr.write(_progress(spec, sim))
                sys.stderr.flush()
                last["draw"] = now

        if sim.scheduler is not None:
            _, alive = supervise(sim, interrupted=lambda: signals.received is not None, on_poll=poll)
        else:
            sim.start()
            while not sim.finished() and sim.deadlock is None and signals.received is None:
                time.sleep(_POLL_S)  # the main thread polls so Ctrl-C is handled promptly
                poll()
            reason = sim.end_reason if sim.deadlock is None else "deadlock"
            if signals.received is not None:
                reason = f"interrupted by {signal.Signals(signals.received).name}"
            alive = sim.stop(reason)
    wall = time.monotonic() - t0
    for w in writers:
        w.close()
    if show_progress:
        sys.stderr.write(_progress(spec, sim) + "\n")
    summary = {**sim.summary(), "wall_s": round(wall, 3), "speed": args.speed or "max"}
    summary["per_s"] = round(summary["served"] / wall, 1) if wall > 0 else None
    summary["threads_alive"] = alive
    summary["deadlock"] = sim.deadlock
    summary["interrupted"] = signals.received is not None
    sched = sim.scheduler
    if sched is not None:
        summary["schedule"] = {
            **sched.describe(),
            "steps": sched.steps,
            "choices": sched.choices,
            "sim_s": round(sched.now, 3),
            "diverged": sched.diverged,
        }
    _report(spec, summary, args.json, print)
    if signals.received is not None:
        return 128 + signals.received
    if sched is not None and sched.diverged:
        return EXIT_FAILED
    return EXIT_FAILED if alive or sim.failures() else EXIT_OK


def _report(spec: SceneSpec, summary: dict[str, Any], as_json: bool, out: Callable[[str], None]) -> None:
    if as_json:
        out(json.dumps(summary))
        return
    unit = spec.unit
    out(
        f"{summary['scenario']}: {summary['placed']} {unit}, {summary['served']} {spec.unit_done}, "
        f"{summary['cancelled']} cancelled in {summary['wall_s']} s "
        f"({summary['per_s']} {unit}/s at speed {summary['speed']})"
    )
    kinds = ", ".join(f"{k} {n}" for k, n in summary["faults_by_kind"].items())
    out(f"faults: {summary['faults']}" + (f" ({kinds})" if kinds else ""))
    out(f"restarts: {summary['restarts']}")
    for line in spec.report(summary):
        out(line)
    for reason, n in summary.get("cancel_reasons", {}).items():
        out(f"cancelled ({reason}): {n}")
    if summary["escalated"]:
        out(f"escalated: {summary['escalated']}")
    schedule = summary.get("schedule")
    if schedule:
        out(
            f"schedule: {schedule['strategy']} seed {schedule.get('seed')}, {schedule['choices']} choices "
            f"in {schedule['steps']} steps, {schedule['sim_s']} simulated s"
        )
        if schedule["diverged"]:
            out(f"REPLAY DIVERGED: {schedule['diverged']}")
    if summary["deadlock"]:
        out(f"DEADLOCK (named by the watchdog): {summary['deadlock']['reason']}")
    for v in summary.get("violations", []):
        out(f"VIOLATION: {v}")
    if summary["threads_alive"]:
        out(f"threads still running after shutdown: {', '.join(summary['threads_alive'])}")
