"""The trace: every wait, arrival, release, break, set and clear, as plain records.

Records are dicts ``{"seq", "ts", "sim", "thread", "kind", ...}`` (format 2, described in
docs/trace-format.md). Recording is on the hot path of every barrier crossing, so it costs
one dict, and a short critical section only while someone subscribes.

Ordering. ``seq`` comes from one atomic counter. While there are subscribers, ``seq`` is
taken, ``ts`` and ``sim`` are read and the record is queued under one lock, so every
subscriber sees every record once, in strictly increasing ``seq`` order, with ``ts`` and
``sim`` never decreasing along it. Delivery goes through a queue that only one thread at a
time drains (whichever recording thread finds it free): no recording thread ever waits for
another thread's subscriber (unless the queue is very far behind: then it helps drain).
With no subscriber (a headless run without a trace file) no lock is taken at all: threads
racing may append to the ring a hair out of ``seq`` order, so ``snapshot()`` sorts by it
(measured: a lock there costs traced barriers at 8 and 32 parties about 12% throughput).
"""

from __future__ import annotations

import operator
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

Record = dict[str, Any]
Subscriber = Callable[[Record], None]
BatchSubscriber = Callable[[list[Record]], None]

_local = threading.local()
_now = time.perf_counter
_get_ident = threading.get_ident
_by_seq = operator.itemgetter("seq")
#: Records waiting for delivery beyond which a recording thread stops and helps deliver,
#: so a slow subscriber bounds memory instead of letting the queue grow without end.
_BACKLOG = 10_000
#: Records a batch subscriber (an export) is handed at a time, at least; fewer on flush().
BATCH = 4096


def bind_thread_name(name: str) -> None:
    """Name the calling thread in the trace (QThreads have no useful Python name)."""
    _local.name = name


def thread_name() -> str:
    """The trace name of the calling thread."""
    try:
        name: str = _local.name
        return name
    except AttributeError:
        name = threading.current_thread().name
        _local.name = name
        return name


