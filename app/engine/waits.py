"""Who is blocked on what, folded from trace records (no Qt, no live objects).

A thread is *blocked* from its ``event.wait`` begin until its end, and from its
``barrier.arrive`` (unless it is the last arrival, which releases the round) until its pass
or break. A wait that has been answered but whose thread has not run yet is not blocked
any more: a ``event.set`` wakes every waiter of that event, the last arrival, a break or a
reset wakes every waiter of that barrier. Any other record a thread makes means it runs.

The watchdog judges deadlocks with it, and the lab's step gate judges whether an order it
is forcing can still happen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.trace.recorder import Record

BARRIER, EVENT = "barrier", "event"
#: A ``timeout`` field that a record does not carry (an older trace): not known to be untimed.
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Wait:
    thread: str
    on: str  # BARRIER or EVENT
    name: str
    timeout: float | str | None  # None: waits forever; UNKNOWN: the record did not say
    since: float  # the record's ts
    gen: int = 0
    parties: int = 0
    index: int = 0

    @property
    def forever(self) -> bool:
        """No timeout will end this wait."""
        return self.timeout is None


@dataclass
class WaitFold:
    """The blocked threads of a trace, and enough history to say who could have woken them."""

    waits: dict[str, Wait] = field(default_factory=dict)
    #: (barrier, gen) -> threads that arrived, in order.
    arrived: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    #: Every thread seen arriving at a barrier, or setting an event, in order (each once).
    users: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    ended: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)

    def apply(self, rec: Record) -> None:
        kind, thread = rec["kind"], rec["thread"]
        if kind.startswith("sched."):
            return  # the scheduler's, made in whichever task chose: that task did nothing
        self.seen.add(thread)
        waits = self.waits
        if kind == "event.wait":
            if rec.get("phase") == "begin":
                waits[thread] = Wait(thread, EVENT, rec["event"], rec.get("timeout", UNKNOWN), rec["ts"])
            else:
                waits.pop(thread, None)
        elif kind == "barrier.arrive":
            name, gen, parties, index = rec["barrier"], rec["gen"], rec["parties"], rec["index"]
            self.arrived.setdefault((name, gen), []).append(thread)
            self._use(BARRIER, name, thread)
            if index + 1 >= parties:  # the last arrival: the round is released (or broken)
                waits.pop(thread, None)
                self._wake(BARRIER, name)
            else:
                timeout = rec.get("timeout", UNKNOWN)
                waits[thread] = Wait(thread, BARRIER, name, timeout, rec["ts"], gen, parties, index)
        elif kind in ("barrier.broken", "barrier.reset"):
            waits.pop(thread, None)
            self._wake(BARRIER, rec["barrier"])
        elif kind == "event.set":
            waits.pop(thread, None)
            self._use(EVENT, rec["event"], thread)
            self._wake(EVENT, rec["event"])
        else:
            waits.pop(thread, None)
            if kind in ("worker.stopped", "worker.crashed"):
                self.ended.add(thread)

    def _wake(self, on: str, name: str) -> None:
        for t in [t for t, w in self.waits.items() if w.on == on and w.name == name]:
            del self.waits[t]

    def _use(self, on: str, name: str, thread: str) -> None:
        users = self.users.setdefault((on, name), [])
        if thread not in users:
            users.append(thread)

    def blocked(self, thread: str) -> Wait | None:
        return self.waits.get(thread)


__all__ = ["BARRIER", "EVENT", "UNKNOWN", "Wait", "WaitFold"]
