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
from app.trace.format import FORMAT, TraceFormatError, read_trace, trace_header
from app.trace.recorder import TraceRecorder, bind_thread_name, thread_name
from app.version import version
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
    assert r["seq"] == 1 and r["ts"] > 0 and r["thread"] == thread_name()
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


def test_without_subscribers_no_lock_yet_snapshot_is_in_seq_order(switch_often):
    """With nobody subscribed, records race into the ring; snapshot() still reads in order."""
    rec = TraceRecorder(capacity=1_000_000)
    run_threads(6, lambda i: [rec.record("tick", i=i) for _ in range(3000)], timeout=60)
    assert rec.total == 18_000
    assert [r["seq"] for r in rec.snapshot()] == list(range(18_000))


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


class _RacyToken:
    """The delivery token, with a hook run just before it is let go: the moment when a
    record made by another thread finds the token taken and leaves it to its holder."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.hook = None

    def acquire(self, blocking: bool = True) -> bool:
        return self._lock.acquire(blocking)

    def release(self) -> None:
        hook, self.hook = self.hook, None
        if hook is not None:
            hook()
        self._lock.release()


def test_a_record_made_as_the_deliverer_lets_go_is_still_delivered():
    rec = TraceRecorder()
    seen: list[str] = []
    rec.subscribe(lambda r: seen.append(r["kind"]))
    token = rec._token = _RacyToken()

    def late() -> None:
        t = threading.Thread(target=rec.record, args=("late",))
        t.start()
        t.join(5)  # it found the token taken and returned, leaving "late" queued

    token.hook = late
    rec.record("first")
    assert seen == ["first", "late"] and not rec._pending


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


# -- format 2 files: header, batching, reading back ------------------------------------


def test_header_is_line_one_and_the_file_reads_back_as_recorded(tmp_path):
    rec = TraceRecorder()
    header = trace_header("restaurant", {"stations": ["a", "b"], "prep_s": (0.6, 2.0)}, 7)
    assert header["kind"] == "trace.header" and header["format"] == FORMAT == 2
    assert header["app_version"] == version() and header["seed"] == 7
    writer = JsonlWriter(tmp_path / "t.jsonl", header=header)
    rec.subscribe(writer)
    _traffic(rec)
    writer.close()
    first = json.loads((tmp_path / "t.jsonl").read_text().splitlines()[0])
    assert first["kind"] == "trace.header" and first["config"]["prep_s"] == [0.6, 2.0]
    got_header, records = read_trace(tmp_path / "t.jsonl")
    assert got_header == first
    assert list(records) == rec.snapshot()  # every field, floats exact, in seq order


def test_writers_batch_off_the_hot_path_and_close_writes_everything(tmp_path):
    rec = TraceRecorder(batch=100)
    jsonl = JsonlWriter(tmp_path / "t.jsonl", header=trace_header("s", {}, 0))
    chrome = ChromeTraceWriter(tmp_path / "t.json")
    rec.subscribe(jsonl)
    rec.subscribe(chrome)
    for i in range(150):
        rec.record("tick", i=i)
    assert jsonl.count == chrome.count == 100  # one batch handed over and written; 50 wait
    jsonl.flush()
    assert jsonl.count == 150 and len((tmp_path / "t.jsonl").read_text().splitlines()) == 1 + 150
    for i in range(150, 180):
        rec.record("tick", i=i)
    jsonl.close()  # writes the 30 still waiting
    chrome.close()
    rec.record("after close")  # ignored, never an error in the recording thread
    _, records = read_trace(tmp_path / "t.jsonl")
    assert [r["i"] for r in records] == list(range(180)) and jsonl.count == 180
    events = json.loads((tmp_path / "t.json").read_text())["traceEvents"]
    assert [e["args"]["i"] for e in events if e.get("name") == "tick"] == list(range(180))


def test_writers_lose_nothing_while_threads_race(tmp_path, switch_often):
    rec = TraceRecorder(capacity=10, batch=7)
    jsonl = JsonlWriter(tmp_path / "t.jsonl")
    chrome = ChromeTraceWriter(tmp_path / "t.json")
    rec.subscribe(jsonl)
    rec.subscribe(chrome)
    run_threads(6, lambda i: [rec.record("tick", i=i) for _ in range(1500)], timeout=60)
    jsonl.close()
    chrome.close()
    _, records = read_trace(tmp_path / "t.jsonl")  # checks seq is strictly increasing
    assert [r["seq"] for r in records] == list(range(9000))
    events = json.loads((tmp_path / "t.json").read_text())["traceEvents"]
    assert sorted(e["args"]["seq"] for e in events if e.get("name") == "tick") == list(range(9000))


def test_values_json_has_no_type_for_are_written_not_dropped(tmp_path):
    rec = TraceRecorder()
    writer = JsonlWriter(tmp_path / "t.jsonl")
    rec.subscribe(writer)
    rec.record("odd", big=2**70, things={3}, keys={1: "one"})
    writer.close()
    (r,) = read_trace(tmp_path / "t.jsonl")[1]
    assert r["big"] == 2**70 and r["things"] == "{3}" and r["keys"] == {"1": "one"}


def test_chrome_trace_carries_the_header_and_whole_records(tmp_path):
    rec = TraceRecorder()
    writer = ChromeTraceWriter(tmp_path / "t.json", header=trace_header("restaurant", {}, 3))
    rec.subscribe(writer)
    _traffic(rec)
    writer.close()
    data = json.loads((tmp_path / "t.json").read_text())
    assert data["otherData"]["scene"] == "restaurant" and data["otherData"]["format"] == 2
    seqs = [e["args"]["seq"] for e in data["traceEvents"] if "seq" in e.get("args", {})]
    assert seqs == sorted(seqs) and set(seqs) == set(range(rec.total))


def test_a_version_1_file_reads_with_seq_from_its_position(tmp_path):
    path = tmp_path / "v1.jsonl"
    path.write_text(
        '{"ts": 0.5, "thread": "main", "kind": "order.placed", "order": 1}\n'
        '{"ts": 0.75, "thread": "chef", "kind": "barrier.arrive", "barrier": "k", "gen": 0, "parties": 3}\n'
    )
    header, records = read_trace(path)
    assert header is None
    assert [(r["seq"], r["sim"], r["kind"]) for r in records] == [
        (0, 0.5, "order.placed"),
        (1, 0.75, "barrier.arrive"),
    ]


def test_an_empty_file_is_a_trace_of_nothing(tmp_path):
    (tmp_path / "e.jsonl").write_bytes(b"")
    header, records = read_trace(tmp_path / "e.jsonl")
    assert header is None and list(records) == []


_H = '{"kind": "trace.header", "format": 2, "app_version": "1", "scene": "s", "seed": 0, "config": {}}'
_R = '{{"seq": {seq}, "ts": 0.1, "sim": 0.1, "thread": "t", "kind": "k"}}'


@pytest.mark.parametrize(
    "lines,line,message",
    [
        ([_H, _R.format(seq=0), "{not json"], 3, "not JSON"),
        ([_H, "[1, 2]"], 2, "not a JSON object"),
        ([_H, _R.format(seq=0), ""], 3, "empty line"),
        ([_H, _R.format(seq=1), _R.format(seq=1)], 3, "seq 1 does not follow 1"),
        ([_H, '{"seq": 0, "ts": "soon", "sim": 0, "thread": "t", "kind": "k"}'], 2, "'ts'"),
        ([_H, '{"seq": 0, "ts": 0, "sim": 0, "kind": "k"}'], 2, "'thread'"),
        ([_H, '{"seq": 0, "ts": 0, "sim": 0, "thread": "t"}'], 2, "'kind'"),
        ([_H, '{"seq": 0, "ts": 0, "thread": "t", "kind": "k"}'], 2, "'sim'"),
        ([_H, '{"ts": 0, "sim": 0, "thread": "t", "kind": "k"}'], 2, "'seq'"),
        ([_H, _H], 2, "header may only be line 1"),
        ([_H.replace('"format": 2', '"format": 3')], 1, "format 3 is newer"),
        ([_H.replace('"format": 2', '"format": "2"')], 1, "no valid format"),
        ([_H.replace('"scene": "s", ', "")], 1, "'scene'"),
        (['{"ts": 0, "thread": "t", "kind": "k"}', _R.format(seq=1)], 2, "mixed file"),
    ],
)
def test_a_bad_file_is_refused_with_one_line_naming_file_and_line(tmp_path, lines, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(TraceFormatError) as info:
        _, records = read_trace(path)
        list(records)
    text = str(info.value)
    assert isinstance(info.value, ValueError) and "\n" not in text
    assert text.startswith(f"{path}:{line}: ") and message in text


def test_non_utf8_bytes_are_a_format_error(tmp_path):
    path = tmp_path / "bin.jsonl"
    path.write_bytes(b'{"ts": 0, "thread": "\xff", "kind": "k"}\n')
    with pytest.raises(TraceFormatError, match=r"bin.jsonl:1: not JSON"):
        read_trace(path)


def test_a_writer_called_record_by_record_batches_too(tmp_path):
    """The way a snapshot is exported: writer(rec) for each, then close()."""
    rec = TraceRecorder()
    for i in range(25):
        rec.record("tick", i=i)
    writer = JsonlWriter(tmp_path / "t.jsonl", batch=10)
    for r in rec.snapshot():
        writer(r)
    assert writer.count == 20  # two batches of ten written, five waiting
    writer.close()
    assert [r["i"] for r in read_trace(tmp_path / "t.jsonl")[1]] == list(range(25))


def test_a_batch_subscriber_that_leaves_gets_everything_made_before(tmp_path):
    rec = TraceRecorder(batch=1000)
    got: list[int] = []

    class Sink:
        def write_batch(self, records: list[dict]) -> None:
            got.extend(r["seq"] for r in records)

    leave = rec.subscribe(Sink())
    for _ in range(30):
        rec.record("tick")
    assert got == []  # fewer than a batch: still in the recorder
    leave()
    rec.record("after")
    assert got == list(range(30)) and not rec._stream


def test_the_header_takes_a_scene_config_dataclass_as_it_is():
    from app.scenes.restaurant.model import KitchenConfig

    header = trace_header("restaurant", KitchenConfig(seed=5), 5, app_version="9.9")
    config = json.loads(json.dumps(header))["config"]  # JSON-ready all the way down
    assert config["stations"] == ["appetizer", "main", "dessert"] and config["seed"] == 5
    assert config["prep_s"] == [0.6, 2.0] and isinstance(config["faults"], dict | str)
    assert header["app_version"] == "9.9"
