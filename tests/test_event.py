"""Our Event behaves as threading.Event (each test runs against both) and traces."""

from __future__ import annotations

import threading

import pytest

from app.sync import Event
from tests.helpers import run_threads, wait_for

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


@BOTH
def test_set_wakes_every_waiter(make, recorder):
    ev = make()
    waiting = threading.Semaphore(0)

    def body(i: int) -> bool:
        waiting.release()
        return ev.wait(10)

    t = threading.Thread(target=lambda: [waiting.acquire(timeout=5) for _ in range(6)] and ev.set())
    t.start()
    results = run_threads(6, body)
    t.join(5)
    assert results == [True] * 6


def test_trace_records_set_clear_and_waits(recorder):
    ev = Event(name="order_ready")
    t = threading.Thread(target=ev.wait, args=(5,))
    t.start()
    wait_for(lambda: any(r.get("phase") == "begin" for r in recorder.of_kind("event.wait")))
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
