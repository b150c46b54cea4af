"""BarrierView folds barrier records: from synthetic records and from a real traced Barrier."""

from __future__ import annotations

import threading

from app.engine.barrier_view import BROKEN, PASS, RESET, BarrierView
from app.sync import Barrier, BrokenBarrierError
from app.trace import TraceRecorder
from app.trace.recorder import thread_name
from tests.helpers import run_threads, wait_for


def rec(kind: str, thread: str, ts: float, barrier: str = "b", gen: int = 0, parties: int = 3, **kw):
    return {
        "ts": ts,
        "thread": thread,
        "kind": f"barrier.{kind}",
        "barrier": barrier,
        "gen": gen,
        "parties": parties,
        **kw,
    }


def fold(records, **kw) -> BarrierView:
    view = BarrierView(**kw)
    for r in records:
        view.apply(r)
    return view


def test_arrivals_in_order_and_the_last_runs_the_action():
    view = fold(
        [
            rec("arrive", "t2", 1.0, index=0),
            rec("arrive", "t0", 1.1, index=1),
            rec("arrive", "t1", 1.2, index=2),
        ]
    )
    assert [(a.thread, a.index) for a in view.arrivals] == [("t2", 0), ("t0", 1), ("t1", 2)]
    assert view.parties == 3 and view.runner == "t1"  # index parties-1, not index 0
    assert view.waiting == 3 and view.outcome is None


def test_a_pass_is_one_outcome_however_many_pass_records():
    arrive = [rec("arrive", f"t{i}", 1.0 + i / 10, index=i) for i in range(3)]
    passes = [rec("pass", f"t{i}", 2.0 + n / 10, index=i) for n, i in enumerate((2, 0, 1))]
    view = fold(arrive + passes)
    assert [o.kind for o in view.outcomes] == [PASS]
    assert view.outcome.ts == 2.0 and view.waiting == 0
    view.apply(rec("arrive", "t1", 3.0, gen=1, index=0))  # the next generation starts afresh
    assert [a.thread for a in view.arrivals] == ["t1"] and view.gen == 1 and view.runner == ""


def test_a_timeout_names_its_breaker_even_when_a_waiter_reports_first():
    view = fold(
        [
            rec("arrive", "a", 1.0, index=0),
            rec("arrive", "b", 1.1, index=1),
            rec("broken", "b", 2.0, cause="timeout", breaker=False),
            rec("broken", "a", 2.0, cause="timeout", breaker=True),
            rec("broken", "c", 2.5, cause="timeout", breaker=False),  # a late arrival
        ]
    )
    assert len(view.outcomes) == 1
    o = view.outcome
    assert (o.kind, o.cause, o.breaker, o.ts) == (BROKEN, "timeout", "a", 2.0)
    assert view.waiting == 0


def test_a_reset_starts_a_new_generation_and_keeps_the_break_in_the_outcomes():
    view = fold(
        [
            rec("arrive", "a", 1.0, index=0),
            rec("broken", "a", 2.0, cause="timeout", breaker=True),
            rec("reset", "a", 2.1, gen=1),
            rec("broken", "x", 2.2, cause="reset", breaker=False),  # a waiter woken by the reset
        ]
    )
    assert [o.kind for o in view.outcomes] == [BROKEN, RESET]
    assert view.gen == 1 and view.arrivals == [] and view.waiting == 0


def test_follows_the_latest_barrier_and_ignores_the_old_one():
    view = fold(
        [
            rec("arrive", "a", 1.0, barrier="table-4", parties=4, index=0),
            rec("arrive", "a", 2.0, barrier="table-3", parties=3, index=0),
            rec("broken", "z", 2.1, barrier="table-4", parties=4, cause="abort", breaker=True),
        ]
    )
    assert view.barrier == "table-3" and view.parties == 3 and view.outcome is None


def test_a_named_view_ignores_other_barriers():
    view = BarrierView(name="kitchen")
    assert not view.apply(rec("arrive", "a", 1.0, barrier="other", index=0))
    assert view.apply(rec("arrive", "a", 1.0, barrier="kitchen", index=0))
    assert not view.apply({"ts": 1.0, "thread": "a", "kind": "event.set", "event": "e"})
    assert view.barrier == "kitchen" and len(view.arrivals) == 1


def test_a_real_barrier_pass_shows_the_thread_that_ran_the_action():
    recorder = TraceRecorder()
    ran_in: list[str] = []
    barrier = Barrier(
        4, action=lambda: ran_in.append(threading.current_thread().name), name="real", recorder=recorder
    )
    view = BarrierView(name="real")
    recorder.subscribe(view.apply)
    run_threads(4, lambda i: barrier.wait(5))
    assert view.outcome.kind == PASS and view.parties == 4
    assert sorted(a.index for a in view.arrivals) == [0, 1, 2, 3]
    assert view.runner == ran_in[0]


def test_a_real_barrier_timeout_and_an_abort():
    recorder = TraceRecorder()
    barrier = Barrier(3, name="real", recorder=recorder)
    view = BarrierView()
    recorder.subscribe(view.apply)
    results = run_threads(2, lambda i: barrier.wait(0.05))
    assert all(isinstance(r, BrokenBarrierError) for r in results)
    assert view.outcome.kind == BROKEN and view.outcome.cause == "timeout"
    assert view.outcome.breaker in {a.thread for a in view.arrivals}
    barrier.reset()
    assert view.outcome.kind == RESET
    out: list[object] = []
    waiter = threading.Thread(target=lambda: out.append(_wait(barrier)), daemon=True)
    waiter.start()
    wait_for(lambda: view.waiting == 1)
    barrier.abort()
    waiter.join(5)
    assert isinstance(out[0], BrokenBarrierError)
    assert view.outcome.kind == BROKEN and view.outcome.cause == "abort"
    assert view.outcome.breaker == thread_name()  # the aborting thread, by its trace name


def _wait(barrier: Barrier) -> object:
    try:
        return barrier.wait(5)
    except BrokenBarrierError as exc:
        return exc


def test_a_reset_clears_the_slots_but_the_broken_generation_is_kept_as_it_stood():
    view = fold(
        [
            rec("arrive", "a", 1.0, index=0),
            rec("arrive", "b", 1.1, index=1),
            rec("broken", "a", 2.0, cause="timeout", breaker=True),
            rec("reset", "a", 2.1, gen=1),
        ]
    )
    assert view.arrivals == []
    ended = view.ended
    assert ended is not None and ended.outcome.kind == BROKEN and ended.outcome.breaker == "a"
    assert [a.thread for a in ended.arrivals] == ["a", "b"] and ended.parties == 3 and ended.runner == ""


def test_expect_shows_the_next_barrier_before_anyone_arrives_and_keeps_the_last_outcome():
    view = fold([rec("arrive", "a", 1.0, barrier="table-4", parties=4, index=0)])
    view.apply(rec("broken", "a", 2.0, barrier="table-4", parties=4, cause="timeout", breaker=True))
    view.expect("table-3", 3)
    assert (view.barrier, view.parties, view.arrivals, view.waiting) == ("table-3", 3, [], 0)
    assert view.outcome.kind == BROKEN and view.ended.barrier == "table-4"
    for i in range(3):
        view.apply(rec("arrive", f"t{i}", 3.0 + i, barrier="table-3", index=i))
    view.apply(rec("pass", "t2", 4.0, barrier="table-3", index=2))
    assert view.outcome.kind == PASS and view.outcome.barrier == "table-3" and view.ended.runner == "t2"
    named = BarrierView(name="kitchen")
    named.expect("table-3", 3)
    assert named.barrier == "" and named.parties == 0
