"""The multiplayer dice game: players are threads that roll together, round by round.

A host thread counts down, then sets the ``game_start`` Event: every player, already
waiting on it, is released at once (a player that joins later finds it set and does not
wait: an Event set before ``wait()`` is never missed). Each round every player at the
table rolls, adds the value to its score under the table lock, and waits at the round
barrier. The barrier's *action* runs in the last player to arrive, before anyone is
released: it closes the round, records the scores and decides whether the game is over.
Every player reads that decision *after* the barrier, so they all leave together; no player
ever checks a game-over flag before the barrier and waits for a round that never closes.

A roll is a function of the seed, the round and the player's seat only: a broken round
that is replayed throws the same dice again, so timing faults never change the scores.

Faults, per round from the plan (first attempt only) or on demand:
* disconnect: a player drops out mid-roll without a word; the others' barrier wait times
  out, the round breaks, its rolls are taken back, and it is replayed with one party fewer.
* lag: a player rolls slowly; half a barrier timeout and the round waits for it, two
  timeouts and the round breaks and is replayed.
* rejoin: a disconnected player comes back between rounds (a new thread; the barrier
  gets its party back).

Replays are restarts of a round and count against the restart budget; when it is spent the
game escalates to a controlled shutdown.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from app.engine.budget import RestartBudget, RestartPolicy
from app.engine.clock import SimClock
from app.engine.faults import Fault, FaultPlan, SpecError, round_rng
from app.engine.simulation import Simulation
from app.engine.workers import WorkerHost
from app.sync import Barrier, BrokenBarrierError, Event, control
from app.trace.recorder import TraceRecorder

FAULT_KINDS = ("disconnect", "lag", "rejoin")
MIN_PLAYERS, MAX_PLAYERS = 2, 8
MAX_ROUNDS = 1_000_000
PLAYER_NAMES = ("Ada", "Basil", "Cleo", "Dara", "Emil", "Fern", "Gus", "Hedy")

# Player states, as the views show them.
WAITING_START, BETWEEN, ROLLING, AT_BARRIER, DISCONNECTED, DONE, STOPPED = (
    "waiting for start",
    "between rounds",
    "rolling",
    "at barrier",
    "disconnected",
    "done",
    "stopped",
)


class _Disconnect(Exception):
    """A player's connection drops mid-roll (the injected fault)."""


@dataclass(frozen=True)
class DiceConfig:
    players: int = 4
    rounds: int = 5  # asked for when the game starts (a headless run's length)
    countdown_s: float = 1.5  # simulated; "3, 2, 1", then game_start is set
    roll_s: tuple[float, float] = (0.6, 1.6)  # simulated seconds a roll takes
    #: How long a lagging roll takes, in barrier timeouts; the plan picks one. Below 1 the
    #: round waits for the laggard, above 1 the others' wait times out.
    lag_x: tuple[float, ...] = (0.5, 2.0)
    barrier_timeout_s: float = 4.0  # simulated
    max_speed_timeout_s: float = 0.25  # wall seconds at speed "max", where sim time is 0
    faults: FaultPlan = field(default_factory=lambda: FaultPlan(FAULT_KINDS))
    restart: RestartPolicy = field(default_factory=RestartPolicy)
    seed: int = 0

    def __post_init__(self) -> None:
        if not MIN_PLAYERS <= self.players <= MAX_PLAYERS:
            raise SpecError(f"a game has {MIN_PLAYERS} to {MAX_PLAYERS} players, got {self.players}")
        if not 0 <= self.rounds <= MAX_ROUNDS:
            raise SpecError(f"rounds must be from 0 to {MAX_ROUNDS}, got {self.rounds}")
        if not 0 <= self.countdown_s <= 60:
            raise SpecError(f"countdown_s must be from 0 to 60, got {self.countdown_s}")
        lo, hi = self.roll_s
        if not 0 < lo <= hi:
            raise SpecError(f"roll time range must be positive and ordered, got {lo}..{hi}")
        if not self.lag_x or any(not 0 < x <= 10 for x in self.lag_x):
            raise SpecError("lag_x must be one or more multiples of the barrier timeout, above 0, at most 10")
        if hi >= self.barrier_timeout_s:
            raise SpecError("the longest roll must be shorter than barrier_timeout_s")

    @property
    def names(self) -> tuple[str, ...]:
        return PLAYER_NAMES[: self.players]


