"""The deadlock watchdog: it names a real hang (who waits on what, who could have woken
them) within a second, ends a headless run with exit 1 in under two, and never fires on a
healthy run of any scene: idle, paused, busy, at any speed."""

from __future__ import annotations

import io
import json
import threading
import time
from contextlib import redirect_stdout, suppress
from typing import Any

import pytest

from app.engine.clock import SimClock
from app.engine.contract import Flag, SceneSpec
from app.engine.faults import FaultPlan
from app.engine.simulation import Simulation
from app.engine.watchdog import diagnose
from app.scenes import registry
from app.sync import Barrier, BrokenBarrierError, Event
from app.trace.recorder import TraceRecorder
from tests.helpers import stopping, wait_for
from tests.scene_driver import build, config_for, fault_any, wait_records, working_kinds


# -- diagnose(): the judgement, on records ---------------------------------------------------------
def arrive(t: str, b: str, index: int, parties: int = 3, gen: int = 0, timeout: Any = None) -> dict:
    rec = {"ts": 1.0, "thread": t, "kind": "barrier.arrive", "barrier": b, "gen": gen}
    return {**rec, "parties": parties, "index": index, "timeout": timeout}


def wait_begin(t: str, e: str, timeout: float | None = None) -> dict:
    return {"ts": 1.0, "thread": t, "kind": "event.wait", "event": e, "phase": "begin", "timeout": timeout}


def rec(t: str, kind: str, **fields: Any) -> dict:
    return {"ts": 1.0, "thread": t, "kind": kind, **fields}


def test_a_barrier_waiting_for_parties_that_cannot_come_is_named():
    records = [
        rec("a", "worker.started"),
        rec("b", "worker.started"),
        arrive("a", "table", 0),
        arrive("b", "table", 1),
    ]
    d = diagnose(records, ["a", "b"])
    assert d is not None
    assert d["reason"] == (
        "deadlock: a and b wait at barrier 'table' for 3 parties with 2 arrived; "
        "no other live thread can arrive"
    )
    assert [(w["thread"], w["on"], w["name"], w["missing"]) for w in d["waits"]] == [
        ("a", "barrier", "table", 1),
        ("b", "barrier", "table", 1),
    ]


def test_an_event_nobody_live_will_set_is_named_with_who_set_it_before():
    records = [
        rec("p", "event.set", event="ready"),
        rec("w", "event.clear", event="ready"),
        wait_begin("w", "ready"),
        rec("p", "worker.stopped", reason="done"),
    ]
    d = diagnose(records, ["w"])
    assert d is not None and "w waits on event 'ready', which no live thread will set" in d["reason"]
    assert d["waits"][0]["wakers"] == [{"thread": "p", "state": "ended"}]


@pytest.mark.parametrize(
    ("records", "alive", "external"),
    [
        # the set came after the wait began: the waiter is being woken, not stuck
        (
            [wait_begin("w", "ready"), rec("p", "event.set", event="ready"), rec("p", "worker.stopped")],
            ["w"],
            (),
        ),
        # a wait with a timeout ends by itself
        ([wait_begin("w", "ready", timeout=2.0)], ["w"], ()),
        ([arrive("a", "t", 0, timeout=1.0), arrive("b", "t", 1, timeout=1.0)], ["a", "b"], ()),
        # the last arrival releases the round
        ([arrive("a", "t", 0, parties=2), arrive("b", "t", 1, parties=2)], ["a", "b"], ()),
        # a broken or reset barrier wakes its waiters
        ([arrive("a", "t", 0), rec("x", "barrier.broken", barrier="t", gen=0)], ["a"], ()),
        # someone outside the workers (feed, resume) may still set it
        ([wait_begin("w", "order_ready")], ["w"], ("order_ready",)),
        # a live worker that is working, or waiting on something untraced
        ([wait_begin("w", "ready"), rec("s", "order.started", order=1)], ["w", "s"], ()),
        # a live worker with no record in the ring: unknown, so no alarm
        ([wait_begin("w", "ready")], ["w", "new"], ()),
        # a record that does not say whether the wait has a timeout (an older barrier)
        ([{k: v for k, v in arrive("a", "t", 0).items() if k != "timeout"}], ["a"], ()),
    ],
    ids=[
        "woken",
        "timed-event",
        "timed-barrier",
        "released",
        "broken",
        "external",
        "working",
        "unknown",
        "no-field",
    ],
)
def test_no_alarm_when_something_can_still_wake_them(records, alive, external):
    assert diagnose(records, alive, external) is None


def test_the_barrier_records_the_timeout_its_wait_has():
    rec_ = TraceRecorder()
    assert Barrier(1, timeout=2.5, name="b", recorder=rec_).wait() == 0
    assert Barrier(1, name="c", recorder=rec_).wait(0.5) == 0
    assert Barrier(1, name="d", recorder=rec_).wait() == 0
    assert [r["timeout"] for r in rec_.of_kind("barrier.arrive")] == [2.5, 0.5, None]


# -- a scene that hangs for real ------------------------------------------------------------------
class Hang(Simulation):
    """Two workers at a Barrier(3): the party mismatch, as a scene of its own."""

    scenario = "hang"

    def __init__(self, config: Any = None, *, clock=None, recorder=None, host=None) -> None:
        super().__init__(clock=clock, recorder=recorder, host=host)
        self.config = config
        self.table = Barrier(3, name="table", recorder=self.recorder)
        self.started = False

    def start(self) -> None:
        self.started = True
        for name in ("Ada", "Basil"):
            self.spawn(name, self._guest)

    def _guest(self) -> None:
        with suppress(BrokenBarrierError):  # the stop aborts the barrier
            self.table.wait()

    def feed(self, units: int = 1) -> None:
        pass

    def inject(self, kind: str, target: str | None = None) -> str:
        raise ValueError("no faults")

    def finished(self) -> bool:
        return self.shutting_down

    def summary(self) -> dict[str, Any]:
        return {"scenario": "hang", "placed": 0, "served": 0, "cancelled": 0, "open": 0, "faults": 0}

    def _wake_all_unlocked(self) -> None:
        self.table.abort()


