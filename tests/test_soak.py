"""A short soak: thousands of orders with 2% faults at speed "max"; nothing is lost and the
trace buffer, the queue and the order book stay bounded. (The long one:
tests/benchmarks/soak.py; memory by run length: tests/benchmarks/memory.py.)"""

from __future__ import annotations

from app.engine.budget import RestartPolicy
from app.engine.clock import SimClock
from app.engine.faults import FaultPlan
from app.scenes.restaurant.model import FAULT_KINDS, Kitchen, KitchenConfig
from app.trace.recorder import TraceRecorder
from tests.helpers import wait_for
from tests.kitchen_fixtures import assert_rounds_consistent


def test_short_soak_loses_nothing_and_stays_bounded():
    rec = TraceRecorder(capacity=20_000)
    config = KitchenConfig(
        faults=FaultPlan.parse("crash=0.005,burn=0.005,stall=0.005,walkout=0.005", FAULT_KINDS),
        max_speed_timeout_s=0.05,
        restart=RestartPolicy(max_restarts=50),
        rehire_after_s=3.0,
    )
    kitchen = Kitchen(config, clock=SimClock(None, recorder=rec), recorder=rec)
    kitchen.start()
    kitchen.feed(3000)
    try:
        wait_for(kitchen.finished, timeout=60)
    finally:
        assert kitchen.stop() == []
    s = kitchen.summary()
    assert s["placed"] == 3000 and s["served"] + s["cancelled"] == 3000 and s["violations"] == []
    assert s["faults"] > 20
    assert rec.total > 20_000 and len(rec.snapshot()) == 20_000  # the ring is bounded
    assert kitchen.book.open == 0 and not kitchen.book._open  # ended orders are forgotten
    assert kitchen.rounds >= 3000 and not kitchen._queue
    assert_rounds_consistent(kitchen)
    assert kitchen.watchdog.fired == 0  # a long healthy run: the watchdog never names a deadlock
