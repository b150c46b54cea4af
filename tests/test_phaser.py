"""Our Phaser behaves as threading.Barrier while its parties stay put (those tests run
against both), lets parties join and leave only between phases, and traces it all."""

from __future__ import annotations

import random
import threading

import pytest

from app.engine.invariants import barrier_violations
from app.sync import BrokenBarrierError, Phaser
from tests.helpers import run_threads, wait_for

BOTH = pytest.mark.parametrize("make", [threading.Barrier, Phaser], ids=["threading", "phaser"])


def _catch(fn, *args):
    try:
        return fn(*args)
    except BaseException as exc:
        return exc


# -- a Phaser with fixed parties is a Barrier ------------------------------------------------
@BOTH
def test_wait_returns_each_arrival_index_once(make, recorder):
    barrier = make(5)
    assert sorted(run_threads(5, lambda i: barrier.wait(5))) == [0, 1, 2, 3, 4]


@BOTH
def test_action_runs_once_in_the_last_arriving_thread(make, recorder):
    ran_in: list[str] = []
    barrier = make(4, action=lambda: ran_in.append(threading.current_thread().name))
    indices: dict[str, int] = {}

    def body(i: int) -> None:
        indices[threading.current_thread().name] = barrier.wait(5)

    run_threads(4, body)
    assert len(ran_in) == 1 and indices[ran_in[0]] == 3  # the last arrival, not index 0


@BOTH
def test_timeout_breaks_it_for_everyone(make, recorder):
    barrier = make(3)
    results = run_threads(2, lambda i: barrier.wait(0.05))
    assert all(isinstance(r, BrokenBarrierError) for r in results)
    assert barrier.broken
    with pytest.raises(BrokenBarrierError):
        barrier.wait(1)


@BOTH
def test_abort_releases_waiters(make, recorder):
    barrier = make(3)
    out: list[object] = []
    threads = [threading.Thread(target=lambda: out.append(_catch(barrier.wait, 10))) for _ in range(2)]
    for t in threads:
        t.start()
    wait_for(lambda: barrier.n_waiting == 2)
    barrier.abort()
    for t in threads:
        t.join(5)
    assert len(out) == 2 and all(isinstance(r, BrokenBarrierError) for r in out) and barrier.broken


@BOTH
def test_reset_wakes_waiters_and_makes_it_usable(make, recorder):
    barrier = make(2)
    out: list[object] = []
    t = threading.Thread(target=lambda: out.append(_catch(barrier.wait, 10)))
    t.start()
    wait_for(lambda: barrier.n_waiting == 1)
    barrier.reset()
    t.join(5)
    assert isinstance(out[0], BrokenBarrierError) and not barrier.broken
    assert sorted(run_threads(2, lambda i: barrier.wait(5))) == [0, 1]


class Spoiled(Exception):
    pass


@BOTH
def test_failing_action_raises_in_the_last_thread_and_breaks_the_rest(make, recorder):
    def action() -> None:
        raise Spoiled

    barrier = make(3, action=action)
    kinds = sorted(type(r).__name__ for r in run_threads(3, lambda i: barrier.wait(5)))
    assert kinds == ["BrokenBarrierError", "BrokenBarrierError", "Spoiled"] and barrier.broken


@BOTH
def test_many_threads_many_generations(make, recorder):
    parties, rounds = 8, 200
    trips = [0]
    barrier = make(parties, action=lambda: trips.__setitem__(0, trips[0] + 1))
    seen: list[list[int]] = [[] for _ in range(rounds)]

    def body(i: int) -> None:
        for r in range(rounds):
            seen[r].append(barrier.wait(10))

    run_threads(parties, body, timeout=60)
    assert trips[0] == rounds
    assert all(sorted(s) == list(range(parties)) for s in seen)


# -- joining and leaving ----------------------------------------------------------------------
def test_negative_parties_are_refused_and_zero_is_an_empty_pool(recorder):
    with pytest.raises(ValueError):
        Phaser(-1)
    p = Phaser(0)
    assert p.parties == 0 and p.register() == 0 and p.parties == 1  # no phase under way: at once
    assert p.wait(1) == 0


def test_arriving_with_no_parties_is_a_mistake_not_a_hang(recorder):
    with pytest.raises(ValueError):
        Phaser(0).wait(1)
    p = Phaser(1)
    assert p.arrive_and_deregister() == 0  # the only party leaves: phase 1 has none
    assert p.phase == 1 and p.parties == 0
    with pytest.raises(ValueError):
        p.wait(1)


def test_a_party_that_registers_mid_phase_joins_at_the_next_one(recorder):
    p = Phaser(2, name="pool")
    first = threading.Thread(target=lambda: p.wait(5))
    first.start()
    wait_for(lambda: p.n_waiting == 1)  # phase 0 is under way
    joins = p.register()
    assert joins == 1 and p.parties == 2 and p.registered == 3
    newcomer: list[object] = []

    def new_worker() -> None:
        p.await_advance(joins - 1)
        newcomer.append(p.wait(5))

    t = threading.Thread(target=new_worker)
    t.start()
    assert p.wait(5) == 1  # phase 0 still needed only its two parties
    first.join(5)
    assert p.phase == 1 and p.parties == 3
    old = run_threads(2, lambda i: p.wait(5))  # phase 1 passes only with the newcomer too
    t.join(5)
    assert sorted(old + newcomer) == [0, 1, 2]
    reg = recorder.of_kind("phaser.register")[0]
    assert (reg["barrier"], reg["gen"], reg["joins"], reg["parties"]) == ("pool", 0, 1, 3)
    arrives = [r for r in recorder.of_kind("barrier.arrive") if r["gen"] == 1]
    assert len(arrives) == 3 and {r["parties"] for r in arrives} == {3}
    assert barrier_violations(recorder.snapshot()) == []


