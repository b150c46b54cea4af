"""The orchestrator core: legal transitions only, every fault recovered or escalated."""

from __future__ import annotations

import itertools
import time

import pytest

from app.engine.budget import RestartPolicy
from app.engine.clock import SimClock
from app.engine.faults import FaultPlan, SpecError
from app.engine.states import (
    ERROR,
    INITIALIZING,
    LEGAL,
    PROCESSING,
    READY,
    SHUTDOWN,
    STATES,
    IllegalTransition,
    StateMachine,
)
from app.scenes.orchestrator.model import FAULT_KINDS, ComponentSpec, Orchestrator, SystemConfig
from app.trace.recorder import TraceRecorder
from tests.helpers import stopping, wait_for


def make(speed=None, faults="", **kw) -> Orchestrator:
    rec = TraceRecorder(capacity=500_000)
    config = SystemConfig(faults=FaultPlan.parse(faults, FAULT_KINDS), **kw)
    return Orchestrator(config, clock=SimClock(speed, recorder=rec), recorder=rec)


@pytest.fixture
def systems():
    yield from stopping(make)


def transitions(o: Orchestrator) -> list[tuple[str, str]]:
    return [(r["from"], r["to"]) for r in o.recorder.of_kind("state.changed")]


def assert_legal(o: Orchestrator) -> None:
    for a, b in transitions(o):
        assert b in LEGAL[a], f"illegal {a} -> {b}"


@pytest.mark.parametrize(
    "src,dst", [(a, b) for a, b in itertools.product(STATES, STATES) if b not in LEGAL[a]]
)
def test_every_illegal_transition_is_refused(src, dst):
    m = StateMachine(TraceRecorder())
    m.state = src
    with pytest.raises(IllegalTransition):
        m.transition(dst)
    assert m.state == src


def test_one_event_per_state_and_only_the_current_one_is_set():
    m = StateMachine(TraceRecorder())
    for to in (READY, PROCESSING, ERROR, INITIALIZING, READY, SHUTDOWN):
        m.transition(to)
        assert [s for s, e in m.events.items() if e.is_set()] == [to]


def test_a_clean_run_goes_through_ready_to_processing_and_ends_in_shutdown(systems):
    o = systems(requests=50)
    o.start()
    wait_for(o.finished)
    assert o.stop("run complete") == []
    assert transitions(o) == [(INITIALIZING, READY), (READY, PROCESSING), (PROCESSING, SHUTDOWN)]
    assert o.processed >= 50


def test_components_start_after_their_dependencies(systems):
    o = systems(speed=16.0, requests=1)
    o.start()
    wait_for(o.finished)
    o.stop()
    ready = {r["component"]: i for i, r in enumerate(o.recorder.snapshot()) if r["kind"] == "component.ready"}
    init = {r["component"]: i for i, r in enumerate(o.recorder.snapshot()) if r["kind"] == "component.init"}
    assert init["API server"] > ready["Database"] and init["API server"] > ready["Cache"]


@pytest.mark.parametrize("kind", ["init", "crash", "hang"])
def test_each_fault_kind_is_recovered_back_to_processing(systems, kind):
    # "init" needs a component still starting when the fault is asked for: 2x gives the
    # Cache 0.4 s of starting (wall time, so load cannot shorten it) and a quick recovery.
    o = systems(speed=2.0 if kind == "init" else None, requests=None)
    o.start()
    if kind == "init":
        o.inject("init", "Cache")  # before it reports ready
    else:
        wait_for(lambda: o.state == PROCESSING)
        o.inject(kind, "Database")
    wait_for(lambda: ERROR in o.machine.visited and o.state == PROCESSING, timeout=30)
    assert o.faults[kind] == 1
    assert_legal(o)
    assert o.stop() == []
    restarted = {r["component"] for r in o.recorder.of_kind("worker.restarted")}
    target = "Cache" if kind == "init" else "Database"
    assert restarted == {target, "API server"}  # the failed one and its dependant


def test_a_hang_is_noticed_by_its_timeout(systems):
    o = systems(requests=None)
    o.start()
    wait_for(lambda: o.state == PROCESSING)
    o.inject("hang", "API server")
    wait_for(lambda: bool(o.recorder.of_kind("component.timeout")), timeout=5)
    assert o.recorder.of_kind("component.timeout")[0]["timeout"] == "heartbeat"
    assert o.stop() == []


def test_restart_budget_escalates_to_shutdown_with_a_reason(systems):
    o = systems(faults="crash=1.0", requests=None, restart=RestartPolicy(max_restarts=2, window_s=1e6))
    o.start()
    wait_for(lambda: o.shutting_down, timeout=10)
    assert o.stop() == []
    assert o.state == SHUTDOWN and o.escalated.startswith("restart budget exhausted")
    assert transitions(o)[-1] == (ERROR, SHUTDOWN)
    assert_legal(o)


