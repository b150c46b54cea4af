"""The restaurant core: orders served once, every fault recovered, shutdown clean."""

from __future__ import annotations

import threading
import time

import pytest

from app.engine.faults import SpecError
from app.scenes.restaurant.model import CRASHED, MAX_STATIONS, WALKED_OUT, KitchenConfig
from tests.helpers import stopping, wait_for
from tests.kitchen_fixtures import (
    assert_exactly_once,
    assert_rounds_consistent,
    assert_stopped_cleanly,
    make_kitchen,
    run_orders,
)


@pytest.fixture
def kitchens():
    yield from stopping(make_kitchen)


def test_serves_every_order_once(kitchens):
    k = kitchens()
    run_orders(k, 300)
    assert k.book.served == 300
    assert_stopped_cleanly(k)
    assert_exactly_once(k)
    assert_rounds_consistent(k)


def test_the_barrier_action_serves_in_the_last_chef_to_arrive(kitchens):
    k = kitchens()
    run_orders(k, 20)
    assert_stopped_cleanly(k)
    records = k.recorder.snapshot()
    for i, r in enumerate(records):
        if r["kind"] == "order.served":
            arrive = next(x for x in reversed(records[:i]) if x["kind"] == "barrier.arrive")
            assert arrive["thread"] == r["thread"] and arrive["index"] == arrive["parties"] - 1


def test_each_chef_has_its_own_lane(kitchens):
    k = kitchens(stations=("a", "b", "c", "d"))
    run_orders(k, 10)
    assert_stopped_cleanly(k)
    started = k.recorder.of_kind("worker.started")
    names = [r["thread"] for r in started]
    assert len(names) == len(set(names)) == 5  # four chefs and the supervisor


@pytest.mark.parametrize("kind", ["crash", "burn", "stall", "walkout"])
def test_an_injected_fault_is_recovered_and_the_order_still_served_once(kitchens, kind):
    k = kitchens(rehire_after_s=0.0)
    k.start()
    k.inject(kind, None if kind == "burn" else "main")
    run_orders(k, 10)
    assert k.faults[kind] == 1
    assert k.book.served == 10 and k.broken_rounds == 1
    requeued = k.recorder.of_kind("order.requeued")
    assert len(requeued) == 1 and requeued[0]["order"] == 1
    assert_stopped_cleanly(k)
    assert_exactly_once(k)
    assert_rounds_consistent(k)


def test_crash_restarts_the_chef_under_a_new_name(kitchens):
    k = kitchens()
    k.start()
    k.inject("crash", "dessert")
    run_orders(k, 3)
    assert k.restarts == 1
    restarted = k.recorder.of_kind("worker.restarted")
    assert restarted[0]["chef"] == "chef-dessert#2"
    crashed = [r for r in k.recorder.of_kind("worker.crashed") if r.get("station") == "dessert"]
    assert crashed and crashed[0]["thread"] == "chef-dessert"
    assert_stopped_cleanly(k)


def test_stall_breaks_the_barrier_by_timeout(kitchens):
    k = kitchens()
    k.start()
    k.inject("stall", "appetizer")
    run_orders(k, 2)
    causes = {r["cause"] for r in k.recorder.of_kind("barrier.broken") if r.get("breaker")}
    assert "timeout" in causes
    assert_stopped_cleanly(k)
    assert_exactly_once(k)


def test_walkout_is_noticed_and_the_kitchen_adapts_until_a_hire(kitchens):
    k = kitchens(rehire_after_s=None)
    k.start()
    k.inject("walkout", "dessert")
    run_orders(k, 5)
    assert k.stations["dessert"].state == WALKED_OUT
    assert k.book.served == 5
    started = k.recorder.of_kind("order.started")
    assert started[-1]["stations"] == ["appetizer", "main"]  # the round after adapts
    assert k.hire() == "dessert"
    for _ in range(3):
        k.place_order()
    wait_for(k.finished)
    assert k.recorder.of_kind("order.started")[-1]["stations"] == ["appetizer", "dessert", "main"]
    assert_stopped_cleanly(k)
    assert_exactly_once(k)
    assert_rounds_consistent(k)


def test_every_station_walking_out_leaves_orders_queued_not_lost(kitchens):
    k = kitchens(stations=("solo",), rehire_after_s=None)
    k.start()
    k.inject("walkout", "solo")
    k.place_order()
    k.place_order()
    wait_for(lambda: k.stations["solo"].state == WALKED_OUT)
    assert k.queued == 2
    k.stop()
    assert k.book.cancelled == 2
    assert_exactly_once(k)


