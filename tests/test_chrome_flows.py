"""Flow arrows in the Chrome trace: barrier releases and event sets (docs/trace-format.md)."""

from __future__ import annotations

import json
import threading

from app.sync import Barrier, Event
from app.trace.export import ChromeTraceWriter
from app.trace.recorder import TraceRecorder, bind_thread_name
from tests.helpers import run_threads, wait_for


def _load(path):
    events = json.loads(path.read_text())["traceEvents"]
    tids = {e["args"]["name"]: e["tid"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    return events, tids


def _arrows(events, cat):
    """(start event, finish event, their positions in the file) for each flow id of ``cat``."""
    starts = {e["id"]: (i, e) for i, e in enumerate(events) if e["ph"] == "s" and e["cat"] == cat}
    finishes = {e["id"]: (i, e) for i, e in enumerate(events) if e["ph"] == "f" and e["cat"] == cat}
    assert starts.keys() == finishes.keys(), "every arrow has a start and a finish"
    return [(starts[k][1], finishes[k][1], finishes[k][0]) for k in sorted(starts)]


def _closes_right_after(events, pos, tid, ts):
    """The finish at ``pos`` is followed by the E that ends its span (same thread, same ts)."""
    nxt = events[pos + 1]
    return nxt["ph"] == "E" and nxt["tid"] == tid and nxt["ts"] == ts


def test_a_barrier_round_has_an_arrow_from_the_last_arrival_to_each_thread_it_released(tmp_path):
    rec = TraceRecorder()
    writer = ChromeTraceWriter(tmp_path / "t.json")
    rec.subscribe(writer)
    barrier = Barrier(3, name="pass", recorder=rec)

    def body(i: int) -> int:
        bind_thread_name(f"cook-{i}")
        return barrier.wait(5)

    assert sorted(run_threads(3, body)) == [0, 1, 2]
    writer.close()
    records = rec.snapshot()
    (last,) = [r for r in records if r["kind"] == "barrier.arrive" and r["index"] == 2]
    passes = {r["thread"]: r for r in records if r["kind"] == "barrier.pass"}
    released = sorted(set(passes) - {last["thread"]})
    assert len(released) == 2

    events, tids = _load(tmp_path / "t.json")
    arrows = _arrows(events, "barrier")
    assert len(arrows) == 2  # none from the last arrival to itself
    for s, f, _ in arrows:
        assert s["tid"] == tids[last["thread"]] and s["ts"] == last["ts"] * 1e6
        assert s["name"] == f["name"] == "release pass"
        assert f["bp"] == "e"
    ends = sorted((f["tid"], f["ts"]) for _, f, _ in arrows)
    assert ends == sorted((tids[t], passes[t]["ts"] * 1e6) for t in released)
    for _, f, pos in arrows:  # each binds to the wait it ended: its E comes next
        assert _closes_right_after(events, pos, f["tid"], f["ts"])


def test_an_event_set_has_an_arrow_to_each_wait_it_ended(tmp_path):
    rec = TraceRecorder()
    writer = ChromeTraceWriter(tmp_path / "t.json")
    rec.subscribe(writer)
    ev = Event(name="go", recorder=rec)

    def body(i: int) -> bool:
        bind_thread_name(f"waiter-{i}")
        return ev.wait(5)

    def begins() -> int:
        return sum(1 for r in rec.snapshot() if r["kind"] == "event.wait" and r["phase"] == "begin")

    results: list[object] = []
    runner = threading.Thread(target=lambda: results.extend(run_threads(2, body)))
    runner.start()
    wait_for(lambda: begins() == 2)
    bind_thread_name("setter")
    try:
        ev.set()
    finally:
        bind_thread_name(threading.current_thread().name)
    runner.join(10)
    assert results == [True, True]
    writer.close()
    records = rec.snapshot()
    (set_rec,) = [r for r in records if r["kind"] == "event.set"]
    ends = {r["thread"]: r for r in records if r["kind"] == "event.wait" and r["phase"] == "end"}
    assert sorted(ends) == ["waiter-0", "waiter-1"]

    events, tids = _load(tmp_path / "t.json")
    arrows = _arrows(events, "event")
    assert len(arrows) == 2
    for s, f, pos in arrows:
        assert s["tid"] == tids["setter"] and s["ts"] == set_rec["ts"] * 1e6
        assert s["name"] == f["name"] == "set go" and f["bp"] == "e"
        assert _closes_right_after(events, pos, f["tid"], f["ts"])
    got = sorted((f["tid"], f["ts"]) for _, f, _ in arrows)
    assert got == sorted((tids[t], ends[t]["ts"] * 1e6) for t in ends)


def _rec(seq, thread, kind, **fields):
    return {"seq": seq, "ts": seq / 1000, "sim": seq / 1000, "thread": thread, "kind": kind, **fields}


def test_each_wait_takes_the_latest_set_before_its_end_and_only_waits_that_ended_true(tmp_path):
    writer = ChromeTraceWriter(tmp_path / "t.json")
    w = "event.wait"
    records = [
        _rec(0, "a", w, event="e", phase="begin", timeout=None),
        _rec(1, "b", w, event="e", phase="begin", timeout=1.0),
        _rec(2, "s1", "event.set", event="e"),
        _rec(3, "s2", "event.set", event="e"),  # the latest before both ends
        _rec(4, "c", w, event="e", phase="begin", timeout=None),  # began after the sets
        _rec(5, "a", w, event="e", phase="end", result=True),
        _rec(6, "b", w, event="e", phase="end", result=False),  # timed out: no arrow
        _rec(7, "c", w, event="e", phase="end", result=True),  # no set since it began
        _rec(8, "d", w, event="e", phase="instant", result=True),  # never blocked
        _rec(9, "s3", "event.set", event="other"),
    ]
    # Batches split anywhere: the state carries over.
    writer.write_batch(records[:3])
    writer.write_batch(records[3:6])
    writer.write_batch(records[6:])
    assert writer._waiting == {} and writer._rounds == {}  # nothing kept once waits end
    writer.close()
    events, tids = _load(tmp_path / "t.json")
    arrows = _arrows(events, "event")
    assert [(s["tid"], s["ts"], f["tid"], f["ts"]) for s, f, _ in arrows] == [
        (tids["s2"], 3000.0, tids["a"], 5000.0)
    ]
    assert sum(1 for e in events if "args" in e and "seq" in e["args"]) == len(records)


def test_rounds_are_kept_only_until_every_released_thread_passed(tmp_path):
    writer = ChromeTraceWriter(tmp_path / "t.json")
    seq = 0
    for gen in range(200):  # a long run: state stays flat
        batch = []
        for i, t in enumerate(["x", "y", "z"]):
            batch.append(_rec(seq, t, "barrier.arrive", barrier="b", gen=gen, parties=3, index=i))
            seq += 1
        for t in ["z", "x", "y"]:
            batch.append(_rec(seq, t, "barrier.pass", barrier="b", gen=gen, parties=3, index=0))
            seq += 1
        writer.write_batch(batch)
        assert writer._rounds == {}
    # A round that breaks has no last arrival: no arrows, nothing kept.
    writer.write_batch(
        [
            _rec(seq, "x", "barrier.arrive", barrier="b", gen=200, parties=3, index=0),
            _rec(
                seq + 1, "x", "barrier.broken", barrier="b", gen=200, parties=3, cause="timeout", breaker=True
            ),
        ]
    )
    assert writer._rounds == {}
    writer.close()
    events, tids = _load(tmp_path / "t.json")
    arrows = _arrows(events, "barrier")
    assert len(arrows) == 400 and len({s["id"] for s, _, _ in arrows}) == 400
    assert all(s["tid"] == tids["z"] and f["tid"] in (tids["x"], tids["y"]) for s, f, _ in arrows)
    depth: dict[int, int] = {}
    for e in events:  # still balanced
        depth[e["tid"]] = depth.get(e["tid"], 0) + {"B": 1, "E": -1}.get(e["ph"], 0)
        assert depth[e["tid"]] >= 0
    assert all(d == 0 for d in depth.values())