@pytest.mark.parametrize("speed", [None, 0.25, 1.0, 16.0])
def test_force_shutdown_stops_in_reverse_dependency_order_within_500ms(systems, speed):
    o = systems(speed=speed, requests=None)
    o.start()
    if speed in (None, 16.0):
        wait_for(lambda: o.state == PROCESSING, timeout=10)
    t0 = time.monotonic()
    assert o.stop("forced") == []
    assert time.monotonic() - t0 < 0.5
    assert o.state == SHUTDOWN
    stopped = [r["component"] for r in o.recorder.of_kind("component.stopped")]
    if speed in (None, 16.0):
        assert stopped.index("API server") < stopped.index("Database")
        assert stopped.index("API server") < stopped.index("Cache")


def test_random_faults_never_take_an_illegal_transition(systems):
    o = systems(
        faults="init=0.05,crash=0.05,hang=0.02",
        requests=300,
        restart=RestartPolicy(max_restarts=1000, window_s=1.0),
    )
    o.start()
    wait_for(o.finished, timeout=30)
    assert o.stop() == []
    assert_legal(o)
    assert o.processed >= 300 and o.restarts > 0


def test_same_seed_same_fault_plan():
    def plan(seed):
        o = make(faults="crash=0.1", requests=80, seed=seed, restart=RestartPolicy(max_restarts=1000))
        o.start()
        wait_for(o.finished, timeout=20)
        o.stop()
        # Components run concurrently, so only each one's own sequence is fixed by the seed:
        # the first fault of each independent component, by tick, in its first incarnation.
        firsts = {}
        for r in o.recorder.of_kind("fault.injected"):
            if r["component"] in ("Database", "Cache") and r["incarnation"] == 1:
                firsts.setdefault(r["component"], r["tick"])
        return firsts

    first = plan(5)
    assert first and first == plan(5)


@pytest.mark.parametrize(
    "components,words",
    [
        ((ComponentSpec("A", depends_on=("B",)), ComponentSpec("B", depends_on=("A",))), "cycle"),
        ((ComponentSpec("A", depends_on=("Z",)),), "does not exist"),
        ((ComponentSpec("A"), ComponentSpec("A")), "unique"),
        ((), "1 to 16"),
        ((ComponentSpec("A", work_s=10.0),), "heartbeat_timeout_s"),
    ],
)
def test_bad_systems_are_refused(components, words):
    with pytest.raises(SpecError, match=words):
        SystemConfig(components=components)


def test_shutdown_never_waits_for_a_component_being_restarted(systems):
    """A superseded component must not count as a running dependant at shutdown."""
    o = systems(speed=1.0, requests=None, restart=RestartPolicy(backoff_s=30.0))
    o.start()
    wait_for(lambda: o.state == PROCESSING, timeout=10)
    o.inject("crash", "Database")  # the API server, still running, is superseded as collateral
    wait_for(lambda: o.components["API server"].status == "restarting", timeout=10)
    t0 = time.monotonic()
    assert o.stop() == []
    assert time.monotonic() - t0 < 0.5


def test_an_init_fault_needs_a_starting_component(systems):
    o = systems(requests=None)
    o.start()
    wait_for(lambda: o.state == PROCESSING)
    with pytest.raises(ValueError, match="already started"):
        o.inject("init", "Database")


def test_inject_refuses_unknown_names(systems):
    o = systems()
    o.start()
    with pytest.raises(ValueError):
        o.inject("flood")
    with pytest.raises(ValueError):
        o.inject("crash", "Mainframe")


def test_time_in_states_survives_a_trace_ring_that_wraps():
    rec = TraceRecorder(capacity=20)  # holds the last few records only
    config = SystemConfig(requests=300)
    o = Orchestrator(config, clock=SimClock(None, recorder=rec), recorder=rec)
    o.start()
    try:
        wait_for(o.finished, timeout=20)
    finally:
        assert o.stop() == []
    assert not rec.of_kind("state.changed")[:-1]  # only PROCESSING -> SHUTDOWN is left
    spent = o.summary()["time_in_state_s"]
    assert list(spent) == [INITIALIZING, READY, PROCESSING, SHUTDOWN]
    assert spent[PROCESSING] > 0 and spent[READY] > 0 and spent[SHUTDOWN] == 0


def test_state_machine_adds_up_time_at_each_transition():
    now = [10.0]
    m = StateMachine(TraceRecorder(capacity=1), clock=lambda: now[0])
    for to, at in ((READY, 12.0), (PROCESSING, 12.5), (ERROR, 20.0), (INITIALIZING, 21.0), (READY, 23.0)):
        now[0] = at
        m.transition(to)
    now[0] = 24.0
    spent = m.time_in_states()
    assert spent == {INITIALIZING: 4.0, READY: 1.5, PROCESSING: 7.5, ERROR: 1.0, SHUTDOWN: 0.0}
    m.transition(SHUTDOWN)
    now[0] = 99.0
    assert m.time_in_states()[SHUTDOWN] == 0.0 and m.time_in_states()[READY] == 1.5
