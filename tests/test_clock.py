"""Simulated time: speeds, the pause gate, and sleeps that end at once on shutdown."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from app.engine.clock import MAX_NOMINAL, ShutdownRequested, SimClock, parse_speed
from app.trace.recorder import TraceRecorder
from tests.helpers import wait_for


@pytest.mark.parametrize(
    "text,value", [("max", None), ("MAX", None), ("0.25", 0.25), ("16", 16.0), ("1", 1.0)]
)
def test_parse_speed_accepts(text, value):
    assert parse_speed(text) == value


@pytest.mark.parametrize("text", ["0.1", "17", "fast", "", "nan"])
def test_parse_speed_refuses(text):
    with pytest.raises(ValueError):
        parse_speed(text)


def test_max_speed_never_sleeps():
    clock = SimClock(None)
    t0 = time.monotonic()
    for _ in range(1000):
        assert clock.sleep(3600) is True
    assert time.monotonic() - t0 < 1.0


def test_higher_speed_sleeps_less_wall_time():
    fast = SimClock(16.0)
    t0 = time.monotonic()
    fast.sleep(0.8)  # 50 ms of wall time at 16x
    elapsed = time.monotonic() - t0
    assert 0.04 <= elapsed < 0.5


def test_shutdown_ends_a_long_sleep_at_once():
    clock = SimClock(0.25)
    out: list[object] = []

    def sleeper() -> None:
        try:
            clock.sleep(3600)
        except ShutdownRequested as exc:
            out.append(exc)

    t = threading.Thread(target=sleeper)
    t.start()
    t0 = time.monotonic()
    clock.request_shutdown()
    t.join(1)
    assert not t.is_alive() and out and time.monotonic() - t0 < 0.2


def test_interrupted_sleep_returns_false():
    clock = SimClock(1.0)
    flag = threading.Event()
    flag.set()
    assert clock.sleep(10, flag.is_set) is False


def test_pause_gate_holds_until_resume_and_opens_on_shutdown():
    clock = SimClock(1.0)
    clock.pause()
    passed = threading.Event()
    t = threading.Thread(target=lambda: (clock.wait_gate(), passed.set()))
    t.start()
    assert not passed.wait(0.05)
    clock.resume()
    t.join(1)
    assert passed.is_set()

    clock.pause()
    errors: list[object] = []

    def held() -> None:
        try:
            clock.wait_gate()
        except ShutdownRequested as exc:
            errors.append(exc)

    t2 = threading.Thread(target=held)
    t2.start()
    wait_for(lambda: clock.paused)
    clock.request_shutdown()
    t2.join(1)
    assert errors


def test_sim_time_follows_speed_changes():
    clock = SimClock(16.0)
    clock.sleep(0.8)
    clock.set_speed(1.0)
    assert clock.now() >= 0.75


def test_now_never_goes_back_while_the_speed_changes():
    """A reader must not extrapolate the old speed past a change (time would jump back)."""
    clock = SimClock(16.0)
    stop = threading.Event()

    def toggle() -> None:
        while not stop.is_set():
            clock.set_speed(16.0)
            clock.set_speed(0.25)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads between any two statements
    t = threading.Thread(target=toggle)
    t.start()
    try:
        last, backwards = clock.now(), 0
        for _ in range(150_000):
            now = clock.now()
            backwards += now < last
            last = now
    finally:
        stop.set()
        t.join(5)
        sys.setswitchinterval(old)
    assert backwards == 0


def test_records_carry_the_clocks_simulated_time():
    rec = TraceRecorder()
    clock = SimClock(4.0, recorder=rec)
    before = clock.now()
    r = rec.record("x")
    after = clock.now()
    assert before - 0.1 <= r["sim"] <= after + 0.1
    clock.set_speed(None)  # max: MAX_NOMINAL simulated seconds a wall second
    a, b = rec.record("a"), rec.record("b")
    assert b["sim"] - a["sim"] == pytest.approx(MAX_NOMINAL * (b["ts"] - a["ts"]), rel=1e-6, abs=1e-9)