@dataclass
class Player:
    name: str
    seat: int  # 1-based
    thread: str = ""
    state: str = WAITING_START
    connected: bool = True
    alive: bool = False  # a thread is running for this player
    ready: bool = False  # waiting for the next round to open
    last_round: int = 0  # serial of the last round it took part in
    pending: str = ""  # a disconnect or lag asked for on demand, applied at the next chance
    leaving: bool = False  # disconnecting now
    score: int = 0


@dataclass
class Round:
    serial: int  # counts every attempt
    number: int  # the game's round, 1-based
    attempt: int
    members: tuple[str, ...]
    barrier: Barrier
    fault: Fault | None = None
    rolls: dict[str, int] = field(default_factory=dict)
    exits: set[str] = field(default_factory=set)
    dropped: list[str] = field(default_factory=list)  # disconnected during this round
    late: list[str] = field(default_factory=list)  # lagged during this round
    passed: bool = False  # set by the barrier action
    game_over: bool = False  # decided by the barrier action, read after the barrier
    broken: bool = False
    #: Set (under the game lock) when the round is given up: rolling players stop at once.
    abandoned: bool = False
    _abandon_event: Any = None  # a threading.Event, or the scheduler's in controlled mode

    def abandon(self) -> None:
        self.abandoned = True
        if self._abandon_event is not None:
            self._abandon_event.set()

    def abandon_event(self, recorder: TraceRecorder) -> Any:
        """Call with the game lock held."""
        if self._abandon_event is None:
            self._abandon_event = control.flag(recorder, f"abandon:round-{self.serial}")
            if self.abandoned:
                self._abandon_event.set()
        return self._abandon_event


