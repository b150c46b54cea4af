"""Our Event behaves as threading.Event (each test runs against both) and traces."""

from __future__ import annotations

import threading

import pytest

from app.sync import Event
from tests.helpers import wait_for

BOTH = pytest.mark.parametrize("make", [threading.Event, Event], ids=["threading", "traced"])


@BOTH
def test_set_before_wait_is_not_missed(make, recorder):
    ev = make()
    ev.set()
    assert ev.wait(0) is True and ev.wait() is True and ev.is_set()


@BOTH
def test_wait_times_out_false(make, recorder):
    assert make().wait(0.01) is False


@BOTH
def test_clear_then_wait_blocks_again(make, recorder):
    ev = make()
    ev.set()
    ev.clear()
    assert not ev.is_set() and ev.wait(0.01) is False


def _blocked(ev) -> int:
    """Threads inside the event's ``Condition.wait``: registered as waiters, so only a
    ``set()`` (a notify) can release them before their timeout. Works for both kinds."""
    inner = getattr(ev, "_event", ev)  # ours wraps a threading.Event
    return len(inner._cond._waiters)


@BOTH
def test_set_wakes_every_blocked_waiter(make, recorder):
    ev = make()
    results: list[object] = [None] * 6

    def body(i: int) -> None:
        results[i] = ev.wait(10)

    threads = [threading.Thread(target=body, args=(i,), name=f"waiter-{i}") for i in range(6)]
    for t in threads:
        t.start()
    if isinstance(ev, Event):  # the trace says each one began to wait...
        wait_for(lambda: len(_begun(recorder)) == 6)
    wait_for(lambda: _blocked(ev) == 6)  # ...and each is blocked inside the wait
    ev.set()
    for t in threads:
        t.join(5)
    assert not any(t.is_alive() for t in threads)
    assert results == [True] * 6
    if isinstance(ev, Event):
        ends = [r for r in recorder.of_kind("event.wait") if r["phase"] == "end"]
        assert sorted(r["thread"] for r in ends) == [f"waiter-{i}" for i in range(6)]
        assert all(r["result"] is True for r in ends)


@BOTH
def test_set_from_another_thread_wakes_a_waiter_with_no_timeout(make, recorder):
    ev = make()
    out: list[bool] = []
    # A daemon: if the wake-up is broken, the test fails instead of hanging the run.
    t = threading.Thread(target=lambda: out.append(ev.wait()), name="waiter", daemon=True)
    t.start()
    wait_for(lambda: _blocked(ev) == 1)
    threading.Thread(target=ev.set).start()
    t.join(5)
    assert not t.is_alive() and out == [True]


@BOTH
def test_clear_after_a_wake_does_not_take_the_wake_back(make, recorder):
    """The waiter was woken by the set; a clear before it runs again must not undo it."""
    ev = make()
    out: list[bool] = []
    t = threading.Thread(target=lambda: out.append(ev.wait(10)))
    t.start()
    wait_for(lambda: _blocked(ev) == 1)
    ev.set()
    ev.clear()
    t.join(5)
    assert not t.is_alive() and out == [True]


def _begun(recorder) -> list[str]:
    return [r["thread"] for r in recorder.of_kind("event.wait") if r["phase"] == "begin"]


def test_trace_records_set_clear_and_waits(recorder):
    ev = Event(name="order_ready")
    t = threading.Thread(target=ev.wait, args=(5,))
    t.start()
    wait_for(lambda: any(r.get("phase") == "begin" for r in recorder.of_kind("event.wait")))
    wait_for(lambda: _blocked(ev) == 1)  # blocked, not just about to wait
    ev.set()
    t.join(5)
    ev.clear()
    ev.set()
    ev.wait()
    kinds = [(r["kind"], r.get("phase")) for r in recorder.snapshot()]
    # The waiter's "end" and the setter's "set" race each other; the rest is ordered.
    assert kinds[0] == ("event.wait", "begin")
    assert sorted(kinds[1:3]) == [("event.set", None), ("event.wait", "end")]
    assert kinds[3:] == [("event.clear", None), ("event.set", None), ("event.wait", "instant")]
    assert all(r["event"] == "order_ready" for r in recorder.snapshot())
    ends = [r for r in recorder.of_kind("event.wait") if r.get("phase") == "end"]
    assert ends[0]["result"] is True
