"""Our Barrier behaves as threading.Barrier (each test runs against both) and traces."""

from __future__ import annotations

import threading

import pytest

from app.sync import Barrier, BrokenBarrierError
from tests.helpers import run_threads, wait_for

BOTH = pytest.mark.parametrize("make", [threading.Barrier, Barrier], ids=["threading", "traced"])


@BOTH
def test_wait_returns_each_arrival_index_once(make, recorder):
    barrier = make(5)
    results = run_threads(5, lambda i: barrier.wait(5))
    assert sorted(results) == [0, 1, 2, 3, 4]


@BOTH
def test_action_runs_once_in_the_last_arriving_thread(make, recorder):
    ran_in: list[str] = []
    barrier = make(4, action=lambda: ran_in.append(threading.current_thread().name))
    indices: dict[str, int] = {}

    def body(i: int) -> int:
        idx = barrier.wait(5)
        indices[threading.current_thread().name] = idx
        return idx

    run_threads(4, body)
    assert len(ran_in) == 1
    assert indices[ran_in[0]] == 3  # the last arrival (parties - 1), not index 0


@BOTH
def test_timeout_breaks_the_barrier_for_everyone(make, recorder):
    barrier = make(3)
    results = run_threads(2, lambda i: barrier.wait(0.05))
    assert all(isinstance(r, BrokenBarrierError) for r in results)
    assert barrier.broken
    with pytest.raises(BrokenBarrierError):
        barrier.wait(1)  # still broken until reset


@BOTH
def test_constructor_timeout_is_the_default(make, recorder):
    barrier = make(2, timeout=0.05)
    with pytest.raises(BrokenBarrierError):
        barrier.wait()
    assert barrier.broken


@BOTH
def test_abort_releases_waiters_with_broken_barrier_error(make, recorder):
    barrier = make(3)
    out: list[object] = []

    def waiter() -> None:
        try:
            barrier.wait(10)
        except BrokenBarrierError as exc:
            out.append(exc)

    threads = [threading.Thread(target=waiter) for _ in range(2)]
    for t in threads:
        t.start()
    wait_for(lambda: barrier.n_waiting == 2)
    barrier.abort()
    for t in threads:
        t.join(5)
    assert len(out) == 2 and barrier.broken


@BOTH
def test_reset_wakes_waiters_and_makes_the_barrier_usable(make, recorder):
    barrier = make(2)
    out: list[object] = []
    t = threading.Thread(target=lambda: out.append(_catch(barrier.wait, 10)))
    t.start()
    wait_for(lambda: barrier.n_waiting == 1)
    barrier.reset()
    t.join(5)
    assert isinstance(out[0], BrokenBarrierError)
    assert not barrier.broken
    assert sorted(run_threads(2, lambda i: barrier.wait(5))) == [0, 1]


@BOTH
def test_reset_after_break_restores_it(make, recorder):
    barrier = make(2)
    barrier.abort()
    assert barrier.broken
    barrier.reset()
    assert not barrier.broken and barrier.n_waiting == 0
    assert sorted(run_threads(2, lambda i: barrier.wait(5))) == [0, 1]


class Spoiled(Exception):
    pass


@BOTH
def test_failing_action_raises_in_last_thread_and_breaks_the_rest(make, recorder):
    def action() -> None:
        raise Spoiled

    barrier = make(3, action=action)
    results = run_threads(3, lambda i: barrier.wait(5))
    kinds = sorted(type(r).__name__ for r in results)
    assert kinds == ["BrokenBarrierError", "BrokenBarrierError", "Spoiled"]
    assert barrier.broken


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


@BOTH
def test_properties(make, recorder):
    barrier = make(3)
    assert barrier.parties == 3 and barrier.n_waiting == 0 and not barrier.broken


def test_zero_or_negative_parties_is_refused_not_a_hang(recorder):
    with pytest.raises(ValueError):
        Barrier(0)
    with pytest.raises(ValueError):
        Barrier(-2)


def test_one_party_passes_at_once(recorder):
    assert Barrier(1).wait() == 0


def test_trace_records_arrivals_passes_and_generations(recorder):
    barrier = Barrier(3, name="kitchen")
    run_threads(3, lambda i: barrier.wait(5))
    run_threads(3, lambda i: barrier.wait(5))
    arrives = recorder.of_kind("barrier.arrive")
    passes = recorder.of_kind("barrier.pass")
    assert len(arrives) == 6 and len(passes) == 6
    for gen in (0, 1):
        assert sorted(r["index"] for r in arrives if r["gen"] == gen) == [0, 1, 2]
        assert sorted(r["index"] for r in passes if r["gen"] == gen) == [0, 1, 2]
    assert {r["barrier"] for r in arrives} == {"kitchen"}
    assert all(r["parties"] == 3 for r in arrives)
    # Every pass of a round comes after that round's last arrival.
    records = recorder.snapshot()
    last_arrive = max(i for i, r in enumerate(records) if r["kind"] == "barrier.arrive" and r["gen"] == 0)
    first_pass = min(i for i, r in enumerate(records) if r["kind"] == "barrier.pass" and r["gen"] == 0)
    assert last_arrive < first_pass


def test_trace_records_breaks_with_their_cause(recorder):
    barrier = Barrier(2, name="b")
    _catch(barrier.wait, 0.02)
    broken = recorder.of_kind("barrier.broken")
    assert broken[0]["cause"] == "timeout" and broken[0]["breaker"] is True
    barrier.reset()
    assert recorder.of_kind("barrier.reset")[0]["gen"] == barrier.generation
    barrier.abort()
    assert recorder.of_kind("barrier.broken")[-1]["cause"] == "abort"


def test_a_released_round_is_never_broken_afterwards(recorder):
    """abort() right after a release must not break threads of the released round."""
    for _ in range(50):
        barrier = Barrier(4, action=None)
        gate = threading.Event()

        def body(i: int, barrier=barrier, gate=gate) -> object:
            result = barrier.wait(5)
            if i == 0:
                gate.set()
            return result

        def aborter(barrier=barrier, gate=gate) -> None:
            gate.wait(5)
            barrier.abort()

        t = threading.Thread(target=aborter)
        t.start()
        results = run_threads(4, body)
        t.join(5)
        passed = [r for r in results if isinstance(r, int)]
        assert len(passed) in (0, 4), results


def _catch(fn, *args):
    try:
        return fn(*args)
    except BaseException as exc:
        return exc
