"""The system state machine: only legal transitions, one Event per state, waits without polling."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from app.sync import Event, control
from app.trace.recorder import TraceRecorder

INITIALIZING, READY, PROCESSING, ERROR, SHUTDOWN = "INITIALIZING", "READY", "PROCESSING", "ERROR", "SHUTDOWN"
STATES = (INITIALIZING, READY, PROCESSING, ERROR, SHUTDOWN)

LEGAL: dict[str, frozenset[str]] = {
    INITIALIZING: frozenset({READY, ERROR, SHUTDOWN}),
    READY: frozenset({PROCESSING, ERROR, SHUTDOWN}),
    PROCESSING: frozenset({ERROR, SHUTDOWN}),
    ERROR: frozenset({INITIALIZING, SHUTDOWN}),
    SHUTDOWN: frozenset(),
}


class IllegalTransition(Exception):
    """A transition the machine does not allow, e.g. SHUTDOWN -> READY."""


class StateMachine:
    """Exactly one state's Event is set at a time; ``cond`` wakes every waiter on any change.

    The Events are there for code (and views) that care about one state; code that waits for
    *any* of several states, or a state plus some other condition, waits on ``cond`` with a
    predicate, which a transition (or ``notify``) wakes at once: no polling.

    Time spent in each state is added up at every transition, so a summary never has to
    read it back from the trace (whose ring forgets the oldest records on long runs).

    ``lock`` comes from ``control.rlock`` (the recorder's run decides: plain in free mode,
    the scheduler's in controlled mode), and so does the condition over it.
    """

    def __init__(
        self,
        recorder: TraceRecorder,
        lock: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        lock = lock if lock is not None else control.rlock(recorder, "lock:state")
        self.cond = control.condition(lock, recorder, "cond:state")
        self._rec = recorder.record
        self._now = clock
        self.events = {s: Event(name=s, recorder=recorder) for s in STATES}
        self.state = INITIALIZING
        self.visited: list[str] = [INITIALIZING]
        self._spent: dict[str, float] = dict.fromkeys(STATES, 0.0)
        self._entered = clock()
        self.events[INITIALIZING].set()

    def can(self, to: str) -> bool:
        return to in LEGAL[self.state]

    def transition(self, to: str, reason: str = "") -> None:
        with self.cond:
            if to not in LEGAL[self.state]:
                raise IllegalTransition(f"{self.state} -> {to} is not allowed")
            now = self._now()
            self._spent[self.state] += now - self._entered
            old, self.state, self._entered = self.state, to, now
            self.events[old].clear()
            self.events[to].set()
            self.visited.append(to)
            self._rec("state.changed", **{"from": old, "to": to, "reason": reason})
            self.cond.notify_all()

    def notify(self) -> None:
        with self.cond:
            self.cond.notify_all()

    def wait_until(self, predicate: Callable[[], bool], timeout: float | None = None, what: str = "") -> bool:
        """Block until ``predicate()`` (checked under the lock) holds; recorded as a wait."""
        with self.cond:
            if predicate():
                return True
            self._rec("event.wait", event=what or "state", phase="begin", timeout=timeout)
            ok = self.cond.wait_for(predicate, timeout)
            self._rec("event.wait", event=what or "state", phase="end", result=ok)
            return ok

    def in_states(self, states: Iterable[str]) -> bool:
        return self.state in set(states)

    def time_in_states(self) -> dict[str, float]:
        """Seconds spent in each state so far (the current one up to now; SHUTDOWN is where
        the machine ends, so time after it is not counted)."""
        with self.cond:
            spent = dict(self._spent)
            if self.state != SHUTDOWN:
                spent[self.state] += self._now() - self._entered
        return spent
