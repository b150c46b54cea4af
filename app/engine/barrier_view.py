"""One barrier as a view sees it, folded from its ``barrier.*`` trace records (no Qt).

Every barrier scene shows the same things about its barrier: how many parties it waits
for, who has arrived and in which order, which thread runs the action (the *last* arrival,
index ``parties - 1``, never index 0), and how the last round ended: passed, broken (with
the cause and the thread that broke it) or reset. ``BarrierView`` keeps exactly that, for
one named barrier or for whichever barrier the scene used last.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from app.trace.recorder import Record

PASS, BROKEN, RESET = "pass", "broken", "reset"


@dataclass(frozen=True)
class Arrival:
    thread: str
    index: int  # 0 is the first to arrive, parties - 1 the last (it runs the action)
    ts: float


@dataclass(frozen=True)
class Outcome:
    kind: str  # PASS, BROKEN or RESET
    gen: int
    ts: float
    cause: str = ""  # broken: "timeout", "action", "abort", "reset"
    breaker: str = ""  # broken: the thread that broke it ("" if unknown)
    barrier: str = ""


@dataclass(frozen=True)
class Ended:
    """A generation that has passed or broken, as it stood then (a reset or the next
    round clears the live arrivals; a view may still want to show who was there)."""

    barrier: str
    parties: int
    arrivals: tuple[Arrival, ...]
    outcome: Outcome

    @property
    def runner(self) -> str:
        return next((a.thread for a in self.arrivals if a.index == self.parties - 1), "")


@dataclass
class BarrierView:
    """The state of one barrier. ``name=None`` follows the latest barrier that has an arrival
    or a reset (scenes that make a new barrier when the party count changes)."""

    name: str | None = None
    barrier: str = ""  # the barrier shown now
    parties: int = 0
    gen: int = 0  # the generation the arrivals belong to
    arrivals: list[Arrival] = field(default_factory=list)
    passed: int = 0  # threads released from this generation so far
    #: The latest outcomes, newest last (kept across a switch to a new barrier).
    outcomes: deque[Outcome] = field(default_factory=lambda: deque(maxlen=4))
    ended: Ended | None = None  # the latest generation that passed or broke

    # -- what a view asks ------------------------------------------------------------------
    @property
    def outcome(self) -> Outcome | None:
        """How the latest round ended (None before the first end)."""
        return self.outcomes[-1] if self.outcomes else None

    @property
    def runner(self) -> str:
        """The thread that runs (or ran) the action this generation: the last to arrive."""
        for a in self.arrivals:
            if a.index == self.parties - 1:
                return a.thread
        return ""

    @property
    def waiting(self) -> int:
        """Arrived and not yet released or broken."""
        if self._ending(self.gen, BROKEN) is not None:
            return 0
        return max(len(self.arrivals) - self.passed, 0)

    def index_of(self, thread: str) -> int | None:
        for a in self.arrivals:
            if a.thread == thread:
                return a.index
        return None

    def expect(self, barrier: str, parties: int) -> None:
        """The scene says its next round uses ``barrier`` (e.g. a new one for a new party
        count): show it, empty, before anyone arrives. Ignored by a view of another name."""
        if self.name is not None and barrier != self.name:
            return
        if barrier != self.barrier:
            self._switch(barrier)
        self.parties = parties

    # -- folding records -------------------------------------------------------------------
    def apply(self, rec: Record) -> bool:
        """Fold one record; True when it was about this barrier (and so changed the view)."""
        kind = rec["kind"]
        if not kind.startswith("barrier."):
            return False
        name = rec.get("barrier", "")
        if name != self.barrier:
            follows = self.name is None and kind in ("barrier.arrive", "barrier.reset")
            if name != self.name and not follows:
                return False
            self._switch(name)
        parties = rec.get("parties")
        if parties:
            self.parties = parties
        gen, ts = rec.get("gen", self.gen), rec["ts"]
        if kind == "barrier.arrive":
            if gen != self.gen:
                self._new_generation(gen)
            self.arrivals.append(Arrival(rec["thread"], rec["index"], ts))
        elif kind == "barrier.pass":
            if gen == self.gen:
                self.passed += 1
            if self._ending(gen) is None:
                self._end(Outcome(PASS, gen, ts, barrier=name), gen)
        elif kind == "barrier.broken":
            last = self.outcome
            if gen < self.gen and last is not None and last.kind == RESET and last.barrier == name:
                return True  # a waiter woken by reset(): the reset has said it already
            breaker = rec["thread"] if rec.get("breaker") else ""
            known = self._ending(gen)
            if known is None:
                self._end(Outcome(BROKEN, gen, ts, rec.get("cause", ""), breaker, name), gen)
            elif known.kind == BROKEN and breaker and not known.breaker:
                # The breaker's own record came after a waiter's: name the breaker.
                named = Outcome(BROKEN, gen, known.ts, known.cause or rec.get("cause", ""), breaker, name)
                self.outcomes[self.outcomes.index(known)] = named
                if self.ended is not None and self.ended.outcome == known:
                    self.ended = Ended(self.ended.barrier, self.ended.parties, self.ended.arrivals, named)
        elif kind == "barrier.reset":
            self.outcomes.append(Outcome(RESET, gen, ts, barrier=name))
            self._new_generation(gen)
        return True

    def _end(self, outcome: Outcome, gen: int) -> None:
        self.outcomes.append(outcome)
        arrivals = tuple(self.arrivals) if gen == self.gen else ()
        self.ended = Ended(self.barrier, self.parties, arrivals, outcome)

    def _ending(self, gen: int, kind: str | None = None) -> Outcome | None:
        """The pass or break this barrier's generation ``gen`` has already had, if any."""
        for o in self.outcomes:
            mine = o.gen == gen and o.barrier == self.barrier and o.kind in (PASS, BROKEN)
            if mine and (kind is None or o.kind == kind):
                return o
        return None

    def _new_generation(self, gen: int) -> None:
        self.gen = gen
        self.arrivals = []
        self.passed = 0

    def _switch(self, name: str) -> None:
        self.barrier = name
        self._new_generation(0)


__all__ = ["BROKEN", "PASS", "RESET", "Arrival", "BarrierView", "Ended", "Outcome"]
