"""The trace: every wait, arrival, release, break, set and clear, as plain records.

Records are dicts ``{"ts", "thread", "kind", ...}`` (the JSONL format of DESIGN.md).
Recording is on the hot path of every barrier crossing, so it is an append to a bounded
deque (atomic under the GIL) plus a call per subscriber; no lock is taken.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

Record = dict[str, Any]
Subscriber = Callable[[Record], None]

_local = threading.local()
_now = time.perf_counter


def bind_thread_name(name: str) -> None:
    """Name the calling thread in the trace (QThreads have no useful Python name)."""
    _local.name = name


def thread_name() -> str:
    """The trace name of the calling thread."""
    try:
        return _local.name  # type: ignore[no-any-return]
    except AttributeError:
        name = threading.current_thread().name
        _local.name = name
        return name


class TraceRecorder:
    """Thread-safe, memory-bounded recorder that fans records out to subscribers.

    The ring keeps the newest ``capacity`` records for views and tests; exports that must
    keep everything subscribe and stream to disk, so memory stays flat on long runs.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        self._ring: deque[Record] = deque(maxlen=capacity)
        self._subscribers: tuple[Subscriber, ...] = ()
        self._sub_lock = threading.Lock()
        self._t0 = time.perf_counter()
        self._count = itertools.count()
        self.capacity = capacity

    def record(self, kind: str, **fields: Any) -> Record:
        # Hot path (every barrier crossing): one dict, no lock, no rounding.
        try:
            name = _local.name
        except AttributeError:
            name = thread_name()
        rec: Record = {"ts": _now() - self._t0, "thread": name, "kind": kind, **fields}
        self._ring.append(rec)
        next(self._count)
        for sub in self._subscribers:
            sub(rec)
        return rec

    def now(self) -> float:
        """The current time on the records' ``ts`` scale."""
        return _now() - self._t0

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber(record)`` in the recording thread; returns an unsubscribe."""
        with self._sub_lock:
            self._subscribers = (*self._subscribers, subscriber)

        def unsubscribe() -> None:
            with self._sub_lock:
                self._subscribers = tuple(s for s in self._subscribers if s is not subscriber)

        return unsubscribe

    @property
    def total(self) -> int:
        """How many records were ever made (the ring may hold fewer)."""
        # itertools.count has no peek; copying it reads the next value without advancing.
        return int(repr(self._count)[6:-1])

    def snapshot(self) -> list[Record]:
        return list(self._ring)

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