class TraceRecorder:
    """Thread-safe, memory-bounded recorder that fans records out to subscribers.

    The ring keeps the newest ``capacity`` records for views and tests; exports that must
    keep everything subscribe and stream to disk, so memory stays flat on long runs.
    Records are never changed once recorded: subscribers may keep them and read them later.
    """

    def __init__(self, capacity: int = 100_000, *, batch: int = BATCH) -> None:
        self._ring: deque[Record] = deque(maxlen=capacity)
        self._subscribers: tuple[Subscriber, ...] = ()
        self._sub_lock = threading.Lock()
        self._lock = threading.Lock()  # seq, ts, sim and the ring: one order for all
        self._pending: deque[Record] = deque()  # recorded, not yet delivered, in seq order
        self._token = threading.Lock()  # held by the one thread delivering
        self._deliverer = 0
        # Batch subscribers (exports): records wait in the stream, handed over a batch at a
        # time under their own token, so an export costs a recording thread one append.
        self._batchers: tuple[BatchSubscriber, ...] = ()
        self._stream: deque[Record] = deque()
        self._stream_token = threading.Lock()
        self._streamer = 0
        self._fanout = False  # any subscriber of either kind
        #: Records handed to batch subscribers at a time (at least; fewer on ``flush()``).
        self.batch = max(1, batch)
        self._t0 = _now()
        # next() on a range iterator is one atomic step under the GIL; what is left of the
        # range (its length hint) tells how many were taken.
        self._seqs = iter(range(sys.maxsize))
        # sim = s0 + (ts - a) * rate: a line through (a, s0); a SimClock moves it.
        self._sim = (0.0, 0.0, 1.0)
        self.capacity = capacity
        #: The run's ``app.sync.control.Scheduler`` in controlled mode (None: free mode). It
        #: rides on the recorder because every primitive of a run is handed the recorder.
        self.scheduler: Any = None

    def record(self, kind: str, **fields: Any) -> Record:
        """Record ``kind`` with ``fields``; returns the record (with seq, ts, sim, thread)."""
        try:
            name = _local.name
        except AttributeError:
            name = thread_name()
        if not self._fanout:
            # No subscriber: no lock. Hot path: inline, and the dict made in one go.
            t = _now() - self._t0
            a, s0, rate = self._sim
            rec: Record = {
                "seq": next(self._seqs),
                "ts": t,
                "sim": s0 + (t - a) * rate,
                "thread": name,
                "kind": kind,
                **fields,
            }
            self._ring.append(rec)
            return rec
        with self._lock:
            t = _now() - self._t0
            a, s0, rate = self._sim
            rec = {
                "seq": next(self._seqs),
                "ts": t,
                "sim": s0 + (t - a) * rate,
                "thread": name,
                "kind": kind,
                **fields,
            }
            self._ring.append(rec)
            if self._subscribers:
                self._pending.append(rec)
            if self._batchers:
                self._stream.append(rec)
        if self._pending:
            self._deliver()
        if len(self._stream) >= self.batch:
            self._drain()
        return rec

    def emit(self, rec: Record) -> Record:
        """Record a dict the caller built: ``{"seq": 0, "ts": 0.0, "sim": 0.0, "thread": "",
        "kind": KIND, **fields}`` (the placeholders keep the common fields first).

        The cheapest way in (no keyword arguments, no second dict): for the primitives' hot
        paths. The dict must be fresh: the recorder owns it from now on. ``seq``, ``ts`` and
        ``sim`` are filled in; ``thread`` too when it is empty.
        """
        if not rec["thread"]:
            try:
                rec["thread"] = _local.name
            except AttributeError:
                rec["thread"] = thread_name()
        if not self._fanout:  # no subscriber: no lock (see the module's docstring)
            t = _now() - self._t0
            a, s0, rate = self._sim
            rec["seq"] = next(self._seqs)
            rec["ts"] = t
            rec["sim"] = s0 + (t - a) * rate
            self._ring.append(rec)
            return rec
        with self._lock:
            t = _now() - self._t0
            a, s0, rate = self._sim
            rec["seq"] = next(self._seqs)
            rec["ts"] = t
            rec["sim"] = s0 + (t - a) * rate
            self._ring.append(rec)
            if self._subscribers:
                self._pending.append(rec)
            if self._batchers:
                self._stream.append(rec)
        if self._pending:
            self._deliver()
        if len(self._stream) >= self.batch:
            self._drain()
        return rec

    def _deliver(self, wait: bool = False) -> None:
        """Hand pending records to the subscribers, unless another thread already is."""
        pending, token = self._pending, self._token
        while pending:
            if not token.acquire(False):
                # Someone else is delivering and will see our record before it lets go.
                if not wait and (len(pending) < _BACKLOG or self._deliverer == _get_ident()):
                    return
                token.acquire()  # far behind (or asked to wait): wait our turn, then help
            self._deliverer = _get_ident()
            try:
                while pending:
                    rec = pending.popleft()
                    for sub in self._subscribers:
                        sub(rec)
            finally:
                self._deliverer = 0
                token.release()
            # Re-check after letting go: a record queued meanwhile is ours to deliver.

    def _drain(self, wait: bool = False) -> None:
        """Hand the stream to the batch subscribers once a batch is there (all on ``wait``)."""
        stream, token = self._stream, self._stream_token
        while len(stream) >= self.batch or (wait and stream):
            if not token.acquire(False):
                if not wait and (len(stream) < 4 * self.batch or self._streamer == _get_ident()):
                    return  # the holder takes what we queued before it lets go
                token.acquire()
            self._streamer = _get_ident()
            try:
                while len(stream) >= self.batch or (wait and stream):
                    pop = stream.popleft
                    chunk = [pop() for _ in range(len(stream))]
                    for batcher in self._batchers:
                        batcher(chunk)
            finally:
                self._streamer = 0
                token.release()

    def flush(self) -> None:
        """Block until every record made so far has reached every subscriber, batch
        subscribers included (they get what is left, however few).

        Exports call it when they close. Must not be called from inside a subscriber.
        """
        self._deliver(wait=True)
        self._drain(wait=True)

    def now(self) -> float:
        """The current time on the records' ``ts`` scale."""
        return _now() - self._t0

    def set_sim_time(self, sim: float, rate: float) -> None:
        """From now on, records carry ``sim = sim + (ts - now) * rate``.

        A ``SimClock`` calls this when it is made and on every speed change; without one,
        ``sim`` equals ``ts``. ``sim`` never goes backwards along ``seq``: a jump back is
        clamped to where the old line had got to.
        """
        with self._lock:
            t = _now() - self._t0
            a, s0, old_rate = self._sim
            self._sim = (t, max(sim, s0 + (t - a) * old_rate), rate)

    def hold_sim_time(self, sim: float) -> None:
        """From now on, records carry exactly ``sim`` (until the next call): the clock of a
        controlled run, where simulated time moves only in steps the scheduler takes."""
        with self._lock:
            self._sim = (0.0, sim, 0.0)

    def sim_now(self) -> float:
        """The current simulated time, as the next record would carry it."""
        a, s0, rate = self._sim
        return s0 + (self.now() - a) * rate

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber(record)`` for every record from now on; returns an unsubscribe.

        Subscribers are called one at a time, in ``seq`` order, by whichever recording
        thread is delivering (not always the one that made the record), with no lock of the
        recorder held: a subscriber may record (its record is delivered after the current
        one). An exception in a subscriber propagates to the thread delivering.

        A subscriber with a ``write_batch(records)`` method (the exports) is a *batch
        subscriber*: instead of one call per record it gets lists of at least ``batch``
        records, in ``seq`` order, from whichever recording thread fills the batch, and the
        rest on ``flush()``; if it has ``attached(recorder)``, that is called first, so it
        can ``flush()`` when it closes. Recording then costs one append for all of them.
        """
        batch = getattr(subscriber, "write_batch", None)
        if callable(batch):
            return self._subscribe_batches(subscriber, batch)
        with self._sub_lock:
            self._subscribers = (*self._subscribers, subscriber)
            self._fanout = True

        def unsubscribe() -> None:
            with self._sub_lock:
                self._subscribers = tuple(s for s in self._subscribers if s is not subscriber)
                self._fanout = bool(self._subscribers or self._batchers)

        return unsubscribe

    def _subscribe_batches(self, subscriber: object, batch: BatchSubscriber) -> Callable[[], None]:
        with self._sub_lock:
            self._batchers = (*self._batchers, batch)
            self._fanout = True
        attached = getattr(subscriber, "attached", None)
        if callable(attached):
            attached(self)  # so its close() can flush() what is still in the stream

        def unsubscribe() -> None:
            self._drain(wait=True)  # it gets everything made before it left
            with self._sub_lock:
                self._batchers = tuple(b for b in self._batchers if b is not batch)
                self._fanout = bool(self._subscribers or self._batchers)
            if not self._batchers:
                with self._lock:
                    self._stream.clear()  # nobody left to hand them to

        return unsubscribe

    @property
    def total(self) -> int:
        """How many records were ever made (the ring may hold fewer): the next ``seq``."""
        return sys.maxsize - operator.length_hint(self._seqs)

    def snapshot(self) -> list[Record]:
        """The records the ring holds, in ``seq`` order."""
        with self._lock:
            records = list(self._ring)
        records.sort(key=_by_seq)  # already in order, or a hair out: next to free
        return records

    def __iter__(self) -> Iterator[Record]:
        return iter(self.snapshot())

    def of_kind(self, *kinds: str) -> list[Record]:
        return [r for r in self.snapshot() if r["kind"] in kinds]


_default = TraceRecorder()


def default_recorder() -> TraceRecorder:
    """The recorder used by primitives created without ``recorder=``."""
    return _default


def set_default_recorder(recorder: TraceRecorder) -> TraceRecorder:
    """Swap the default recorder; returns the previous one so callers can restore it."""
    global _default
    previous, _default = _default, recorder
    return previous
