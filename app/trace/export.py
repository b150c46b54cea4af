"""Trace exports that stream to disk, so a run of any length keeps memory flat."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, NamedTuple

from app.trace.recorder import Record


class Span(NamedTuple):
    """A span on a thread's track: opened by kind ``open``, closed by any kind in ``close``;
    ``label`` is formatted with the opening record's fields."""

    open: str
    close: tuple[str, ...]
    label: str


#: Every scene has these; scenes add their own.
COMMON_SPANS = (Span("barrier.arrive", ("barrier.pass", "barrier.broken"), "wait at {barrier} (gen {gen})"),)


class JsonlWriter:
    """One JSON object per line, in the format of DESIGN.md."""

    def __init__(self, path: str | Path) -> None:
        self._file: IO[str] = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._lock = threading.Lock()
        self.count = 0

    def __call__(self, rec: Record) -> None:
        line = json.dumps(rec, separators=(",", ":"), default=str)
        with self._lock:
            if not self._file.closed:
                self._file.write(line + "\n")
                self.count += 1

    def close(self) -> None:
        with self._lock:
            self._file.close()


class ChromeTraceWriter:
    """Chrome trace JSON (opens in Perfetto): a track per thread, spans for preparing,
    waiting at the barrier and waiting on events, instants for everything else."""

    def __init__(self, path: str | Path, spans: Iterable[Span] = ()) -> None:
        self._file: IO[str] = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._lock = threading.Lock()
        self._span_open: dict[str, Span] = {}
        self._span_close: dict[str, str] = {}
        for span in (*COMMON_SPANS, *spans):
            self._span_open[span.open] = span
            for kind in span.close:
                self._span_close[kind] = span.open
        self._tids: dict[str, int] = {}
        self._open: dict[str, list[str]] = {}
        self._first = True
        self._last_ts = 0.0
        self._file.write('{"displayTimeUnit":"ms","traceEvents":[\n')

    def _emit(self, event: dict[str, Any]) -> None:
        self._file.write(("" if self._first else ",\n") + json.dumps(event, default=str))
        self._first = False

    def _tid(self, thread: str) -> int:
        tid = self._tids.get(thread)
        if tid is None:
            tid = self._tids[thread] = len(self._tids) + 1
            self._emit({"ph": "M", "pid": 1, "tid": tid, "name": "thread_name", "args": {"name": thread}})
        return tid

    def __call__(self, rec: Record) -> None:
        with self._lock:
            if self._file.closed:
                return
            thread, kind = rec["thread"], rec["kind"]
            ts = rec["ts"] * 1e6
            self._last_ts = max(self._last_ts, ts)
            tid = self._tid(thread)
            args = {k: v for k, v in rec.items() if k not in ("ts", "thread", "kind")}
            base = {"pid": 1, "tid": tid, "ts": ts, "cat": kind.split(".")[0], "args": args}
            stack = self._open.setdefault(thread, [])
            opening = self._span_open.get(kind)
            if opening is not None:
                stack.append(kind)
                self._emit({**base, "ph": "B", "name": _label(opening.label, rec)})
                return
            if kind == "event.wait" and rec.get("phase") == "begin":
                stack.append("wait " + str(rec.get("event")))
                self._emit({**base, "ph": "B", "name": stack[-1]})
                return
            closing = self._span_close.get(kind)
            if kind == "event.wait" and rec.get("phase") == "end":
                closing = "wait " + str(rec.get("event"))
            if closing is not None and stack and stack[-1] == closing:
                stack.pop()
                self._emit({**base, "ph": "E"})
                if not kind.startswith(("barrier.", "event.")):
                    return  # a scene's own span end says nothing more than the span
            self._emit({**base, "ph": "i", "s": "t", "name": kind})

    def close(self) -> None:
        with self._lock:
            if self._file.closed:
                return
            for thread, stack in self._open.items():
                for _ in stack:
                    self._emit({"pid": 1, "tid": self._tids[thread], "ts": self._last_ts, "ph": "E"})
            self._open.clear()
            self._file.write("\n]}\n")
            self._file.close()


def _label(template: str, rec: Record) -> str:
    try:
        return template.format(**rec)
    except (KeyError, IndexError, ValueError):
        return template
