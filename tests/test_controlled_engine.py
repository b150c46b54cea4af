"""Controlled mode at the engine's level: the supervising task, deadlocks, the clock."""

from __future__ import annotations

import pytest

from app.engine.clock import SimClock
from app.engine.controlled import supervise
from app.sync.control import PCTStrategy, RandomStrategy, Scheduler
from app.trace.recorder import TraceRecorder
from tests.test_watchdog import Hang

pytestmark = pytest.mark.timeout(20)


def _hang(strategy) -> Hang:
    rec = TraceRecorder()
    rec.scheduler = Scheduler(strategy, recorder=rec)
    return Hang(clock=SimClock(None, recorder=rec), recorder=rec)


@pytest.mark.parametrize("seed", range(5))
def test_a_deadlock_is_named_by_the_supervisor_at_the_same_record_every_time(seed) -> None:
    runs = []
    for _ in range(2):
        sim = _hang(RandomStrategy(seed))
        reason, alive = supervise(sim)
        assert reason == "deadlock" and alive == []
        (d,) = sim.recorder.of_kind("watchdog.deadlock")
        assert d["thread"] == "main"  # the supervising task, not a watchdog thread
        assert {w["thread"] for w in d["waits"]} == {"Ada", "Basil"}
        assert sim.deadlock is not None
        runs.append([(r["seq"], r["kind"], r["thread"], r["sim"]) for r in sim.recorder.snapshot()])
    assert runs[0] == runs[1]


def test_simulated_time_only_moves_when_every_task_waits() -> None:
    rec = TraceRecorder()
    sched = Scheduler(PCTStrategy(1), recorder=rec)
    rec.scheduler = sched
    clock = SimClock(None, recorder=rec)
    with sched.attach("main"):
        assert clock.now() == 0.0
        assert clock.sleep(12.5) is True
        assert clock.now() == 12.5
        assert clock.to_wall(3.0) == 3.0  # timeouts handed to primitives are simulated seconds
        rec.record("probe")
    assert rec.of_kind("probe")[0]["sim"] == 12.5


def test_a_sleep_ends_early_at_shutdown() -> None:
    from app.engine.clock import ShutdownRequested

    rec = TraceRecorder()
    sched = Scheduler(RandomStrategy(0), recorder=rec)
    rec.scheduler = sched
    clock = SimClock(None, recorder=rec)
    with sched.attach("main"):
        clock.request_shutdown()
        with pytest.raises(ShutdownRequested):
            clock.sleep(100.0)
        assert clock.now() == 0.0
