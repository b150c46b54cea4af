"""Trace exports that stream to disk, so a run of any length keeps memory flat.

Both writers are recorder subscribers that cost the recording thread one append: records
are kept (they are never changed once recorded) and serialised with orjson a batch at a
time, when ``batch`` of them are waiting, on ``flush()`` and on ``close()``. Memory is
bounded by the batch; nothing is dropped before ``close()``, and ``close()`` writes all.
"""

from __future__ import annotations

import io
import json
import operator
import string
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, Any, NamedTuple

import orjson

from app.trace.recorder import BATCH, Record

_NL = orjson.OPT_APPEND_NEWLINE


class Span(NamedTuple):
    """A span on a thread's track: opened by kind ``open``, closed by any kind in ``close``;
    ``label`` is formatted with the opening record's fields."""

    open: str
    close: tuple[str, ...]
    label: str


#: Every scene has these; scenes add their own.
COMMON_SPANS = (Span("barrier.arrive", ("barrier.pass", "barrier.broken"), "wait at {barrier} (gen {gen})"),)


def dumps_line(obj: Mapping[str, Any]) -> bytes:
    """One JSON object and a newline. Anything JSON has no type for is written as ``str()``."""
    try:
        return orjson.dumps(obj, default=str, option=_NL)
    except (orjson.JSONEncodeError, TypeError):
        # What orjson refuses outright (ints past 64 bits, non-str keys): the slow way.
        return (json.dumps(obj, separators=(",", ":"), default=str, ensure_ascii=False) + "\n").encode()


class _Batched:
    """What both writers share: two ways in, one lock, one close.

    Subscribed to a recorder, a writer is a batch subscriber (it has ``write_batch``): the
    recorder hands it lists of records, and ``close()`` first has each recorder it is
    subscribed to ``flush()`` the rest. Called one record at a time (``writer(rec)``, e.g.
    to export a snapshot), it keeps them in a deque (an append is atomic: no lock) and
    writes a batch when ``batch`` are waiting. Either way nothing is lost before
    ``close()``, and records after it are ignored.
    """

    def __init__(self, path: str | Path, batch: int) -> None:
        self._file: IO[bytes] = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._lock = threading.Lock()
        self._buf: deque[Record] = deque()
        self._batch = max(1, batch)
        self._closed = False
        self._recorders: list[Any] = []
        #: Records written so far (the header, if any, not counted).
        self.count = 0

    def __call__(self, rec: Record) -> None:
        if self._closed:
            return
        buf = self._buf
        buf.append(rec)
        if len(buf) >= self._batch:
            with self._lock:
                if not self._closed:
                    self._write_locked(self._take())

    def write_batch(self, records: list[Record]) -> None:
        """Write ``records`` (in order, after any received one at a time)."""
        with self._lock:
            if self._closed:
                return
            if self._buf:
                self._write_locked(self._take())
            self._write_locked(records)

    def attached(self, recorder: Any) -> None:
        """Called by ``TraceRecorder.subscribe``: ``close()`` will flush this recorder."""
        self._recorders.append(recorder)

    def _take(self) -> list[Record]:
        buf = self._buf
        pop = buf.popleft
        return [pop() for _ in range(len(buf))]

    def _write_locked(self, records: list[Record]) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        """Write every record received so far and flush the file."""
        for recorder in self._recorders:
            recorder.flush()
        with self._lock:
            if self._closed:
                return
            self._write_locked(self._take())
            self._file.flush()

    def close(self) -> None:
        """Write everything received (and still waiting in a recorder), close the file."""
        for recorder in self._recorders:
            recorder.flush()  # hands us the records it still holds
        with self._lock:
            if self._closed:
                return
            try:
                self._write_locked(self._take())
                self._file.write(self._trailer())
            finally:
                self._closed = True
                self._file.close()

    def _trailer(self) -> bytes:
        return b""

    @property
    def closed(self) -> bool:
        return self._closed


