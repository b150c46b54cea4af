"""A traced phaser: a barrier whose parties may join and leave, but only between phases.

Modelled on Java's ``java.util.concurrent.Phaser``, with the parts a worker pool needs:

* ``arrive_and_await()`` (alias ``wait()``) is ``Barrier.wait``: it returns the arrival
  index (0 first, ``parties - 1`` last), the *action* runs in the last arriving thread
  before anyone is released, and a timeout, an ``abort()`` or a failing action breaks the
  phase for everyone with ``BrokenBarrierError``. With a fixed party count a ``Phaser`` is
  a drop-in ``threading.Barrier`` (the tests run the barrier cases against both).
* ``register()`` adds a party. It joins at the **next** phase when the phaser has parties
  (``await_advance`` waits for it), at once when it has none: a phase that is under way
  never gains a party.
* ``arrive_and_deregister()`` arrives for the current phase without waiting and leaves from
  the next one: a phase that is under way never loses a party either.

So the party count of a phase is fixed from its start to its end, and every phase passes
only when all its parties have arrived. The trace has the barrier kinds (``barrier.arrive``,
``pass``, ``broken``, ``reset``, with ``barrier``, ``gen`` (the phase), ``parties`` and
``index``) plus ``phaser.register`` (``gen``: the phase under way; ``joins``: the phase the
party first takes part in; ``parties``: that phase's count as known then) and
``phaser.deregister`` (``gen`` and ``index``: the phase and arrival it leaves after;
``parties``: the next phase's count as known then; ``arrived``: true, its arrival counts
for ``gen`` in place of a pass). Unlike Java, ``Phaser(0)`` is allowed (a pool that has
not started), and a phaser never terminates by itself when its parties reach zero.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from threading import BrokenBarrierError

from app.sync import control
from app.trace.recorder import TraceRecorder, default_recorder

_FILLING, _RESETTING, _BROKEN = 0, -1, -2
_names = itertools.count(1)


class Phaser:
    """A barrier with ``register``/``arrive_and_deregister``; ``name`` and ``recorder`` are
    keyword-only extras, as on ``app.sync.Barrier``."""

    def __init__(
        self,
        parties: int = 0,
        action: Callable[[], object] | None = None,
        timeout: float | None = None,
        *,
        name: str | None = None,
        recorder: TraceRecorder | None = None,
    ) -> None:
        if not isinstance(parties, int) or isinstance(parties, bool):
            raise TypeError(f"parties must be an int, not {type(parties).__name__}")
        if parties < 0:
            raise ValueError(f"parties must not be negative, got {parties}")
        self.name = name or f"phaser-{next(_names)}"
        recorder = recorder or default_recorder()
        lock = control.lock(recorder, f"phaser:{self.name}")
        # Parties waiting for their phase to pass.
        self._cond = control.condition(lock, recorder, f"phaser:{self.name}")
        # Arrivals held while a reset phase empties, and threads in await_advance: a
        # condition of their own, so letting them in never wakes a phase's waiters.
        self._door = control.condition(lock, recorder, f"phaser-door:{self.name}")
        self._at_door = 0
        self._action = action
        self._timeout = timeout
        self._parties = parties  # of the phase under way
        self._joining = 0  # registered during this phase: parties from the next one
        self._leaving = 0  # arrived and deregistered during this phase
        self._arrived = 0  # arrivals in this phase, deregistering ones included
        self._inside = 0  # threads inside arrive_and_await (waiting, or released and leaving)
        self._state = _FILLING
        self._trips = 0  # phases released; a waiter passes once this moves past its own
        self._gen = 0  # the phase number in the trace: moves on advance and on reset
        self._cause = ""
        self._rec = recorder.record
        self._emit = recorder.emit  # the hot path: arrive and pass, as literal dicts

    def __repr__(self) -> str:
        state = "broken" if self.broken else f"arrived={self._arrived}/{self._parties}"
        return f"<Phaser {self.name!r} {state} phase={self._gen}>"

    # -- parties ------------------------------------------------------------------------
    def register(self) -> int:
        """Add a party; returns the phase it first takes part in (the next one, or the
        current one when the phaser has no parties). Wait for it with ``await_advance``."""
        with self._cond:
            if self._parties == 0 and self._arrived == 0:
                self._parties = 1
                joins = self._gen
                parties = 1
            else:
                self._joining += 1
                joins = self._gen + 1
                parties = self._next_parties()
            self._rec("phaser.register", barrier=self.name, gen=self._gen, parties=parties, joins=joins)
            return joins

    def arrive_and_deregister(self) -> int:
        """Arrive for the current phase without waiting, and leave from the next one.

        Returns the arrival index. The last arrival runs the action here, as in ``wait``.
        """
        rec = self._rec
        with self._cond:
            self._wait_for_filling()
            self._check_arrival()
            index = self._arrived
            gen = self._gen
            self._arrived += 1
            self._leaving += 1
            rec("barrier.arrive", barrier=self.name, gen=gen, parties=self._parties, index=index)
            rec(
                "phaser.deregister",
                barrier=self.name,
                gen=gen,
                parties=self._next_parties(),
                arrived=True,
                index=index,
            )
            if self._arrived == self._parties:
                self._inside += 1
                try:
                    self._advance(gen)
                finally:
                    self._inside -= 1
                    self._exit()
            return index

    def _next_parties(self) -> int:
        return self._parties - self._leaving + self._joining

    # -- arriving -----------------------------------------------------------------------
    def arrive_and_await(self, timeout: float | None = None) -> int:
        """Arrive and wait for the others (``Barrier.wait``); returns the arrival index."""
        if timeout is None:
            timeout = self._timeout
        emit = self._emit
        with self._cond:
            self._wait_for_filling()
            self._check_arrival()
            index = self._arrived
            gen = self._gen
            trip = self._trips
            parties = self._parties  # fixed for the phase; the next one may have others
            self._arrived += 1
            self._inside += 1
            emit(
                {
                    "seq": 0,
                    "ts": 0.0,
                    "sim": 0.0,
                    "thread": "",
                    "kind": "barrier.arrive",
                    "barrier": self.name,
                    "gen": gen,
                    "parties": parties,
                    "index": index,
                }
            )
            try:
                if self._arrived == self._parties:
                    self._advance(gen)
                else:
                    self._wait(timeout, gen, trip)
            finally:
                self._inside -= 1
                self._exit()
        emit(
            {
                "seq": 0,
                "ts": 0.0,
                "sim": 0.0,
                "thread": "",
                "kind": "barrier.pass",
                "barrier": self.name,
                "gen": gen,
                "parties": parties,
                "index": index,
            }
        )
        return index

    wait = arrive_and_await  # the threading.Barrier name

    def await_advance(self, phase: int, timeout: float | None = None) -> int:
        """Block while the phaser is in ``phase``; returns the phase it is in then (still
        ``phase`` if ``timeout`` ran out). Raises ``BrokenBarrierError`` if it is broken."""
        with self._cond:
            self._at_door += 1
            try:
                self._door.wait_for(lambda: self._gen != phase or self._state == _BROKEN, timeout)
            finally:
                self._at_door -= 1
            if self._state == _BROKEN:
                raise BrokenBarrierError
            return self._gen

    def _wait_for_filling(self) -> None:
        while self._state == _RESETTING:
            self._at_door += 1
            self._door.wait()
            self._at_door -= 1
        if self._state == _BROKEN:
            self._rec(
                "barrier.broken",
                barrier=self.name,
                gen=self._gen,
                parties=self._parties,
                cause=self._cause,
                breaker=False,
            )
            raise BrokenBarrierError

    def _check_arrival(self) -> None:
        if self._arrived >= self._parties:
            raise ValueError(
                f"{self.name}: phase {self._gen} has {self._parties} parties and all have arrived; "
                "register() first (a new party joins at the next phase)"
            )

    def _advance(self, gen: int) -> None:
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
        # No draining state (CPython's Barrier has one): a released waiter knows it by the
        # trip count, so the next phase may fill while the last one's waiters wake up, and
        # nobody is held at the door (each hold is two more context switches per round).
        self._parties = self._next_parties()
        self._joining = self._leaving = self._arrived = 0
        self._trips += 1
        self._gen += 1
        self._cond.notify_all()
        if self._at_door:
            self._door.notify_all()  # await_advance

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
        if self._inside == 0 and self._state == _RESETTING:
            self._state = _FILLING
            self._door.notify_all()

    def _break(self, cause: str) -> None:
        self._state = _BROKEN
        self._cause = cause
        self._cond.notify_all()
        self._door.notify_all()

    # -- breaking and resetting -----------------------------------------------------------
    def reset(self) -> None:
        """Give up the phase under way: waiters get ``BrokenBarrierError``; parties that
        joined or left during it count from now on."""
        with self._cond:
            if self._inside > 0:
                if self._state in (_FILLING, _BROKEN):
                    self._state = _RESETTING
                    self._cause = "reset"
            else:
                self._state = _FILLING
            self._parties = self._next_parties()
            self._joining = self._leaving = self._arrived = 0
            self._gen += 1
            self._rec("barrier.reset", barrier=self.name, gen=self._gen, parties=self._parties)
            self._cond.notify_all()
            self._door.notify_all()

    def abort(self) -> None:
        """Break the phaser: current and future waiters get ``BrokenBarrierError``."""
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
                waiting=self._inside,
            )

    # -- properties ----------------------------------------------------------------------
    @property
    def parties(self) -> int:
        """Parties of the phase under way."""
        return self._parties

    @property
    def registered(self) -> int:
        """Parties of the next phase, counting those that joined or left during this one."""
        return self._next_parties()

    @property
    def n_waiting(self) -> int:
        """Parties waiting in the phase under way (not those that arrived and left)."""
        if self._state == _FILLING:
            return self._arrived - self._leaving
        return 0

    @property
    def n_arrived(self) -> int:
        """Arrivals in the phase under way, deregistering ones included."""
        return self._arrived

    @property
    def broken(self) -> bool:
        return self._state == _BROKEN

    @property
    def phase(self) -> int:
        """The phase under way (the ``gen`` of its trace records)."""
        return self._gen

    generation = phase  # as app.sync.Barrier calls it


__all__ = ["BrokenBarrierError", "Phaser"]
