"""The step gate: how the lab forces an interleaving instead of hoping for one.

An experiment's threads call ``step("name")`` at the points that matter ("the queue looked
empty", "the part is on the plate"). An ``Interleaving`` is a list of ``Edge``s, each "this
thread may not pass that step until that other point has been reached", and the gate holds
a thread at a step until its edges are met. A point is a step, ``WAITS`` (the thread has
begun a blocking wait on a traced barrier or event: it is really waiting, not about to) or
``ENDED`` (its role has returned). ``n`` counts the times: ``Point("worker", "checked", 2)``
is the worker's second check. ``ANY`` counts a step over all threads.

A right variant may make a forced order impossible: that is what makes it right (the lock
is held across the check and the clear, the action runs before anyone is released). The
gate sees this, without timing: when every other thread of the run has ended, is held at
the gate, is blocked for good on a traced wait, or waits for a lab lock, nothing can reach
the point any more, so it gives the edge up (``lab.release`` with ``forced=False``) and lets
the thread go on.

In controlled mode (the run's recorder carries a scheduler) a step is a named scheduling
point (``control.step``), and a held thread is a task the scheduler holds: it waits, in
simulated time, with "its edges are met, or nothing else can reach them" as what it waits
for, so the strategy never picks it before then. No condition variable, no wall-clock bound:
the forced interleaving is a schedule the scheduler runs, the same one every time.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from app.engine.clock import ShutdownRequested, SimClock
from app.engine.waits import WaitFold
from app.sync import control
from app.trace.recorder import Record, TraceRecorder, thread_name

ANY = "*"
WAITS = "<waits>"
ENDED = "<ended>"

_local = threading.local()


class RunEnded(Exception):
    """Raised in a thread of a run the lab has already judged (e.g. a deadlock it named)."""


@dataclass(frozen=True)
class Point:
    role: str  # a role's name, or ANY
    at: str  # a step's name, WAITS or ENDED
    n: int = 1

    def __str__(self) -> str:
        what = {WAITS: "waits", ENDED: "has ended"}.get(self.at, f"reaches '{self.at}'")
        who = "a thread" if self.role == ANY else self.role
        nth = f" (time {self.n})" if self.n > 1 else ""
        return f"{who} {what}{nth}"


@dataclass(frozen=True)
class Edge:
    """``then`` may not pass until ``first`` has been reached."""

    first: Point
    then: Point

    def __str__(self) -> str:
        return f"{self.then} only after {self.first}"


@dataclass(frozen=True)
class Interleaving:
    name: str
    says: str  # what it forces, in one line a student reads
    edges: tuple[Edge, ...] = ()


def step(name: str) -> None:
    """A point an interleaving may hold this thread at (does nothing outside the lab)."""
    gate: Gate | None = getattr(_local, "gate", None)
    if gate is not None:
        gate.step(name, sys._getframe(1).f_lineno)


class Gate:
    """One run's gate: counts the points its threads reach and holds them by the edges."""

    def __init__(
        self,
        run: int,
        interleaving: Interleaving,
        recorder: TraceRecorder,
        clock: SimClock,
        roles: dict[str, str],
        lock_free: Callable[[str], bool] = lambda _name: True,
    ) -> None:
        self.run = run
        self.interleaving = interleaving
        self.recorder = recorder
        self.clock = clock
        self.roles = dict(roles)  # thread -> role, for every thread of the run (set up first)
        self._lock_free = lock_free
        self._cond = threading.Condition(threading.RLock())
        self._reached: Counter[tuple[str, str]] = Counter()
        self._held: dict[str, list[Edge]] = {}  # thread -> the edges it is held by
        self._ended: set[str] = set()
        self._lock_waits: dict[str, str] = {}  # thread -> the lab lock it waits for
        self._fold = WaitFold()
        self.over = False
        self._sched = clock.scheduler
        #: Edges whose thread reached its step (the order was in play), edges that held a
        #: thread, and edges the run made impossible (given up).
        self.engaged: list[Edge] = []
        self.enforced: list[Edge] = []
        self.given_up: list[Edge] = []

    # -- the run's threads --------------------------------------------------------------------
    def enter(self) -> None:
        """Called in each of the run's threads before its role runs."""
        _local.gate = self

    def leave(self, thread: str) -> None:
        _local.gate = None
        with self._cond:
            self._ended.add(thread)
            self._count(self.roles.get(thread, thread), ENDED)
            self._cond.notify_all()

    def end(self) -> None:
        """The run is over (judged, or shutting down): held threads leave with RunEnded."""
        with self._cond:
            self.over = True
            self._cond.notify_all()

    # -- what the trace says (a recorder subscriber; any thread) ------------------------------
    def on_record(self, rec: Record) -> None:
        thread = rec["thread"]
        role = self.roles.get(thread)
        kind = rec["kind"]
        if kind.startswith("sched."):
            return  # a scheduler's choice, recorded in whichever task made it
        if role is None and kind not in ("event.set", "barrier.broken", "barrier.reset", "barrier.arrive"):
            return
        with self._cond:
            self._fold.apply(rec)
            if role is not None:
                if kind == "lab.lock" and rec.get("phase") == "wait":
                    self._lock_waits[thread] = rec["lock"]
                else:
                    self._lock_waits.pop(thread, None)
                if self._fold.blocked(thread) is not None and kind in ("event.wait", "barrier.arrive"):
                    self._count(role, WAITS)
            self._cond.notify_all()

    # -- stepping -------------------------------------------------------------------------------
    def _count(self, role: str, at: str) -> None:
        self._reached[(role, at)] += 1
        self._reached[(ANY, at)] += 1

    def _met(self, p: Point) -> bool:
        return self._reached[(p.role, p.at)] >= p.n

    def step(self, name: str, line: int) -> None:
        if self.over:
            raise RunEnded
        self.clock.wait_gate()  # a paused lab holds its threads at their next step
        control.step(name)  # controlled mode: another thread may take its step first
        me = thread_name()
        role = self.roles.get(me, me)
        with self._cond:
            self._count(role, name)
            mine, any_n = self._reached[(role, name)], self._reached[(ANY, name)]
            edges = [
                e
                for e in self.interleaving.edges
                if e.then.at == name
                and ((e.then.role == role and e.then.n == mine) or (e.then.role == ANY and e.then.n == any_n))
            ]
            blocking = [e for e in edges if not self._met(e.first)]
            self.engaged += edges
            self._cond.notify_all()
        held = bool(blocking)
        self.recorder.record(
            "lab.step",
            run=self.run,
            step=name,
            n=mine,
            line=line,
            held=held,
            until="; ".join(str(e.first) for e in blocking),
        )
        if not held:
            return
        forced = self._hold_controlled(me, blocking) if self._sched is not None else self._hold(me, blocking)
        self.recorder.record("lab.release", run=self.run, step=name, line=line, forced=forced)

    def _hold_controlled(self, me: str, blocking: list[Edge]) -> bool:
        """Hold ``me`` as the scheduler's: until its edges are met or nothing can meet them."""
        assert self._sched is not None
        shutdown = self.clock.shutdown.is_set
        with self._cond:
            self._held[me] = blocking

        def may_go() -> bool:  # a pure read: the scheduler asks it with every task parked
            return self.over or shutdown() or all(self._met(e.first) for e in blocking) or self._stuck(me)

        try:
            self._sched.wait_until(may_go, None, f"held {me}")
        finally:
            with self._cond:
                self._held.pop(me, None)
        if self.over:
            raise RunEnded
        if shutdown():
            raise ShutdownRequested
        with self._cond:
            if all(self._met(e.first) for e in blocking):
                self.enforced += [e for e in blocking if e not in self.enforced]
                return True
            self.given_up += [e for e in blocking if not self._met(e.first)]
            return False

    def _hold(self, me: str, blocking: list[Edge]) -> bool:
        forced = True
        with self._cond:
            self._held[me] = blocking
            try:
                while True:
                    if self.over:
                        raise RunEnded
                    if self.clock.shutdown.is_set():
                        raise ShutdownRequested
                    if all(self._met(e.first) for e in blocking):
                        self.enforced += [e for e in blocking if e not in self.enforced]
                        break
                    if self._stuck(me):
                        forced = False
                        self.given_up += [e for e in blocking if not self._met(e.first)]
                        break
                    self._cond.wait(0.5)  # every change notifies; the bound is a safety net
            finally:
                self._held.pop(me, None)
                self._cond.notify_all()
        return forced

    def _stuck(self, me: str) -> bool:
        """True when no other thread of the run can reach anything any more."""
        for thread in self.roles:
            if thread == me or thread in self._ended:
                continue
            held = self._held.get(thread)
            if held is not None:
                if all(self._met(e.first) for e in held):
                    return False  # let go already, about to move on
                continue
            wait = self._fold.blocked(thread)
            if wait is not None and wait.forever:
                continue
            lock = self._lock_waits.get(thread)
            if lock is not None and not self._lock_free(lock):
                continue
            return False  # running, sleeping, timed wait, or not started yet: it may still
        return True


__all__ = ["ANY", "ENDED", "WAITS", "Edge", "Gate", "Interleaving", "Point", "RunEnded", "step"]