class JsonlWriter(_Batched):
    """JSON lines (docs/trace-format.md): the header, if given, then one record per line."""

    def __init__(
        self, path: str | Path, header: Mapping[str, Any] | None = None, *, batch: int = BATCH
    ) -> None:
        super().__init__(path, batch)
        if header is not None:
            self._file.write(dumps_line(header))

    def _write_locked(self, records: list[Record]) -> None:
        if not records:
            return
        # One bytes object at a time, freed at once: keeping thousands alive (a list to
        # join) makes each dumps several times slower (measured: 2.7 us vs 0.3 us a record).
        out = io.BytesIO()
        write, dumps = out.write, orjson.dumps
        for r in records:
            try:
                write(dumps(r, default=str, option=_NL))
            except (orjson.JSONEncodeError, TypeError):
                write(dumps_line(r))
        self._file.write(out.getbuffer())
        self.count += len(records)


# What a kind does in the Chrome trace.
_OTHER, _OPEN, _CLOSE, _WAIT = 0, 1, 2, 3
#: Kinds that start or end a flow arrow (docs/trace-format.md, "Flow arrows").
_FLOW_KINDS = frozenset({"barrier.arrive", "barrier.pass", "event.set", "event.wait"})
#: Released rounds kept waiting for their passes, at most (a pass that never comes, e.g. the
#: file closed mid-release, must not make memory grow on a long run).
_OPEN_ROUNDS = 1024


