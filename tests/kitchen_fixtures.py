"""Building kitchens for tests, and checking the exactly-once rule from the trace."""

from __future__ import annotations

from collections import Counter

from app.engine.clock import SimClock
from app.engine.faults import FaultPlan
from app.scenes.restaurant.model import FAULT_KINDS, Kitchen, KitchenConfig
from app.trace.recorder import TraceRecorder
from tests.helpers import wait_for


def make_kitchen(speed: float | None = None, faults: str = "", **config: object) -> Kitchen:
    rec = TraceRecorder(capacity=1_000_000)
    cfg = KitchenConfig(faults=FaultPlan.parse(faults, FAULT_KINDS), **config)  # type: ignore[arg-type]
    return Kitchen(cfg, clock=SimClock(speed, recorder=rec), recorder=rec)


def run_orders(kitchen: Kitchen, n: int, timeout: float = 20.0) -> None:
    kitchen.start()
    for _ in range(n):
        kitchen.place_order()
    wait_for(kitchen.finished, timeout)


def assert_exactly_once(kitchen: Kitchen) -> None:
    """Every placed order ended once: served or cancelled, never both, never twice."""
    rec = kitchen.recorder
    placed = [r["order"] for r in rec.of_kind("order.placed")]
    ended = Counter(r["order"] for r in rec.of_kind("order.served", "order.cancelled"))
    assert len(placed) == kitchen.book.placed
    assert all(ended[o] == 1 for o in placed), {o: ended[o] for o in placed if ended[o] != 1}
    assert set(ended) == set(placed)
    assert kitchen.book.served + kitchen.book.cancelled == kitchen.book.placed
    assert kitchen.book.violations == []
    assert kitchen.book.open == 0
    assert all(r.get("reason") for r in rec.of_kind("order.cancelled"))


def assert_rounds_consistent(kitchen: Kitchen) -> None:
    """A round passes only after all parties arrived; a broken round passes no one.

    Only rounds seen from their first arrival are judged (a bounded ring drops old records).
    """
    arrived: Counter[tuple[str, int]] = Counter()
    broken: set[tuple[str, int]] = set()
    passes: Counter[tuple[str, int]] = Counter()
    parties: dict[tuple[str, int], int] = {}
    for r in kitchen.recorder.snapshot():
        key = (r.get("barrier", ""), r.get("gen", -1))
        if r["kind"] == "barrier.arrive":
            if r["index"] == 0:
                parties[key] = r["parties"]
            arrived[key] += 1
        elif r["kind"] == "barrier.broken":
            broken.add(key)
        elif r["kind"] == "barrier.pass" and key in parties:
            assert arrived[key] == r["parties"], f"pass before all arrived in {key}"
            passes[key] += 1
    assert passes or not any(r["kind"] == "barrier.pass" for r in kitchen.recorder.snapshot())
    for key, n in passes.items():
        assert key not in broken, f"round {key} both passed and broke"
        assert n == parties[key]


def assert_stopped_cleanly(kitchen: Kitchen) -> None:
    alive = kitchen.stop()
    assert alive == []
    completed = kitchen.recorder.of_kind("shutdown.completed")[-1]
    assert completed["elapsed_ms"] < 500
