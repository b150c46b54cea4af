"""The trace: format, order, bounds, thread names, both exports and the reader."""

from __future__ import annotations

import json
import sys
import threading

import pytest

from app.engine.clock import SimClock
from app.scenes.restaurant import SCENE as RESTAURANT
from app.sync import Barrier, Event
from app.trace import recorder as recorder_module
from app.trace.export import ChromeTraceWriter, JsonlWriter
from app.trace.recorder import TraceRecorder, bind_thread_name
from tests.helpers import run_threads, wait_for


@pytest.fixture
def switch_often():
    """Switch threads every microsecond, so races between two statements show up."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def test_records_have_the_design_fields():
    rec = TraceRecorder()
    r = rec.record("order.placed", order=1)
    assert list(r) == ["seq", "ts", "sim", "thread", "kind", "order"]
    assert isinstance(r["ts"], float) and isinstance(r["sim"], float) and isinstance(r["thread"], str)
    assert r["seq"] == 0 and rec.record("x")["seq"] == 1


def test_emit_fills_the_common_fields_of_a_built_dict():
    rec = TraceRecorder()
    rec.record("first")
    r = rec.emit({"seq": 0, "ts": 0.0, "sim": 0.0, "thread": "", "kind": "barrier.arrive", "gen": 3})
    assert list(r) == ["seq", "ts", "sim", "thread", "kind", "gen"]
    assert r["seq"] == 1 and r["ts"] > 0 and r["thread"] == threading.current_thread().name
    assert rec.snapshot()[-1] is r


def test_seq_is_strictly_increasing_in_the_ring_and_for_every_subscriber(switch_often):
    """Threads racing between taking a seq and appending never reorder the trace."""
    rec = TraceRecorder(capacity=1_000_000)
    seen_a: list[dict] = []
    seen_b: list[dict] = []
    rec.subscribe(seen_a.append)
    rec.subscribe(seen_b.append)

    def body(i: int) -> None:
        for n in range(3000):
            rec.record("tick", i=i, n=n)

    run_threads(6, body, timeout=60)
    ring = rec.snapshot()
    assert rec.total == len(ring) == 18_000
    for records in (ring, seen_a, seen_b):
        assert [r["seq"] for r in records] == list(range(18_000))
    assert seen_a == ring and seen_b == ring  # each record once, the same objects
    ts = [r["ts"] for r in ring]
    sim = [r["sim"] for r in ring]
    assert ts == sorted(ts) and sim == sorted(sim)  # read in the same critical section


def test_a_subscriber_may_record_and_order_holds():
    rec = TraceRecorder()
    seen: list[tuple[int, str]] = []

    def echo(r: dict) -> None:
        seen.append((r["seq"], r["kind"]))
        if r["kind"] == "ping":
            rec.record("pong")  # delivered after the current record, to everyone

    late: list[int] = []
    rec.subscribe(echo)
    rec.subscribe(lambda r: late.append(r["seq"]))
    rec.record("ping")
    rec.record("ping")
    assert seen == [(0, "ping"), (1, "pong"), (2, "ping"), (3, "pong")]
    assert late == [0, 1, 2, 3]


def test_a_slow_subscriber_bounds_the_backlog_and_loses_nothing(monkeypatch):
    """While one thread is stuck delivering, others queue up to the backlog, then wait."""
    monkeypatch.setattr(recorder_module, "_BACKLOG", 10)
    rec = TraceRecorder()
    release = threading.Event()
    seen: list[int] = []

    def slow(r: dict) -> None:
        if r["kind"] == "first":
            release.wait(10)
        seen.append(r["seq"])

    rec.subscribe(slow)
    first = threading.Thread(target=rec.record, args=("first",))
    first.start()
    wait_for(lambda: rec.total == 1)
    done = threading.Event()

    def producer() -> None:
        for _ in range(50):
            rec.record("more")
        done.set()

    t = threading.Thread(target=producer)
    t.start()
    wait_for(lambda: len(rec._pending) >= 10)
    assert not done.wait(0.1) and len(rec._pending) <= 11  # blocked, not queueing on
    release.set()
    first.join(5)
    t.join(5)
    assert seen == list(range(51)) and not rec._pending


def test_flush_waits_for_a_delivery_in_progress():
    rec = TraceRecorder()
    inside, release = threading.Event(), threading.Event()
    seen: list[int] = []

    def slow(r: dict) -> None:
        inside.set()
        release.wait(10)
        seen.append(r["seq"])

    rec.subscribe(slow)
    t = threading.Thread(target=rec.record, args=("a",))
    t.start()
    inside.wait(5)
    rec._pending.append({"seq": -1})  # as if recorded while the delivery runs
    threading.Timer(0.05, release.set).start()
    rec.flush()
    assert seen == [0, -1]
    t.join(5)


def test_sim_equals_ts_without_a_clock_and_follows_the_clock_with_one():
    rec = TraceRecorder()
    r = rec.record("x")
    assert r["sim"] == r["ts"]
    clock = SimClock(16.0, recorder=rec)
    before = clock.now()
    r = rec.record("y")
    after = clock.now()
    # Two time bases (the clock's and the recorder's) anchored a moment apart: allow it.
    assert before - 0.3 <= r["sim"] <= after + 0.3
    s = rec.record("z")
    assert s["sim"] - r["sim"] == pytest.approx(16 * (s["ts"] - r["ts"]), rel=1e-6, abs=1e-9)
    clock.set_speed(1.0)
    a = rec.record("a")
    b = rec.record("b")
    assert b["sim"] - a["sim"] == pytest.approx(b["ts"] - a["ts"], rel=1e-6, abs=1e-9)
    assert a["sim"] >= s["sim"]


def test_sim_never_goes_back_when_the_clock_jumps_back():
    rec = TraceRecorder()
    rec.set_sim_time(100.0, 1.0)
    a = rec.record("a")
    rec.set_sim_time(5.0, 2.0)  # a new clock for the same recorder
    b = rec.record("b")
    assert a["sim"] >= 100.0 and b["sim"] >= a["sim"]


def test_ring_is_bounded_but_total_counts_everything():  # total comes from seq
    rec = TraceRecorder(capacity=100)
    for i in range(1000):
        rec.record("tick", i=i)
    assert len(rec.snapshot()) == 100
    assert rec.snapshot()[0]["i"] == 900
    assert rec.total == 1000


def test_bound_thread_names_label_records():
    rec = TraceRecorder()

    def body(i: int) -> None:
        bind_thread_name(f"chef-{i}")
        rec.record("hello")

    run_threads(4, body)
    assert sorted(r["thread"] for r in rec.snapshot()) == [f"chef-{i}" for i in range(4)]


def test_subscribers_see_every_record_and_can_leave():
    rec = TraceRecorder(capacity=10)
    seen: list[dict] = []
    unsubscribe = rec.subscribe(seen.append)
    for _ in range(50):
        rec.record("x")
    unsubscribe()
    rec.record("y")
    assert len(seen) == 50


def _traffic(rec: TraceRecorder) -> None:
    barrier = Barrier(3, name="kitchen", recorder=rec)
    ev = Event(name="order_ready", recorder=rec)

    def body(i: int) -> None:
        bind_thread_name(f"chef-{i}")
        rec.record("part.started", order=1)
        rec.record("part.done", order=1)
        barrier.wait(5)
        ev.wait(5)

    t = threading.Thread(target=lambda: (bind_thread_name("waiter"), barrier.wait(5)))
    results = []
    runner = threading.Thread(target=lambda: results.extend(run_threads(2, body)))
    runner.start()
    t.start()
    t.join(5)
    ev.set()
    runner.join(10)


def test_jsonl_export_is_one_object_per_line(tmp_path):
    rec = TraceRecorder()
    writer = JsonlWriter(tmp_path / "t.jsonl")
    rec.subscribe(writer)
    _traffic(rec)
    writer.close()
    lines = (tmp_path / "t.jsonl").read_text().splitlines()
    assert len(lines) == writer.count == rec.total
    for line in lines:
        obj = json.loads(line)
        assert {"ts", "thread", "kind"} <= set(obj)
    kinds = {json.loads(x)["kind"] for x in lines}
    assert {"barrier.arrive", "barrier.pass", "event.set", "event.wait"} <= kinds


def test_chrome_trace_has_tracks_and_balanced_spans(tmp_path):
    rec = TraceRecorder()
    writer = ChromeTraceWriter(tmp_path / "t.json", spans=RESTAURANT.spans)
    rec.subscribe(writer)
    _traffic(rec)
    writer.close()
    data = json.loads((tmp_path / "t.json").read_text())
    events = data["traceEvents"]
    names = {e["args"]["name"] for e in events if e["ph"] == "M"}
    assert {"chef-0", "chef-1", "waiter"} <= names
    depth: dict[int, int] = {}
    for e in events:
        if e["ph"] == "B":
            depth[e["tid"]] = depth.get(e["tid"], 0) + 1
        elif e["ph"] == "E":
            depth[e["tid"]] -= 1
            assert depth[e["tid"]] >= 0
    assert all(d == 0 for d in depth.values())
    span_names = {e["name"] for e in events if e["ph"] == "B"}
    assert "prepare order 1" in span_names
    assert any(n.startswith("wait at kitchen") for n in span_names)