class ChromeTraceWriter(_Batched):
    """Chrome trace JSON (opens in Perfetto): a track per thread, spans for preparing,
    waiting at the barrier and waiting on events, instants for everything else.

    Every record is exactly one event (a span's begin ``B``, its end ``E`` or an instant
    ``i``) whose ``args`` is the whole record, ``seq`` and ``sim`` included; an end's args
    join its span's in Perfetto (a broken wait shows its ``cause`` there). The header, if
    given, is the trace's ``otherData``.

    Besides, flow arrows (a ``s``/``f`` pair each, no ``args``): from a barrier round's last
    arrival to each other thread it released, and from an ``event.set`` to each wait it
    ended. Only open rounds and waits in progress are kept for them, never history.
    """

    def __init__(
        self,
        path: str | Path,
        spans: Iterable[Span] = (),
        header: Mapping[str, Any] | None = None,
        *,
        batch: int = BATCH,
    ) -> None:
        super().__init__(path, batch)
        self._span_open: dict[str, Span] = {}
        self._span_close: dict[str, str] = {}
        for span in (*COMMON_SPANS, *spans):
            self._span_open[span.open] = span
            for kind in span.close:
                self._span_close[kind] = span.open
        self._kinds: dict[str, tuple[int, str, Any]] = {}  # kind -> (role, cat, label or span)
        self._tids: dict[str, int] = {}
        self._open: dict[str, list[str]] = {}
        self._last_ts = 0.0
        # Flow arrows. Only what is still open is kept: rounds released but not yet passed
        # by all, and the waits in progress. (barrier, gen) -> [tid, ts, passes to come];
        # event -> {waiting thread: (tid, ts) of the latest set since its wait began, or None}.
        self._rounds: dict[tuple[Any, Any], list[Any]] = {}
        self._waiting: dict[Any, dict[str, tuple[int, float] | None]] = {}
        self._flow_ids = 0
        head = b'{"displayTimeUnit":"ms",'
        if header is not None:
            head += b'"otherData":' + dumps_line(header).rstrip(b"\n") + b","
        # The process's name comes first, so every event after it starts with a comma.
        process = {"ph": "M", "pid": 1, "tid": 0, "name": "process_name", "args": {"name": "Kitchen Sync"}}
        self._file.write(head + b'"traceEvents":[\n' + dumps_line(process))

    def _classify(self, kind: str) -> tuple[int, str, Any]:
        cat = kind.split(".")[0]
        if kind in self._span_open:
            info: tuple[int, str, Any] = (_OPEN, cat, _Label(self._span_open[kind].label))
        elif kind == "event.wait":
            info = (_WAIT, cat, None)
        elif kind in self._span_close:
            info = (_CLOSE, cat, self._span_close[kind])
        else:
            info = (_OTHER, cat, None)
        self._kinds[kind] = info
        return info

    def _write_locked(self, records: list[Record]) -> None:
        if not records:
            return
        # Each event is serialised as soon as it is made and then dropped: a batch of
        # events alive at once (dicts that hold dicts) would wake the cyclic GC again and
        # again, which costs more than the serialising (measured: 3.3 us a record vs 1.5).
        out = io.BytesIO()
        w, dumps = out.write, orjson.dumps
        tids, stacks, kinds = self._tids, self._open, self._kinds
        for rec in records:
            thread, kind = rec["thread"], rec["kind"]
            tid = tids.get(thread)
            if tid is None:
                tid = tids[thread] = len(tids) + 1
                stacks[thread] = []
                w(b",")
                w(
                    dumps(
                        {"ph": "M", "pid": 1, "tid": tid, "name": "thread_name", "args": {"name": thread}},
                        option=_NL,
                    )
                )
            role, cat, extra = kinds.get(kind) or self._classify(kind)
            ts = rec["ts"] * 1e6
            if kind in _FLOW_KINDS:  # before the record's own event: an arrow ends inside its span
                self._flow(rec, kind, thread, tid, ts, w)
            if role == _OTHER:
                event = {
                    "ph": "i",
                    "s": "t",
                    "pid": 1,
                    "tid": tid,
                    "ts": ts,
                    "cat": cat,
                    "name": kind,
                    "args": rec,
                }
            elif role == _OPEN:
                stacks[thread].append(kind)
                event = {
                    "ph": "B",
                    "pid": 1,
                    "tid": tid,
                    "ts": ts,
                    "cat": cat,
                    "name": extra(rec),
                    "args": rec,
                }
            else:
                closing = extra
                if role == _WAIT:  # event.wait: begin opens a span, end closes it
                    phase = rec.get("phase")
                    closing = "wait " + str(rec.get("event"))
                    if phase == "begin":
                        stacks[thread].append(closing)
                    elif phase != "end":
                        closing = None
                stack = stacks[thread]
                if role == _WAIT and rec.get("phase") == "begin":
                    event = {
                        "ph": "B",
                        "pid": 1,
                        "tid": tid,
                        "ts": ts,
                        "cat": cat,
                        "name": closing,
                        "args": rec,
                    }
                elif closing is not None and stack and stack[-1] == closing:
                    stack.pop()
                    event = {"ph": "E", "pid": 1, "tid": tid, "ts": ts, "cat": cat, "args": rec}
                else:  # nothing of its kind is open on this thread: a moment, then
                    event = {
                        "ph": "i",
                        "s": "t",
                        "pid": 1,
                        "tid": tid,
                        "ts": ts,
                        "cat": cat,
                        "name": kind,
                        "args": rec,
                    }
            w(b",")
            try:
                w(dumps(event, default=str, option=_NL))
            except (orjson.JSONEncodeError, TypeError):
                w(dumps_line(event))
        # Records come in seq order, and ts never decreases along seq: the last is the latest.
        self._last_ts = max(self._last_ts, records[-1]["ts"] * 1e6)
        self._file.write(out.getbuffer())
        self.count += len(records)

    def _flow(
        self, rec: Record, kind: str, thread: str, tid: int, ts: float, w: Callable[[bytes], Any]
    ) -> None:
        """Keep what flow arrows need, and write an arrow (its ``s`` and ``f``) once its end
        is known: at a ``barrier.pass`` of a released round (from the round's last arrival),
        or at an ``event.wait`` that ended true (from the latest ``event.set`` since it began).
        """
        if kind == "event.wait":
            phase = rec.get("phase")
            name = rec.get("event")
            if phase == "begin":
                self._waiting.setdefault(name, {})[thread] = None
            elif phase == "end":
                waiters = self._waiting.get(name)
                source = waiters.pop(thread, None) if waiters is not None else None
                if waiters is not None and not waiters:
                    del self._waiting[name]
                if source is not None and rec.get("result") is True:
                    self._arrow("event", "set " + str(name), source, tid, ts, w)
        elif kind == "event.set":
            waiters = self._waiting.get(rec.get("event"))
            if waiters:
                for waiter in waiters:
                    if waiter != thread:
                        waiters[waiter] = (tid, ts)
        elif kind == "barrier.arrive":
            parties = rec.get("parties")
            if parties is not None and parties > 1 and rec.get("index") == parties - 1:
                rounds = self._rounds
                if len(rounds) >= _OPEN_ROUNDS:  # passes that will never come: forget the oldest
                    del rounds[next(iter(rounds))]
                rounds[(rec.get("barrier"), rec.get("gen"))] = [tid, ts, parties - 1]
        else:  # barrier.pass
            key = (rec.get("barrier"), rec.get("gen"))
            released = self._rounds.get(key)
            if released is not None and released[0] != tid:
                self._arrow("barrier", "release " + str(key[0]), (released[0], released[1]), tid, ts, w)
                released[2] -= 1
                if released[2] <= 0:
                    del self._rounds[key]

    def _arrow(
        self, cat: str, name: str, source: tuple[int, float], tid: int, ts: float, w: Callable[[bytes], Any]
    ) -> None:
        """One flow arrow: ``s`` at the source (bound to the slice open there: the last
        arrival's wait, or the set instant), ``f`` at the end, bound (``bp: "e"``) to the
        span the end closes (the released wait), so it is written before that span's ``E``."""
        self._flow_ids += 1
        fid = self._flow_ids
        w(b",")
        w(
            orjson.dumps(
                {"ph": "s", "id": fid, "pid": 1, "tid": source[0], "ts": source[1], "cat": cat, "name": name},
                option=_NL,
            )
        )
        w(b",")
        w(
            orjson.dumps(
                {"ph": "f", "bp": "e", "id": fid, "pid": 1, "tid": tid, "ts": ts, "cat": cat, "name": name},
                option=_NL,
            )
        )

    def _trailer(self) -> bytes:
        """End the spans still open at the last timestamp, then the array and the object."""
        ends = b"".join(
            b"," + dumps_line({"ph": "E", "pid": 1, "tid": self._tids[thread], "ts": self._last_ts})
            for thread, stack in self._open.items()
            for _ in stack
        )
        self._open.clear()
        return ends + b"]}\n"


class _Label:
    """A span label, ``"wait at {barrier} (gen {gen})"``, compiled to %-formatting (three
    times as fast as ``str.format``); a template it cannot compile is formatted as such."""

    def __init__(self, template: str) -> None:
        self.template = template
        self._fmt = ""
        self._one = ""
        self._get: Callable[[Record], tuple[Any, ...]] | None = None
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError:
            return
        pieces, fields = [], []
        for literal, field, spec, conversion in parsed:
            pieces.append(literal.replace("%", "%%"))
            if field is None:
                continue
            if spec or conversion or not field.isidentifier():
                return  # the general way
            pieces.append("%s")
            fields.append(field)
        self._fmt = "".join(pieces)
        if len(fields) == 1:
            self._one = fields[0]
        elif fields:
            self._get = operator.itemgetter(*fields)

    def __call__(self, rec: Record) -> str:
        try:
            if self._one:
                return self._fmt % (rec[self._one],)
            if self._get is not None:
                return self._fmt % self._get(rec)
            return self.template.format_map(rec)
        except (KeyError, IndexError, ValueError):
            return self.template
