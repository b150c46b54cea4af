"""A drop-in ``threading.Barrier`` that records every arrival, pass, break and reset.

Same constructor, methods, properties and exceptions as ``threading.Barrier`` (the state
machine follows CPython 3.11's), with two corrections:

* ``Barrier(0)`` (or fewer) raises ``ValueError``; CPython hangs forever (gh-121474).
* A waiter whose round was already released passes, even if ``abort()`` lands before it
  wakes; CPython can break such a waiter, so one round both passes and breaks.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from threading import BrokenBarrierError

from app.sync import control
from app.trace.recorder import TraceRecorder, default_recorder

_FILLING, _DRAINING, _RESETTING, _BROKEN = 0, 1, -1, -2
_names = itertools.count(1)


class Barrier:
    """``threading.Barrier`` with a trace; ``name`` and ``recorder`` are keyword-only extras."""

    def __init__(
        self,
        parties: int,
        action: Callable[[], object] | None = None,
        timeout: float | None = None,
        *,
        name: str | None = None,
        recorder: TraceRecorder | None = None,
    ) -> None:
        if not isinstance(parties, int) or isinstance(parties, bool):
            raise TypeError(f"parties must be an int, not {type(parties).__name__}")
        if parties < 1:
            raise ValueError(f"parties must be at least 1, got {parties}")
        self._action = action
        self._timeout = timeout
        self._parties = parties
        self._state = _FILLING
        self._count = 0
        self._trips = 0  # rounds released; a waiter passes once this moves past its own
        self._gen = 0  # round number in the trace: moves on release and on reset
        self._cause = ""
        self.name = name or f"barrier-{next(_names)}"
        recorder = recorder or default_recorder()
        label = f"barrier:{self.name}"
        self._cond = control.condition(control.lock(recorder, label), recorder, label)
        self._rec = recorder.record
        self._emit = recorder.emit  # the hot path: arrive and pass, as literal dicts

    def __repr__(self) -> str:
        state = "broken" if self.broken else f"waiters={self.n_waiting}/{self._parties}"
        return f"<Barrier {self.name!r} {state} gen={self._gen}>"

    def wait(self, timeout: float | None = None) -> int:
        """Wait for all parties; returns the arrival index (0 first, ``parties - 1`` last)."""
        if timeout is None:
            timeout = self._timeout
        rec = self._rec
        with self._cond:
            while self._state in (_DRAINING, _RESETTING):
                self._cond.wait()
            if self._state == _BROKEN:
                rec(
                    "barrier.broken",
                    barrier=self.name,
                    gen=self._gen,
                    parties=self._parties,
                    cause=self._cause,
                    breaker=False,
                )
                raise BrokenBarrierError
            index = self._count
            gen = self._gen
            trip = self._trips
            self._count += 1
            self._emit(
                {
                    "seq": 0,
                    "ts": 0.0,
                    "sim": 0.0,
                    "thread": "",
                    "kind": "barrier.arrive",
                    "barrier": self.name,
                    "gen": gen,
                    "parties": self._parties,
                    "index": index,
                    "timeout": timeout,
                }
            )
            try:
                if index + 1 == self._parties:
                    self._release(gen)
                else:
                    self._wait(timeout, gen, trip)
            finally:
                self._count -= 1
                self._exit()
        self._emit(
            {
                "seq": 0,
                "ts": 0.0,
                "sim": 0.0,
                "thread": "",
                "kind": "barrier.pass",
                "barrier": self.name,
                "gen": gen,
                "parties": self._parties,
                "index": index,
            }
        )
        return index

    def _release(self, gen: int) -> None:
        try:
            if self._action:
                self._action()
        except BaseException:
            self._break("action")
            self._rec(
                "barrier.broken",
                barrier=self.name,
                gen=gen,
                parties=self._parties,
                cause="action",
                breaker=True,
            )
            raise
        self._state = _DRAINING
        self._trips += 1
        self._gen += 1
        self._cond.notify_all()

    def _wait(self, timeout: float | None, gen: int, trip: int) -> None:
        released = self._cond.wait_for(lambda: self._trips != trip or self._state < 0, timeout)
        if self._trips != trip:
            return
        if not released:
            self._break("timeout")
            cause, breaker = "timeout", True
        else:
            cause, breaker = self._cause, False
        self._rec(
            "barrier.broken", barrier=self.name, gen=gen, parties=self._parties, cause=cause, breaker=breaker
        )
        raise BrokenBarrierError

    def _exit(self) -> None:
        if self._count == 0 and self._state in (_RESETTING, _DRAINING):
            self._state = _FILLING
            self._cond.notify_all()

    def _break(self, cause: str) -> None:
        self._state = _BROKEN
        self._cause = cause
        self._cond.notify_all()

    def reset(self) -> None:
        """Return to the empty state; threads still waiting get ``BrokenBarrierError``."""
        with self._cond:
            if self._count > 0:
                if self._state in (_FILLING, _BROKEN):
                    self._state = _RESETTING
                    self._cause = "reset"
            else:
                self._state = _FILLING
            self._gen += 1
            self._rec("barrier.reset", barrier=self.name, gen=self._gen, parties=self._parties)
            self._cond.notify_all()

    def abort(self) -> None:
        """Break the barrier: current and future waiters get ``BrokenBarrierError``."""
        with self._cond:
            if self._state == _BROKEN:
                return
            self._break("abort")
            self._rec(
                "barrier.broken",
                barrier=self.name,
                gen=self._gen,
                parties=self._parties,
                cause="abort",
                breaker=True,
                waiting=self._count,
            )

    @property
    def parties(self) -> int:
        return self._parties

    @property
    def n_waiting(self) -> int:
        if self._state == _FILLING:
            return self._count
        return 0

    @property
    def broken(self) -> bool:
        return self._state == _BROKEN

    @property
    def generation(self) -> int:
        """The round number recorded in the trace (an extra over ``threading``)."""
        return self._gen


__all__ = ["Barrier", "BrokenBarrierError"]
