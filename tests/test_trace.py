"""The trace: format, bounds, thread names, and both exports."""

from __future__ import annotations

import json
import threading

from app.scenes.restaurant import SCENE as RESTAURANT
from app.sync import Barrier, Event
from app.trace.export import ChromeTraceWriter, JsonlWriter
from app.trace.recorder import TraceRecorder, bind_thread_name
from tests.helpers import run_threads


def test_records_have_the_design_fields():
    rec = TraceRecorder()
    r = rec.record("order.placed", order=1)
    assert set(r) == {"ts", "thread", "kind", "order"}
    assert isinstance(r["ts"], float) and isinstance(r["thread"], str)


def test_ring_is_bounded_but_total_counts_everything():
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