def test_restart_budget_escalates_to_an_orderly_shutdown(kitchens):
    k = kitchens(faults="crash=1.0")
    run_orders(k, 30)
    assert k.escalated.startswith("restart budget exhausted")
    assert_stopped_cleanly(k)
    assert_exactly_once(k)
    reasons = set(k.book.reasons)
    assert any(r.startswith("restart budget exhausted") or r.startswith("gave up") for r in reasons)


def test_an_order_that_keeps_failing_is_cancelled_with_a_reason(kitchens):
    k = kitchens(faults="burn=1.0", max_attempts=3)
    run_orders(k, 2)
    assert k.book.reasons == {"gave up after 3 attempts": 2}
    assert_stopped_cleanly(k)
    assert_exactly_once(k)


@pytest.mark.parametrize("speed", [None, 0.25, 1.0, 16.0])
def test_forced_shutdown_mid_run_joins_every_thread_and_cancels_the_rest(kitchens, speed):
    k = kitchens(speed=speed, faults="crash=0.1,stall=0.05,walkout=0.05,burn=0.05")
    k.start()
    for _ in range(50):
        k.place_order()
    wait_for(lambda: k.recorder.of_kind("part.started"))
    t0 = time.monotonic()
    alive = k.stop()
    assert alive == [] and time.monotonic() - t0 < 0.5
    assert_exactly_once(k)
    assert k.book.cancelled >= 1
    assert set(k.book.reasons) == {"shutdown"}


def test_shutdown_while_paused_and_idle_is_prompt(kitchens):
    k = kitchens(speed=1.0)
    k.start()
    k.clock.pause()
    k.place_order()
    assert_stopped_cleanly(k)
    assert_exactly_once(k)


def test_orders_placed_after_shutdown_are_cancelled_not_dropped(kitchens):
    k = kitchens()
    k.start()
    k.stop()
    k.place_order()
    assert k.book.cancelled == 1
    assert_exactly_once(k)


def test_pause_holds_new_orders_and_resume_serves_them(kitchens):
    k = kitchens(speed=16.0)
    k.start()
    k.clock.pause()
    wait_for(lambda: all(s.state == "idle" for s in k.stations.values()))
    k.place_order()
    served = threading.Event()
    k.recorder.subscribe(lambda r: r["kind"] == "order.served" and served.set())
    assert not served.wait(0.3)
    k.clock.resume()
    assert served.wait(5)
    assert_stopped_cleanly(k)


def test_speed_scales_preparation_time(kitchens):
    def prep_seconds(speed: float) -> float:
        k = kitchens(speed=speed, prep_s=(0.5, 0.5))
        run_orders(k, 1)
        k.stop()
        started = k.recorder.of_kind("part.started")[0]
        done = next(r for r in k.recorder.of_kind("part.done") if r["thread"] == started["thread"])
        return done["ts"] - started["ts"]

    slow, fast = prep_seconds(2.0), prep_seconds(16.0)  # 0.25 s and 0.03 s of wall time
    assert slow >= 0.24 and slow / fast > 3


def test_same_seed_replays_the_same_faults(kitchens):
    def faults(seed: int) -> list[tuple]:
        k = kitchens(faults="crash=0.05,burn=0.05", seed=seed)
        k.config.restart.__class__  # noqa: B018 - keep the default budget
        run_orders(k, 60)
        k.stop()
        return [(r["fault"], r.get("station"), r["order"]) for r in k.recorder.of_kind("fault.injected")]

    first = faults(11)
    assert first and first == faults(11)
    assert first != faults(12)


def test_crashed_station_shows_crashed_until_restarted(kitchens):
    k = kitchens(speed=1.0)
    k.start()
    k.inject("crash", "main")
    k.place_order()
    wait_for(lambda: k.stations["main"].state in (CRASHED, "restarting"))
    assert_stopped_cleanly(k)
    assert_exactly_once(k)


@pytest.mark.parametrize(
    "kw",
    [
        {"stations": ()},
        {"stations": tuple(f"s{i}" for i in range(MAX_STATIONS + 1))},
        {"stations": ("a", "a")},
        {"prep_s": (2.0, 1.0)},
        {"max_attempts": 0},
    ],
)
def test_bad_configs_are_refused_with_a_message(kw):
    with pytest.raises(SpecError):
        KitchenConfig(**kw)


def test_inject_refuses_unknown_names(kitchens):
    k = kitchens()
    k.start()
    with pytest.raises(ValueError):
        k.inject("flood")
    with pytest.raises(ValueError):
        k.inject("crash", "pastry")
    with pytest.raises(ValueError):
        k.hire()


def test_a_burn_asked_for_is_not_lost_when_its_round_breaks_first(kitchens):
    k = kitchens()
    k.start()
    k.inject("stall", "main")
    k.inject("burn")
    run_orders(k, 2)
    assert k.faults["burn"] == 1 and k.faults["stall"] == 1
    assert_stopped_cleanly(k)
    assert_exactly_once(k)
