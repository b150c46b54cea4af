"""Trace exports that stream to disk, so a run of any length keeps memory flat."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import IO, Any

from app.trace.recorder import Record

# Kinds that open and close a span on the thread's track in Chrome trace / Perfetto.
_SPAN_OPEN = {"part.started": "prepare", "barrier.arrive": "barrier"}
_SPAN_CLOSE = {"part.done": "prepare", "barrier.pass": "barrier", "barrier.broken": "barrier"}


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

    def __init__(self, path: str | Path) -> None:
        self._file: IO[str] = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._lock = threading.Lock()
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
            span = _SPAN_OPEN.get(kind)
            if kind == "event.wait" and rec.get("phase") == "begin":
                span = "wait " + str(rec.get("event"))
            if span is not None:
                stack.append(span)
                self._emit({**base, "ph": "B", "name": self._label(span, rec)})
                return
            closing = _SPAN_CLOSE.get(kind)
            if kind == "event.wait" and rec.get("phase") == "end":
                closing = "wait " + str(rec.get("event"))
            if closing is not None and stack and stack[-1] == closing:
                stack.pop()
                self._emit({**base, "ph": "E"})
                if kind == "part.done":
                    return
            self._emit({**base, "ph": "i", "s": "t", "name": kind})

    @staticmethod
    def _label(span: str, rec: Record) -> str:
        if span == "prepare":
            return f"prepare order {rec.get('order')}"
        if span == "barrier":
            return f"wait at {rec.get('barrier')} (gen {rec.get('gen')})"
        return span

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
