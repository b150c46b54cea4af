"""A drop-in ``threading.Event`` that records every set, clear and wait."""

from __future__ import annotations

import itertools

from app.sync import control
from app.trace.recorder import TraceRecorder, default_recorder

_names = itertools.count(1)


class Event:
    """``threading.Event`` with a trace; ``name`` and ``recorder`` are keyword-only extras.

    ``event.wait`` is recorded twice: ``phase="begin"`` and ``phase="end"`` with the result,
    so a view can show how long a thread waited and whether it timed out.
    """

    def __init__(self, *, name: str | None = None, recorder: TraceRecorder | None = None) -> None:
        self.name = name or f"event-{next(_names)}"
        recorder = recorder or default_recorder()
        # A plain threading.Event in free mode; the scheduler's when the run is controlled.
        self._event = control.flag(recorder, f"event:{self.name}")
        self._emit = recorder.emit  # literal dicts: the cheapest way in

    def __repr__(self) -> str:
        return f"<Event {self.name!r} {'set' if self._event.is_set() else 'unset'}>"

    def is_set(self) -> bool:
        return self._event.is_set()

    isSet = is_set  # noqa: N815 - the deprecated alias threading still has

    def set(self) -> None:
        # Recorded before the flag goes up, so no waiter it wakes can record its wake-up first.
        self._emit({"seq": 0, "ts": 0.0, "sim": 0.0, "thread": "", "kind": "event.set", "event": self.name})
        self._event.set()

    def clear(self) -> None:
        self._event.clear()
        self._emit({"seq": 0, "ts": 0.0, "sim": 0.0, "thread": "", "kind": "event.clear", "event": self.name})

    def wait(self, timeout: float | None = None) -> bool:
        """Block until set or ``timeout``; returns at once if already set (nothing is missed)."""
        if self._event.is_set():
            # Fast path: no block, so no begin/end pair; one record says it did not wait.
            self._wait_record("instant", "result", True)
            return True
        self._wait_record("begin", "timeout", timeout)
        result = self._event.wait(timeout)
        self._wait_record("end", "result", result)
        return result

    def _wait_record(self, phase: str, key: str, value: object) -> None:
        self._emit(
            {
                "seq": 0,
                "ts": 0.0,
                "sim": 0.0,
                "thread": "",
                "kind": "event.wait",
                "event": self.name,
                "phase": phase,
                key: value,
            }
        )


__all__ = ["Event"]
