"""Property tests: random schedules of orders, faults, pauses, speed changes, walk-outs and
hires, then a shutdown at whatever moment the schedule ends. Whatever happens, every order
ends exactly once, no thread outlives the shutdown, barrier rounds are consistent, and the
orchestrator takes only legal transitions. A failing schedule shrinks to a short list of
readable steps, e.g. [('fault', 'walkout', 'b'), ('order', 2), ('run', 1)]."""

from __future__ import annotations

import threading
from contextlib import suppress

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine.budget import RestartPolicy
from app.engine.clock import SimClock
from app.engine.faults import FaultPlan
from app.engine.states import LEGAL
from app.scenes.orchestrator.model import FAULT_KINDS as SYSTEM_FAULTS
from app.scenes.orchestrator.model import Orchestrator, SystemConfig
from app.scenes.restaurant.model import FAULT_KINDS, Kitchen, KitchenConfig
from app.trace.recorder import TraceRecorder
from tests.kitchen_fixtures import assert_exactly_once, assert_rounds_consistent

STATIONS = ("a", "b", "c")
SPEEDS = st.sampled_from([None, 16.0, 8.0])
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

kitchen_step = st.one_of(
    st.tuples(st.just("order"), st.integers(1, 4)),
    st.tuples(st.just("feed"), st.integers(1, 200)),
    st.tuples(st.just("fault"), st.sampled_from(FAULT_KINDS), st.sampled_from((*STATIONS, None))),
    st.tuples(st.just("pause")),
    st.tuples(st.just("resume")),
    st.tuples(st.just("speed"), SPEEDS),
    st.tuples(st.just("hire")),
    st.tuples(st.just("run"), st.integers(1, 3)),
)


def _until(recorder: TraceRecorder, kinds: tuple[str, ...], count: int, timeout: float) -> None:
    """Block until ``count`` more records of ``kinds`` arrive, or ``timeout`` passes."""
    seen = [0]
    enough = threading.Event()

    def watch(rec: dict) -> None:
        if rec["kind"] in kinds:
            seen[0] += 1
            if seen[0] >= count:
                enough.set()

    unsubscribe = recorder.subscribe(watch)
    try:
        enough.wait(timeout)
    finally:
        unsubscribe()


def play(sim, step: tuple, progress: tuple[str, ...]) -> None:
    """The steps both scenes share: a fault on demand, pause, resume, speed, let it run."""
    name = step[0]
    if name == "fault":
        with suppress(ValueError):  # e.g. that chef has walked out: refusing is correct
            sim.inject(step[1], step[2])
    elif name == "pause":
        sim.clock.pause()
    elif name == "resume":
        sim.clock.resume()
    elif name == "speed":
        sim.clock.set_speed(step[1])
    elif name == "run":
        _until(sim.recorder, progress, step[1], 0.3)
    else:
        raise AssertionError(f"unknown step {step!r}")


@PROPERTY
@given(
    steps=st.lists(kitchen_step, max_size=12), rates=st.sampled_from(["", "crash=0.1,burn=0.1,stall=0.05"])
)
def test_restaurant_keeps_its_promises_under_any_schedule(steps, rates):
    rec = TraceRecorder(capacity=1_000_000)
    config = KitchenConfig(
        stations=STATIONS,
        prep_s=(0.05, 0.2),
        barrier_timeout_s=0.6,
        max_speed_timeout_s=0.05,
        rehire_after_s=None,
        faults=FaultPlan.parse(rates, FAULT_KINDS),
        restart=RestartPolicy(backoff_s=0.05, backoff_max_s=0.1),
    )
    kitchen = Kitchen(config, clock=SimClock(None, recorder=rec), recorder=rec)
    kitchen.start()
    try:
        for step in steps:
            if step[0] == "order":
                for _ in range(step[1]):
                    kitchen.place_order()
            elif step[0] == "feed":
                kitchen.feed(step[1])
            elif step[0] == "hire":
                with suppress(ValueError):
                    kitchen.hire()
            else:
                play(kitchen, step, ("order.served", "order.cancelled"))
    finally:
        alive = kitchen.stop()
    assert alive == []
    assert not [t.name for t in threading.enumerate() if t.name.startswith(("chef-", "supervisor"))]
    assert_exactly_once(kitchen)
    assert_rounds_consistent(kitchen)


system_step = st.one_of(
    st.tuples(st.just("feed"), st.integers(1, 20)),
    st.tuples(
        st.just("fault"),
        st.sampled_from(SYSTEM_FAULTS),
        st.sampled_from(("Database", "Cache", "API server", None)),
    ),
    st.tuples(st.just("pause")),
    st.tuples(st.just("resume")),
    st.tuples(st.just("speed"), SPEEDS),
    st.tuples(st.just("run"), st.integers(1, 5)),
)


@PROPERTY
@given(
    steps=st.lists(system_step, max_size=10), rates=st.sampled_from(["", "init=0.05,crash=0.05,hang=0.02"])
)
def test_orchestrator_takes_only_legal_transitions_under_any_schedule(steps, rates):
    rec = TraceRecorder(capacity=1_000_000)
    config = SystemConfig(
        requests=None,
        readiness_timeout_s=3.0,
        heartbeat_timeout_s=2.0,
        max_speed_timeout_s=0.05,
        faults=FaultPlan.parse(rates, SYSTEM_FAULTS),
        restart=RestartPolicy(backoff_s=0.05, backoff_max_s=0.1),
    )
    system = Orchestrator(config, clock=SimClock(None, recorder=rec), recorder=rec)
    system.start()
    fed: int | None = None  # requests=None: the run is open-ended until something is fed
    try:
        for step in steps:
            if step[0] == "feed":
                system.feed(step[1])
                fed = (fed or 0) + step[1]
            else:
                play(system, step, ("component.done", "state.changed"))
    finally:
        alive = system.stop()
    assert alive == []
    transitions = [(r["from"], r["to"]) for r in rec.of_kind("state.changed")]
    assert all(b in LEGAL[a] for a, b in transitions), transitions
    assert system.state == "SHUTDOWN" and transitions[-1][1] == "SHUTDOWN"
    assert_units_accounted_from_the_trace(system, rec, fed)


def assert_units_accounted_from_the_trace(system: Orchestrator, rec: TraceRecorder, fed: int | None) -> None:
    """Each unit of work is done once (the trace numbers them 1, 2, 3, ... with no gap or
    repeat); the summary's counts agree with what the trace and the feeding say."""
    done = [r["processed"] for r in rec.of_kind("component.done")]
    assert done == list(range(1, len(done) + 1))
    placed = len(done) if fed is None else fed
    served = min(len(done), placed)
    summary = system.summary()
    assert (summary["placed"], summary["served"], summary["cancelled"]) == (placed, served, placed - served)
