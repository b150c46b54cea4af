"""One driver for every scene in the registry: build it, feed it, fault it, pause it, let it
run until the trace shows progress, stop it, and judge the run by the scene's promises."""

from __future__ import annotations

import threading
from contextlib import suppress
from typing import Any

from hypothesis import strategies as st

from app.engine.clock import SimClock
from app.engine.contract import SceneSpec
from app.engine.invariants import unit_violations
from app.engine.simulation import Simulation
from app.engine.timeline import WORKING
from app.trace import Record, TraceRecorder


def config_for(spec: SceneSpec, units: int, faults: str = "", seed: int = 0) -> Any:
    """The scene's headless defaults, for ``units`` units of work."""
    config = spec.configure(spec.default_config(), {spec.units_flag: units})
    return spec.with_common(config, seed=seed, faults=faults)


def build(spec: SceneSpec, config: Any, speed: float | None = None) -> Simulation:
    rec = TraceRecorder(capacity=2_000_000)
    return spec.build(config, SimClock(speed, recorder=rec), rec, None)


def some_faults(spec: SceneSpec, rate: float = 0.03) -> str:
    return ",".join(f"{kind}={rate}" for kind in spec.fault_kinds)


def working_kinds(spec: SceneSpec) -> tuple[str, ...]:
    """Record kinds that put a worker to work: their arrival means the scene is busy."""
    return tuple(kind for kind, state in spec.lanes.items() if state == WORKING)


def wait_records(sim: Simulation, kinds: tuple[str, ...], count: int, timeout: float) -> bool:
    """Block until ``count`` more records of ``kinds`` arrive (True), or ``timeout`` passes."""
    seen = [0]
    enough = threading.Event()

    def watch(rec: Record) -> None:
        if rec["kind"] in kinds:
            seen[0] += 1
            if seen[0] >= count:
                enough.set()

    unsubscribe = sim.recorder.subscribe(watch)
    try:
        return enough.wait(timeout)
    finally:
        unsubscribe()


def wait_finished(sim: Simulation, timeout: float) -> bool:
    done = threading.Event()
    deadline = threading.Timer(timeout, done.set)
    deadline.start()
    try:
        while not sim.finished() and not done.is_set():
            done.wait(0.01)
        return sim.finished()
    finally:
        deadline.cancel()
        deadline.join()


def fault_any(sim: Simulation, spec: SceneSpec, kind: str | None = None) -> str:
    """Inject a fault of ``kind`` (or of the first kind the scene accepts now)."""
    for k in [kind] if kind else spec.fault_kinds:
        with suppress(ValueError):  # e.g. no target is in a state that kind can hit: refusing is correct
            return sim.inject(k)
    return ""


def steps(spec: SceneSpec) -> st.SearchStrategy[tuple]:
    """Readable steps every scene understands; a failing list shrinks to a short one."""
    return st.one_of(
        st.tuples(st.just("feed"), st.integers(1, 4)),
        st.tuples(st.just("fault"), st.sampled_from(spec.fault_kinds)),
        st.tuples(st.just("pause")),
        st.tuples(st.just("resume")),
        st.tuples(st.just("speed"), st.sampled_from([None, 16.0, 8.0])),
        st.tuples(st.just("run"), st.integers(1, 3)),
    )


def play(sim: Simulation, spec: SceneSpec, step: tuple) -> None:
    name = step[0]
    if name == "feed":
        sim.feed(step[1])
    elif name == "fault":
        fault_any(sim, spec, step[1])
    elif name == "pause":
        sim.clock.pause()
    elif name == "resume":
        sim.clock.resume()
    elif name == "speed":
        sim.clock.set_speed(step[1])
    elif name == "run":
        wait_records(sim, working_kinds(spec), step[1], 0.3)
    else:
        raise AssertionError(f"unknown step {step!r}")


def judge(spec: SceneSpec, sim: Simulation, alive: list[str]) -> list[str]:
    """Everything a stopped run must satisfy, as a list of what went wrong."""
    problems = [f"threads alive after stop: {alive}"] if alive else []
    summary = sim.summary()
    problems += unit_violations(summary)
    records = sim.recorder.snapshot()
    problems += spec.invariants(records)
    problems += [f"worker error: {e}" for e in summary.get("errors") or ()]
    # The watchdog never names a deadlock in a healthy run.
    named = [r["reason"] for r in records if r["kind"] == "watchdog.deadlock"]
    if sim.watchdog.fired or named:
        problems.append(f"the watchdog fired {sim.watchdog.fired} times: {named}")
    view = spec.view_model(sim.config)
    for rec in records:
        view.apply(rec)
    folded = view.totals()
    mine = {k: summary[k] for k in folded}
    if folded != mine:
        problems.append(f"view-model folded {folded} from the trace, the summary says {mine}")
    return problems