class DiceGame(Simulation):
    scenario = "dice"
    end_reason = "game over"

    def __init__(
        self,
        config: DiceConfig | None = None,
        *,
        clock: SimClock | None = None,
        recorder: TraceRecorder | None = None,
        host: WorkerHost | None = None,
    ) -> None:
        super().__init__(clock=clock, recorder=recorder, host=host)
        self.config = config or DiceConfig()
        self.players = {name: Player(name, seat) for seat, name in enumerate(self.config.names, 1)}
        self.game_start = Event(name="game_start", recorder=self.recorder)
        # The table lock guards scores and the round ledger. It is the innermost lock: the
        # barrier action takes it while holding the barrier's lock, so code holding it never
        # takes another (the game lock may be held while taking it, never the other way).
        # Nothing under it is a scheduling point, so a plain lock serves in controlled mode too.
        self._table = threading.Lock()
        self.asked = 0
        self.played = 0
        self.cancelled = 0
        self.cancel_reasons: Counter[str] = Counter()
        self.game_over = False
        self.winners: tuple[str, ...] = ()
        self.violations: list[str] = []
        self._accounts_closed = False
        self._round: Round | None = None
        self._serials = itertools.count(1)
        self._barrier: Barrier | None = None
        self._planned_for = 0  # the round whose plan fault has been drawn
        self._planned: Fault | None = None
        self._attempt = 0
        self._rejoins_asked: list[str] = []
        self._budget = RestartBudget(self.config.restart)
        self._demand_rng = round_rng(self.config.seed, "demand")
        self.faults: Counter[str] = Counter()
        self.broken_rounds = 0
        # Per player, in order of first time: counts, so memory stays flat on long runs.
        self.disconnects: Counter[str] = Counter()
        self.rejoins: Counter[str] = Counter()
        self.escalated = ""
        self.started = False

    # -- public controls (any thread) -----------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self.started:
                return
            self.started = True
            for p in self.players.values():
                self._spawn_player(p)
            self.spawn("host", self._host, role="host")
        self.feed(self.config.rounds)

    def feed(self, units: int = 1) -> None:
        """Ask for ``units`` more rounds; once the game is over or stopping they are cancelled."""
        if units <= 0:
            return
        with self._table:
            self.asked += units
            total = self.asked
            refused = ""
            if self._accounts_closed or self.shutting_down:
                refused = self.shutdown_reason or "game stopped"
            elif self.game_over:
                refused = "game over"
            # Recorded under the table lock, so the trace never shows a round cancelled
            # before it was placed.
            self.recorder.record("round.placed", count=units, total=total)
            if refused:
                self.cancelled += units
                self.cancel_reasons[refused] += units
                self.recorder.record("round.cancelled", count=units, reason=refused)
        if refused:
            return
        with self._lock:
            self._cv.notify_all()

    def inject(self, kind: str, target: str | None = None) -> str:
        """Ask for a fault now; returns the player it hits.

        A disconnect or lag hits the player mid-roll if it is rolling, else on its next roll;
        a rejoin brings a disconnected player back when the current round has closed.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r} (known: {', '.join(FAULT_KINDS)})")
        with self._lock:
            if self.shutting_down:
                raise ValueError("the game has stopped")
            if self.game_over:
                raise ValueError("the game is over")
            if kind == "rejoin":
                candidates = [p.name for p in self._seated() if not p.connected and not p.alive]
                candidates = [n for n in candidates if n not in self._rejoins_asked]
                if not candidates:
                    raise ValueError("nobody is waiting to rejoin")
            else:
                candidates = [p.name for p in self._seated() if p.connected]
            name = self._resolve(target, candidates, kind)
            if kind == "rejoin":
                self._rejoins_asked.append(name)
            else:
                staying = [p for p in self._seated() if p.connected and p.pending != "disconnect"]
                if kind == "disconnect" and len(staying) <= 1:
                    raise ValueError(f"{name} is the last player at the table")
                self.players[name].pending = kind
            self._cv.notify_all()
            return name

    def _resolve(self, target: str | None, candidates: list[str], kind: str) -> str:
        if target is None:
            return self._demand_rng.choice(candidates)
        name = target
        if target.isdigit() and 1 <= int(target) <= len(self.players):
            name = self.config.names[int(target) - 1]
        if name not in self.players:
            raise ValueError(f"no player named {target!r}")
        if name not in candidates:
            if kind == "rejoin":
                raise ValueError(
                    f"{name} is at the table"
                    if self.players[name].connected
                    else f"{name} is on the way back"
                )
            raise ValueError(f"{name} has disconnected")
        return name

    def finished(self) -> bool:
        """True once the game is over (decided in the last round's barrier action), or
        stopping, or when no round was asked for at all."""
        return self.shutting_down or self.game_over or (self.started and self.asked == 0)

    @property
    def current_round(self) -> Round | None:
        return self._round

    @property
    def restarts(self) -> int:
        return self._budget.total

    def _seated(self) -> list[Player]:
        return list(self.players.values())

    # -- the host: countdown, then one Event releases every player --------------------------
    def _host(self) -> None:
        if self.config.countdown_s > 0:
            for remaining in (3, 2, 1):
                self.recorder.record("game.countdown", remaining=remaining)
                self.clock.sleep(self.config.countdown_s / 3)
        self.clock.wait_gate()
        self.recorder.record("game.started", players=list(self.config.names), rounds=self.asked)
        self.game_start.set()

    # -- the player role ------------------------------------------------------------------------
    def _spawn_player(self, p: Player) -> None:
        name = self.unique_name(f"player-{p.name}")
        p.thread, p.alive, p.ready, p.connected, p.leaving = name, True, False, True, False
        p.state = WAITING_START if not self.game_start.is_set() else BETWEEN
        self.spawn_named(name, lambda: self._player(p, name), player=p.name, seat=p.seat)

    def _player(self, p: Player, me: str) -> None:
        leaving: tuple[Round, bool] | None = None
        try:
            self.game_start.wait()  # set by the host, or by a shutdown (checked next)
            self.clock.check()
            while True:
                rnd = self._next_round(p, leaving)
                leaving = None
                if rnd is None:
                    return
                leaving = self._play(p, rnd)
                rnd, passed = leaving
                if passed and rnd.game_over:  # decided in the action, read after the barrier
                    with self._lock:
                        self._leave_locked(p, rnd, ok=True)
                        p.state = DONE
                    leaving = None
                    return
        except _Disconnect:
            self._disconnected(p)
        except BaseException:
            with self._lock:
                rnd = self._round
                if rnd is not None and p.name in rnd.members and p.name not in rnd.exits:
                    self._leave_locked(p, rnd, ok=False)
            raise
        finally:
            with self._lock:
                if p.thread == me:
                    p.alive, p.ready = False, False
                    if p.state not in (DISCONNECTED, DONE):
                        p.state = STOPPED

    def _next_round(self, p: Player, leaving: tuple[Round, bool] | None) -> Round | None:
        """The round this player plays next; blocks until there is one (None: game over or
        shutdown). Leaving the last round and taking the next happen under one hold of the lock."""
        while True:
            with self._lock:
                if leaving is not None:
                    self._leave_locked(p, *leaving)
                    leaving = None
                p.state = BETWEEN
                if self.shutting_down or self.game_over:
                    return None
                paused = self.clock.paused
                rnd = self._round
                if rnd is None and not paused:
                    p.ready = True
                    rnd = self._try_open_locked()
                if rnd is not None and p.name in rnd.members and rnd.serial > p.last_round:
                    p.ready = False
                    return rnd
                if not paused:
                    self._cv.wait(1.0)  # a round not ours, or players still on their way
                    continue
            self.clock.wait_gate()  # paused: no new round starts

    def _try_open_locked(self) -> Round | None:
        """Open the next round if every player at the table is ready for it."""
        with self._table:
            number = self.played + 1
            if number > self.asked:
                return None
        if self._planned_for != number:
            self._planned_for, self._attempt = number, 0
            self._planned = self._draw_plan(number)
        for name in self._rejoins_asked:
            self._rejoin_locked(self.players[name], "demand")
        self._rejoins_asked.clear()
        table = [p for p in self._seated() if p.connected]
        if not table or not all(p.ready for p in table):
            return None
        members = tuple(p.name for p in table)
        self._attempt += 1
        fault = self._planned if self._attempt == 1 else None  # a replay draws no new fault
        barrier = self._barrier
        if barrier is None or barrier.parties != len(members):
            barrier = self._barrier = Barrier(
                len(members),
                action=self._close_round,
                name=self.unique_name(f"table-{len(members)}"),
                recorder=self.recorder,
            )
        rnd = Round(next(self._serials), number, self._attempt, members, barrier, fault)
        self._round = rnd
        self.recorder.record(
            "round.opened",
            round=number,
            attempt=rnd.attempt,
            players=list(members),
            barrier=barrier.name,
            parties=barrier.parties,
        )
        self._cv.notify_all()
        return rnd

    def _draw_plan(self, number: int) -> Fault | None:
        """The plan's fault for a round: a function of the seed and the round only."""
        rng = round_rng(self.config.seed, number, 0)
        table = [p.name for p in self._seated() if p.connected]
        fault = self.config.faults.draw(rng, table)
        if fault is None:
            return None
        if fault.kind == "rejoin":
            away = [p.name for p in self._seated() if not p.connected and not p.alive]
            if away:
                self._rejoin_locked(self.players[rng.choice(away)], "plan")
            return None
        if fault.kind == "disconnect" and len(table) <= 1:
            return None  # the last player never leaves: a game needs someone at the table
        return fault

    def _rejoin_locked(self, p: Player, source: str) -> None:
        if p.connected or p.alive or self.shutting_down:
            return
        self.faults["rejoin"] += 1
        self.recorder.record("fault.injected", fault="rejoin", player=p.name, source=source)
        self.rejoins[p.name] += 1
        p.pending = ""
        self._spawn_player(p)
        self.recorder.record("player.rejoined", player=p.name, seat=p.seat, worker=p.thread, score=p.score)

    def _play(self, p: Player, rnd: Round) -> tuple[Round, bool]:
        """Roll, add to the score, meet the others; returns (round, passed)."""
        rng = round_rng(self.config.seed, rnd.number, p.seat)
        value = 1 + int(rng.random() * 6)
        duration = rng.uniform(*self.config.roll_s)
        fault = rnd.fault if rnd.fault is not None and rnd.fault.target == p.name else None
        kind, source = (fault.kind, "plan") if fault is not None else ("", "")
        if not kind and p.pending:
            kind, source = self._take_pending(p), "demand"
        p.state = ROLLING
        self.recorder.record(
            "player.rolling", player=p.name, round=rnd.number, attempt=rnd.attempt, duration=duration
        )
        if not kind:
            done = self.clock.sleep(duration, lambda: rnd.abandoned or bool(p.pending))
            if not done and p.pending and not rnd.abandoned:
                kind, source = self._take_pending(p), "demand"
                duration /= 2  # what is left of the roll, roughly
        if kind:
            self._fault(kind, p, rnd, source, duration)
        counted = not rnd.abandoned  # a roll that lands after its round broke does not count
        with self._table:
            if counted:
                p.score += value
                rnd.rolls[p.name] = value
            score = p.score
        self.recorder.record(
            "player.rolled",
            player=p.name,
            value=value,
            round=rnd.number,
            attempt=rnd.attempt,
            score=score,
            counted=counted,
        )
        p.state = AT_BARRIER
        try:
            rnd.barrier.wait(self._barrier_timeout())
            return rnd, True
        except BrokenBarrierError:
            return rnd, False

    def _take_pending(self, p: Player) -> str:
        """The fault asked for on demand, taken under the lock ``inject`` sets it under."""
        with self._lock:
            kind, p.pending = p.pending, ""
            return kind

    def _fault(self, kind: str, p: Player, rnd: Round, source: str, duration: float) -> None:
        """Carry out a disconnect or a lag in the player's own thread."""
        with self._lock:
            if kind == "disconnect":
                others = [q for q in self._seated() if q.connected and not q.leaving and q is not p]
                if not others:
                    return  # the last player at the table stays: a game needs someone to play
                p.leaving = True
            else:
                rnd.late.append(p.name)
            self.faults[kind] += 1
        self.recorder.record("fault.injected", fault=kind, player=p.name, round=rnd.number, source=source)
        if kind == "disconnect":
            self.clock.sleep(duration / 2, lambda: rnd.abandoned)
            raise _Disconnect
        lags = self.config.lag_x
        x = lags[int(round_rng(self.config.seed, rnd.number, p.seat, rnd.attempt).random() * len(lags))]
        self.recorder.record("player.lagging", player=p.name, round=rnd.number, timeouts=x)
        if self.clock.timeless:  # simulated time is zero at "max": lag in wall time
            with self._lock:
                abandoned = rnd.abandon_event(self.recorder)
            abandoned.wait(x * self.config.max_speed_timeout_s)
            self.clock.check()
        else:
            self.clock.sleep(x * self.config.barrier_timeout_s, lambda: rnd.abandoned)

    def _barrier_timeout(self) -> float:
        if self.clock.timeless:
            return self.config.max_speed_timeout_s
        return self.clock.to_wall(self.config.barrier_timeout_s)

    def _close_round(self) -> None:
        """The barrier action: runs in the last player to arrive, before anyone is released.

        It closes the round and decides whether the game is over; it takes only the table
        lock (players hold the game lock while resetting the barrier).
        """
        rnd = self._round
        assert rnd is not None
        with self._table:
            if self._accounts_closed:
                self.violations.append(f"round {rnd.number} closed after the game was stopped")
                return
            self.played += 1
            over = self.played >= self.asked
            scores = {p.name: p.score for p in self._seated()}
            rnd.passed, rnd.game_over = True, over
            if over:
                # The top score wins, whoever holds it: a player who left keeps its points.
                best = max(scores.values())
                self.winners = tuple(n for n, v in scores.items() if v == best)
                self.game_over = True
        self.recorder.record(
            "round.closed",
            round=rnd.number,
            attempt=rnd.attempt,
            scores=scores,
            rolls=dict(rnd.rolls),
            players=list(rnd.members),
        )
        if over:
            self.recorder.record("game.over", winners=list(self.winners), scores=scores, rounds=rnd.number)

    def _leave_locked(self, p: Player, rnd: Round, ok: bool, breaks: bool = True) -> None:
        """``p`` is done with ``rnd``; ``ok`` when it passed the barrier. A player that left
        without passing breaks the round, unless ``breaks`` is False (a disconnect: the
        others find out from their barrier timeout)."""
        rnd.exits.add(p.name)
        p.last_round = rnd.serial
        if not ok and breaks and not rnd.broken:
            rnd.broken = True
            rnd.abandon()
        if self._round is not rnd:
            return  # already closed (a passed round closes at its first leave)
        # A passed round is over for everyone once released, so the first player out closes
        # it; a broken round waits for every member to leave before its barrier is reset.
        if (rnd.passed and not rnd.broken) or rnd.exits >= set(rnd.members):
            self._close_locked(rnd)

    def _close_locked(self, rnd: Round) -> None:
        if rnd.broken:
            with self._table:
                for name, value in rnd.rolls.items():  # the broken round's rolls are discarded
                    self.players[name].score -= value
                scores = {p.name: p.score for p in self._seated()}
            self.broken_rounds += 1
            if rnd.barrier.broken or rnd.barrier.n_waiting:
                rnd.barrier.reset()
            cause = "shutdown" if self.shutting_down else "timeout"
            self.recorder.record(
                "round.broken",
                round=rnd.number,
                attempt=rnd.attempt,
                cause=cause,
                dropped=list(rnd.dropped),
                late=list(rnd.late),
                scores=scores,
            )
            if not self.shutting_down and not self.game_over:
                if self._budget.allow(self.clock.now()):
                    self.recorder.record("round.replaying", round=rnd.number, attempt=rnd.attempt + 1)
                else:
                    self.escalated = f"round {rnd.number} broke once too often ({self._budget.describe()})"
                    self.recorder.record("supervisor.escalated", reason=self.escalated)
                    self.request_shutdown(self.escalated)  # the game lock is reentrant
        self._round = None
        self._cv.notify_all()

    def _disconnected(self, p: Player) -> None:
        with self._lock:
            p.connected, p.alive, p.ready, p.state = False, False, False, DISCONNECTED
            self.disconnects[p.name] += 1
            rnd = self._round
            number = rnd.number if rnd is not None else 0
            self.recorder.record("player.disconnected", player=p.name, round=number, score=p.score)
            # No abort: the others learn it from their barrier timeout, as a party mismatch.
            if rnd is not None and p.name in rnd.members and p.name not in rnd.exits:
                rnd.dropped.append(p.name)
                self._leave_locked(p, rnd, ok=False, breaks=False)
            self._cv.notify_all()

    # -- shutdown ---------------------------------------------------------------------------
    def _wake_all_locked(self) -> None:
        if self._round is not None:
            self._round.abandon()
        if not self.game_start.is_set():
            self.game_start.set()  # players waiting for the start leave (they check shutdown)

    def _wake_all_unlocked(self) -> None:
        barrier = self._barrier
        if barrier is not None and not self.game_over:  # after the game nobody is at it
            barrier.abort()  # players at the barrier leave with BrokenBarrierError

    def _after_stop(self) -> None:
        reason = self.shutdown_reason or "shutdown"
        with self._table:
            self._accounts_closed = True
            left = self.asked - self.played - self.cancelled
            if left > 0:
                self.cancelled += left
                self.cancel_reasons[reason] += left
                self.recorder.record("round.cancelled", count=left, reason=reason)
        with self._lock:
            for p in self._seated():
                if p.state not in (DISCONNECTED, DONE):
                    p.state = STOPPED

    # -- reporting ----------------------------------------------------------------------------
    def summary(self) -> dict[str, object]:
        with self._table:
            placed, played, cancelled = self.asked, self.played, self.cancelled
            scores = {p.name: p.score for p in self._seated()}
            winners = list(self.winners)
            violations = list(self.violations)
        return {
            "scenario": self.scenario,
            "placed": placed,
            "served": played,
            "cancelled": cancelled,
            "open": placed - played - cancelled,
            "faults": sum(self.faults.values()),
            "faults_by_kind": dict(self.faults),
            "restarts": self.restarts,
            "escalated": self.escalated or None,
            "violations": violations,
            "errors": list(self.errors),
            "seed": self.config.seed,
            "players": list(self.config.names),
            "rounds_played": played,
            "rounds_broken": self.broken_rounds,
            "replays": self.restarts,
            "scores": scores,
            "winners": winners,
            "game_over": self.game_over,
            "disconnects": sum(self.disconnects.values()),
            "rejoins": sum(self.rejoins.values()),
            "disconnected": list(self.disconnects),  # who, each once
            "rejoined": list(self.rejoins),
            "cancel_reasons": dict(self.cancel_reasons),
        }


__all__ = ["FAULT_KINDS", "MAX_PLAYERS", "MIN_PLAYERS", "PLAYER_NAMES", "DiceConfig", "DiceGame"]
