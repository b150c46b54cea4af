"""The window's view-model, fed by a real kitchen's trace (no display needed)."""

from __future__ import annotations

from app.engine.budget import RestartPolicy
from app.engine.timeline import CRASHED as LANE_CRASHED
from app.engine.timeline import STOPPED as LANE_STOPPED
from app.engine.timeline import WAITING_BARRIER, WORKING, Timeline
from app.scenes.restaurant import SCENE as RESTAURANT
from app.scenes.restaurant.view import CRASHED, RESTARTING, WALKED_OUT, KitchenView
from tests.helpers import wait_for
from tests.kitchen_fixtures import make_kitchen, run_orders


def fold(kitchen) -> tuple[KitchenView, Timeline]:
    view = KitchenView.for_stations(kitchen.config.stations)
    timeline = Timeline(RESTAURANT.lanes)
    for r in kitchen.recorder.snapshot():
        view.apply(r)
        timeline.apply(r)
    return view, timeline


def test_counters_match_the_ledger():
    k = make_kitchen(faults="crash=0.1,burn=0.05")
    try:
        run_orders(k, 40)
    finally:
        k.stop()
    view, _ = fold(k)
    assert (view.placed, view.served, view.cancelled) == (k.book.placed, k.book.served, k.book.cancelled)
    assert view.restarts == k.restarts and view.faults == sum(k.faults.values())
    assert view.queued == 0 and view.status == "closed"


def test_crash_shows_on_the_station_and_its_lane():
    k = make_kitchen(speed=1.0, restart=RestartPolicy(backoff_s=30))
    k.start()
    k.inject("crash", "main")
    k.place_order()
    wait_for(lambda: k.stations["main"].state == "restarting" and k.queued == 1)
    view, timeline = fold(k)
    assert view.stations["main"].state == RESTARTING and view.stations["main"].restart_at > 0
    assert timeline.lanes["chef-main"].state == LANE_CRASHED
    assert view.queue  # the order is back in the queue
    k.stop()
    view, timeline = fold(k)
    assert view.stations["appetizer"].state == "stopped"
    assert timeline.lanes["chef-appetizer"].state == LANE_STOPPED


def test_walkout_and_lanes_show_work_and_waiting():
    k = make_kitchen(rehire_after_s=None)
    k.start()
    k.inject("walkout", "dessert")
    try:
        run_orders(k, 3)
    finally:
        k.stop()
    view, timeline = fold(k)
    assert view.stations["dessert"].state == WALKED_OUT
    states = {s.state for lane in timeline.lanes.values() for s in lane.segments}
    assert {WORKING, WAITING_BARRIER} <= states
    assert CRASHED not in {s.state for s in view.stations.values()}


def test_a_requeued_ticket_keeps_its_age():
    view = KitchenView.for_stations(["a"])
    for rec in (
        {"ts": 1.0, "thread": "main", "kind": "order.placed", "order": 1},
        {"ts": 2.0, "thread": "chef-a", "kind": "order.started", "order": 1, "stations": ["a"]},
        {"ts": 5.0, "thread": "chef-a", "kind": "order.requeued", "order": 1},
    ):
        view.apply(rec)
    assert view.queue == {1: 1.0}