def test_arrive_and_deregister_counts_for_this_phase_and_leaves_the_next(recorder):
    ran: list[int] = []
    p = Phaser(3, action=lambda: ran.append(p.phase), name="pool")
    waiters = [threading.Thread(target=lambda: p.wait(5)) for _ in range(2)]
    for t in waiters:
        t.start()
    wait_for(lambda: p.n_waiting == 2)
    assert p.arrive_and_deregister() == 2  # the last arrival: it runs the action, and does not wait
    for t in waiters:
        t.join(5)
    assert ran == [0] and p.phase == 1 and p.parties == 2
    assert sorted(run_threads(2, lambda i: p.wait(5))) == [0, 1]
    dereg = recorder.of_kind("phaser.deregister")
    assert [(r["gen"], r["parties"], r["arrived"]) for r in dereg] == [(0, 2, True)]
    assert barrier_violations(recorder.snapshot()) == []


def test_a_deregistering_party_never_waits_even_when_others_are_missing(recorder):
    p = Phaser(3)
    assert p.arrive_and_deregister() == 0  # returns at once: phase 0 still needs two
    assert p.phase == 0 and p.n_arrived == 1 and p.registered == 2
    assert sorted(run_threads(2, lambda i: p.wait(5))) == [1, 2]
    assert p.phase == 1 and p.parties == 2


def test_the_last_parties_may_all_leave_and_a_newcomer_starts_at_once(recorder):
    p = Phaser(2)
    run_threads(2, lambda i: p.arrive_and_deregister())
    assert p.parties == 0 and p.phase == 1
    assert p.register() == 1 and p.parties == 1  # nothing under way: joins the current phase
    assert p.wait(1) == 0 and p.phase == 2


def test_await_advance_returns_at_once_for_a_past_phase_and_wakes_on_abort(recorder):
    p = Phaser(1)
    p.wait(1)
    assert p.await_advance(0) == 1
    assert p.await_advance(1, timeout=0.01) == 1  # timed out: still in phase 1
    out: list[object] = []
    t = threading.Thread(target=lambda: out.append(_catch(p.await_advance, 1)))
    t.start()
    wait_for(lambda: t.is_alive())
    p.abort()
    t.join(5)
    assert isinstance(out[0], BrokenBarrierError)


def test_reset_applies_joins_and_leaves_and_wakes_newcomers(recorder):
    p = Phaser(2)
    p.arrive_and_deregister()
    joins = p.register()
    p.reset()  # phase 0 given up: one left, one joined
    assert p.parties == 2 and p.phase == 1 and joins == 1
    assert p.await_advance(0) == 1
    assert sorted(run_threads(2, lambda i: p.wait(5))) == [0, 1]


def test_parties_never_change_under_a_phase_while_workers_come_and_go(recorder):
    """A pool that grows and shrinks at random while its members cycle: every phase keeps
    its party count from its first arrival to its last, passes only when all arrived, and
    every member passes each phase it was a party of exactly once."""
    rng = random.Random(7)
    p = Phaser(3, name="pool")
    lock = threading.Lock()
    members = [3]
    threads: list[threading.Thread] = []

    def member(joined: int | None, rounds: int) -> None:
        if joined is not None and p.phase < joined:
            p.await_advance(joined - 1)
        for r in range(rounds):
            if r == rounds - 1:
                p.arrive_and_deregister()
                with lock:
                    members[0] -= 1
                return
            p.wait(10)

    def start(joined: int | None, rounds: int) -> None:
        t = threading.Thread(target=member, args=(joined, rounds), daemon=True)
        threads.append(t)
        t.start()

    for _ in range(3):
        start(None, rng.randint(5, 40))
    for _ in range(30):
        with lock:
            if members[0] >= 6 or members[0] == 0:
                break
            members[0] += 1
        # Register while a phase is under way (someone has arrived), where a join must wait.
        wait_for(lambda: p.n_arrived > 0 or p.parties == 0)
        start(p.register(), rng.randint(1, 40))
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    assert p.parties == 0 and members[0] == 0
    records = recorder.snapshot()
    assert barrier_violations(records) == []
    by_gen: dict[int, set[int]] = {}
    for r in records:
        if r["kind"] == "barrier.arrive":
            by_gen.setdefault(r["gen"], set()).add(r["parties"])
    assert all(len(parties) == 1 for parties in by_gen.values()), by_gen


def test_the_invariant_catches_a_phase_that_changed_parties(recorder):
    records = [
        {"kind": "barrier.arrive", "barrier": "b", "gen": 0, "parties": 2, "index": 0},
        {"kind": "barrier.arrive", "barrier": "b", "gen": 0, "parties": 3, "index": 1},
    ]
    assert barrier_violations(records) == ["b gen 0: parties changed from 2 to 3"]


def test_trace_records_arrivals_passes_and_phases(recorder):
    p = Phaser(3, name="batch")
    run_threads(3, lambda i: p.wait(5))
    run_threads(3, lambda i: p.wait(5))
    arrives, passes = recorder.of_kind("barrier.arrive"), recorder.of_kind("barrier.pass")
    assert len(arrives) == len(passes) == 6
    for gen in (0, 1):
        assert sorted(r["index"] for r in arrives if r["gen"] == gen) == [0, 1, 2]
        assert sorted(r["index"] for r in passes if r["gen"] == gen) == [0, 1, 2]
    assert {r["barrier"] for r in arrives} == {"batch"} and all(r["parties"] == 3 for r in passes)
    p.abort()
    assert recorder.of_kind("barrier.broken")[-1]["cause"] == "abort"
