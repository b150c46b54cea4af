"""The restaurant core: orders served once, every fault recovered, shutdown clean."""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import suppress

import pytest

from app.engine.budget import RestartPolicy
from app.engine.faults import SpecError
from app.engine.orders import Order
from app.scenes.restaurant.model import (
    CRASHED,
    MAX_STATIONS,
    QUEUE_AHEAD,
    WALKED_OUT,
    BurntDish,
    KitchenConfig,
    Round,
)
from tests.helpers import run_threads, stopping, wait_for
from tests.kitchen_fixtures import (
    assert_exactly_once,
    assert_rounds_consistent,
    assert_stopped_cleanly,
    make_kitchen,
    run_orders,
)
from tests.racing import click_between_read_and_write


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
    # A roomy wall-clock barrier timeout: on two busy cores a healthy chef can be late by
    # 0.25 s, and a second broken round would be the machine's doing, not the fault's.
    k = kitchens(rehire_after_s=0.0, max_speed_timeout_s=1.0)
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
    assert_stopped_cleanly(k)  # every thread joined, within 0.5 s as the kitchen timed it
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


def chefs_held_at_the_gate(k) -> set[str]:
    """Chefs whose last word in the trace is "waiting at the pause gate": blocked there."""
    held: set[str] = set()
    for r in k.recorder.of_kind("event.wait"):
        if r["event"] == "pause_gate" and r["phase"] == "begin":
            held.add(r["thread"])
        elif r["event"] == "pause_gate":
            held.discard(r["thread"])
    return held


def test_pause_holds_new_orders_and_resume_serves_them(kitchens):
    k = kitchens(speed=16.0)
    k.start()
    k.clock.pause()
    k.place_order()
    # Every chef has seen the order and is blocked at the gate: nothing can start, and
    # no wait of a guessed length is needed to show it.
    wait_for(lambda: chefs_held_at_the_gate(k) == {st.chef for st in k.stations.values()})
    assert not k.recorder.of_kind("order.started")
    served = threading.Event()
    k.recorder.subscribe(lambda r: r["kind"] == "order.served" and served.set())
    k.clock.resume()
    assert served.wait(5)
    assert_stopped_cleanly(k)


def test_speed_scales_preparation_time(kitchens):
    """Each part lasts its simulated time divided by the speed, or more (load only ever
    adds): at 2x a 0.5 s part takes at least 0.25 s of wall time, which at 16x it would
    not; no ratio of two wall times, which load on a small machine can bend either way."""

    def spans(speed: float) -> list[tuple[float, float]]:
        k = kitchens(speed=speed, prep_s=(0.5, 0.5))
        run_orders(k, 1)
        k.stop()
        done = {r["thread"]: r["ts"] for r in k.recorder.of_kind("part.done")}
        return [(done[r["thread"]] - r["ts"], r["duration"]) for r in k.recorder.of_kind("part.started")]

    for speed in (2.0, 16.0):
        parts = spans(speed)
        assert len(parts) == 3 and all(sim == 0.5 for _, sim in parts)
        assert all(wall >= sim / speed * 0.98 for wall, sim in parts), (speed, parts)


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


def demand_faults(k, station: str | None = None) -> Counter:
    return Counter(
        r["fault"]
        for r in k.recorder.of_kind("fault.injected")
        if r["source"] == "demand" and r.get("station") == station
    )


def test_a_fault_asked_for_while_the_chef_takes_another_is_never_lost(kitchens):
    """The window asks for a stall at the very moment the chef reads the crash asked for
    before it: the stall is refused with a message, or applied later; it never vanishes."""
    k = kitchens(max_speed_timeout_s=0.05)
    asked = Counter({"crash": 1})

    def click() -> None:
        try:
            k.inject("stall", "main")
        except ValueError:
            return
        asked["stall"] += 1

    click_between_read_and_write(k.stations["main"], k._lock, click)
    k.start()
    k.inject("crash", "main")
    k.feed(10)
    wait_for(lambda: demand_faults(k, "main") == asked and k.finished(), timeout=10)
    assert_stopped_cleanly(k)
    assert_exactly_once(k)


def test_a_second_fault_for_the_same_chef_is_refused_not_dropped(kitchens):
    k = kitchens()
    k.start()
    k.inject("crash", "main")
    with pytest.raises(ValueError, match="already has a crash"):
        k.inject("stall", "main")
    run_orders(k, 3)
    assert demand_faults(k, "main") == {"crash": 1}
    assert_stopped_cleanly(k)


def test_burns_asked_for_add_up(kitchens):
    k = kitchens(max_speed_timeout_s=5.0)  # no round may break by a late chef on a busy machine
    k.start()
    k.inject("burn")
    k.inject("burn")
    run_orders(k, 4)
    assert demand_faults(k) == {"burn": 2} and k.faults["burn"] == 2
    assert [r["cause"] for r in k.recorder.of_kind("order.requeued")] == ["burn", "burn"]
    assert_stopped_cleanly(k)
    assert_exactly_once(k)


class _InterleavedCounter(Counter):
    """Reading a count waits (bounded) until the other thread has read it too: the worst
    preemption between a read and its write, every time."""

    def __init__(self) -> None:
        super().__init__()
        self.meet = threading.Barrier(2, timeout=0.3)

    def __getitem__(self, kind: str) -> int:
        value = super().__getitem__(kind)
        with suppress(threading.BrokenBarrierError):  # the other one is held off by a lock
            self.meet.wait()
        return value


def test_each_burn_is_counted_exactly_once_even_when_two_barrier_actions_overlap(kitchens):
    k = kitchens()
    k.faults = _InterleavedCounter()
    order = Order(1)
    k._round = Round(1, order, frozenset({"main"}), {"main": 1.0}, None, barrier=None, burn="plan")

    def serve(_i: int) -> None:
        with pytest.raises(BurntDish):
            k._serve()

    run_threads(2, serve)
    assert k.faults["burn"] == 2


def test_orders_fed_in_bulk_are_made_as_the_queue_drains(kitchens):
    """A long run's orders wait as a count: the book holds only the few in flight, and
    every one of them still ends exactly once, in the trace too."""
    k = kitchens()
    k.feed(100_000)
    assert k.book.open == len(k._queue) == QUEUE_AHEAD
    k.start()
    most_open = [0]

    def watch(_rec: dict) -> None:
        most_open[0] = max(most_open[0], len(k.book._open))

    k.recorder.subscribe(watch)
    wait_for(lambda: k.book.served >= 500, timeout=20)
    assert most_open[0] <= QUEUE_AHEAD + 1
    assert k.summary()["placed"] == 100_000 and not k.finished()
    assert_stopped_cleanly(k)
    assert k.book.placed == 100_000 and k.book.served + k.book.cancelled == 100_000
    assert_exactly_once(k)


def test_a_run_fed_in_bulk_finishes_only_when_every_order_ended(kitchens):
    k = kitchens(faults="crash=0.02,burn=0.02", restart=RestartPolicy(max_restarts=1000))
    k.start()
    k.feed(300)
    wait_for(k.finished, timeout=20)
    assert not k.escalated and k.book.placed == 300 and k.book.open == 0
    assert k.book.served + k.book.cancelled == 300
    assert_stopped_cleanly(k)
    assert_exactly_once(k)
    k.feed(5)  # after the shutdown: cancelled, each with its records
    assert k.book.cancelled >= 5
    assert_exactly_once(k)