@pytest.fixture
def hangs():
    def make() -> Hang:
        rec_ = TraceRecorder()
        return Hang(clock=SimClock(None, recorder=rec_), recorder=rec_)

    yield from stopping(make)


def test_a_real_hang_is_named_within_a_second_and_the_scene_still_stops(hangs):
    sim = hangs()
    named = threading.Event()
    sim.recorder.subscribe(lambda r: named.set() if r["kind"] == "watchdog.deadlock" else None)
    sim.start()
    assert named.wait(5), "the watchdog never named the hang"
    (d,) = sim.recorder.of_kind("watchdog.deadlock")
    last_arrival = max(r["ts"] for r in sim.recorder.of_kind("barrier.arrive"))
    assert d["ts"] - last_arrival < 1.0
    assert d["thread"] == "watchdog"
    assert {w["thread"] for w in d["waits"]} == {"Ada", "Basil"}
    assert sim.deadlock is not None and sim.deadlock["reason"] == d["reason"]
    assert sim.failures() == [d["reason"]]
    assert sim.watchdog.fired == 1
    t0 = time.monotonic()
    assert sim.stop("deadlock") == []
    assert time.monotonic() - t0 < 0.5


def test_a_headless_run_that_hangs_exits_1_with_the_diagnosis_within_two_seconds(monkeypatch):
    import app

    spec = SceneSpec(
        name="hang",
        title="Hang",
        summary="two guests at a table for three",
        unit="units",
        unit_done="done",
        fault_kinds=("none",),
        default_config=lambda: type("C", (), {"seed": 0, "faults": FaultPlan(("none",))})(),
        configure=lambda config, _given: config,
        from_toml=lambda _reader: None,
        build=lambda config, clock, recorder, host: Hang(config, clock=clock, recorder=recorder),
        view_model=lambda _config: None,  # type: ignore[arg-type,return-value]
        view="app.gui.scenes.none:None",
        units_flag="units",
        flags=(Flag("units", "units"),),
    )
    monkeypatch.setattr(registry, "SCENES", (*registry.SCENES, spec))
    out = io.StringIO()
    t0 = time.monotonic()
    with redirect_stdout(out):
        code = app.main(["run", "hang", "--json"])
    took = time.monotonic() - t0
    assert code == 1
    assert took < 2.0
    summary = json.loads(out.getvalue())
    assert summary["deadlock"]["reason"].startswith("deadlock: Ada and Basil wait at barrier 'table'")
    assert summary["threads_alive"] == []


# -- never on a healthy run -----------------------------------------------------------------------
SCENES = pytest.mark.parametrize("spec", registry.SCENES, ids=registry.names())


@SCENES
@pytest.mark.parametrize("state", ["idle", "busy", "paused", "mid-fault"])
def test_a_healthy_scene_is_never_judged_deadlocked(spec, state):
    """The judgement itself, at the moments most like a deadlock: everyone parked."""
    sim = build(spec, config_for(spec, 0 if state == "idle" else 30), 16.0)
    sim.watchdog.quiet_s = 0.02  # as sensitive as it gets: it judges at every lull
    sim.start()
    try:
        if state != "idle":
            assert wait_records(sim, working_kinds(spec), 2, 10)
        if state == "paused":
            sim.clock.pause()
        elif state == "mid-fault":
            fault_any(sim, spec)
        for _ in range(20):
            assert sim.watchdog.check() is None
            wait_records(sim, ("event.wait", "barrier.arrive"), 1, 0.05)
    finally:
        alive = sim.stop("done")
    assert alive == []
    assert sim.watchdog.fired == 0, sim.recorder.of_kind("watchdog.deadlock")


@SCENES
@pytest.mark.parametrize("speed", [None, 4.0])
def test_a_sensitive_watchdog_stays_quiet_through_a_whole_run(spec, speed):
    sim = build(spec, config_for(spec, 8, seed=3), speed)
    sim.watchdog.quiet_s = 0.02
    sim.watchdog.interval_s = 0.01
    sim.start()
    try:
        wait_for(sim.finished, 30)
    finally:
        sim.stop(sim.end_reason)
    assert sim.watchdog.fired == 0, sim.recorder.of_kind("watchdog.deadlock")
    assert not sim.recorder.of_kind("watchdog.deadlock")


def test_the_watchdog_thread_ends_with_the_workers_and_comes_back_for_new_ones():
    rec_ = TraceRecorder()

    class Once(Hang):
        def _guest(self) -> None:
            self.gate.wait()

    sim = Once(clock=SimClock(None, recorder=rec_), recorder=rec_)
    sim.gate = Event(name="gate", recorder=rec_)
    sim.external_events = ("gate",)  # set from outside, like a feed
    sim.spawn("w", sim._guest)
    wait_for(lambda: sim.watchdog._thread is not None)
    sim.gate.set()
    wait_for(lambda: sim.watchdog._thread is None, 5)  # no worker left: it ends by itself
    sim.gate.clear()
    sim.spawn("w", sim._guest)
    wait_for(lambda: sim.watchdog._thread is not None)
    assert sim.watchdog.fired == 0
    sim.gate.set()
    assert sim.stop() == []
    assert sim.watchdog._thread is None
