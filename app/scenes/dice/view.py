"""What the dice window draws, folded from trace records (no Qt, testable alone)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from app.engine.barrier_view import BarrierView
from app.scenes.dice.model import (
    AT_BARRIER,
    BETWEEN,
    DISCONNECTED,
    DONE,
    PLAYER_NAMES,
    ROLLING,
    STOPPED,
    WAITING_START,
)
from app.trace.recorder import Record

CRASHED = "crashed"
# Game status, as the window shows it.
READY, COUNTDOWN, PLAYING, OVER, STOPPING, STOPPED_GAME = (
    "ready",
    "countdown",
    "playing",
    "over",
    "stopping",
    "stopped",
)


@dataclass
class PlayerView:
    name: str
    seat: int
    state: str = WAITING_START
    thread: str = ""
    score: int = 0
    value: int = 0  # the die as it lies (0: not rolled yet)
    since: float = 0.0
    duration: float = 0.0  # simulated seconds of the roll under way
    lagging: bool = False
    connected: bool = True


@dataclass(frozen=True)
class RoundEntry:
    """One line of the round history: a round that closed, or an attempt that broke."""

    round: int
    attempt: int
    ok: bool
    rolls: tuple[tuple[str, int], ...]
    scores: tuple[tuple[str, int], ...]
    closer: str = ""  # the thread that ran the barrier action (the last to arrive)
    cause: str = ""
    dropped: tuple[str, ...] = ()
    late: tuple[str, ...] = ()


@dataclass
class DiceView:
    players: dict[str, PlayerView] = field(default_factory=dict)
    barrier: BarrierView = field(default_factory=BarrierView)
    threads: dict[str, str] = field(default_factory=dict)  # thread name -> player
    status: str = READY
    countdown: int = 0
    round: int = 0
    attempt: int = 0
    table: tuple[str, ...] = ()  # the players of the round under way
    placed: int = 0
    served: int = 0
    cancelled: int = 0
    broken: int = 0
    faults: int = 0
    disconnects: int = 0
    rejoins: int = 0
    winners: tuple[str, ...] = ()
    history: deque[RoundEntry] = field(default_factory=lambda: deque(maxlen=200))
    history_total: int = 0  # entries ever made (the deque keeps the newest)
    last_fault: str = ""
    reason: str = ""

    @classmethod
    def for_players(cls, n: int) -> DiceView:
        view = cls({name: PlayerView(name, seat) for seat, name in enumerate(PLAYER_NAMES[:n], 1)})
        view.barrier.parties = n  # before the first round opens: one slot per player
        return view

    def totals(self) -> dict[str, int]:
        return {"placed": self.placed, "served": self.served, "cancelled": self.cancelled}

    def player_of(self, thread: str) -> PlayerView | None:
        name = self.threads.get(thread)
        return self.players.get(name) if name is not None else None

    @property
    def leaders(self) -> tuple[str, ...]:
        """The players with the top score (all of them on a tie)."""
        if not self.players:
            return ()
        best = max(p.score for p in self.players.values())
        return tuple(p.name for p in self.players.values() if p.score == best)

    def winner_text(self) -> str:
        """ "Ada wins with 23", "Tie: Ada and Cleo with 21 each", or "" before the end."""
        if self.status != OVER or not self.winners:
            return ""
        score = self.players[self.winners[0]].score
        if len(self.winners) == 1:
            return f"{self.winners[0]} wins with {score}"
        return f"Tie: {join_names(self.winners)} with {score} each"

    def apply(self, rec: Record) -> None:
        kind = rec["kind"]
        if kind.startswith("barrier."):
            self.barrier.apply(rec)
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, rec)

    def _set_scores(self, scores: dict[str, int]) -> None:
        for name, score in scores.items():
            pv = self.players.get(name)
            if pv is not None:
                pv.score = score


def join_names(names: tuple[str, ...] | list[str]) -> str:
    """ "Ada", "Ada and Cleo", "Ada, Basil and Cleo"."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _player(v: DiceView, r: Record) -> PlayerView | None:
    name = r.get("player")
    if name is None:
        return None
    pv = v.players.get(name)
    if pv is None:
        pv = v.players[name] = PlayerView(name, r.get("seat", len(v.players) + 1))
    return pv


def _worker_started(v: DiceView, r: Record) -> None:
    pv = _player(v, r)
    if pv is None:
        return
    v.threads[r["thread"]] = pv.name
    pv.thread, pv.connected, pv.since = r["thread"], True, r["ts"]
    pv.state = WAITING_START if v.status in (READY, COUNTDOWN) else BETWEEN


def _countdown(v: DiceView, r: Record) -> None:
    v.status, v.countdown = COUNTDOWN, r["remaining"]


def _started(v: DiceView, r: Record) -> None:
    v.status, v.countdown = PLAYING, 0
    for pv in v.players.values():
        if pv.state == WAITING_START:
            pv.state, pv.since = BETWEEN, r["ts"]


def _opened(v: DiceView, r: Record) -> None:
    v.round, v.attempt, v.table = r["round"], r["attempt"], tuple(r["players"])
    v.barrier.expect(r["barrier"], r["parties"])
    if v.status in (READY, COUNTDOWN):
        v.status = PLAYING


def _rolling(v: DiceView, r: Record) -> None:
    pv = _player(v, r)
    if pv is not None:
        pv.state, pv.since, pv.duration, pv.lagging = ROLLING, r["ts"], r.get("duration", 1.0), False


def _lagging(v: DiceView, r: Record) -> None:
    pv = _player(v, r)
    if pv is not None:
        pv.lagging = True


def _rolled(v: DiceView, r: Record) -> None:
    pv = _player(v, r)
    if pv is not None:
        pv.value, pv.score = r["value"], r["score"]


def _arrive(v: DiceView, r: Record) -> None:
    pv = v.player_of(r["thread"])
    if pv is not None and pv.state != DISCONNECTED:
        pv.state, pv.since = AT_BARRIER, r["ts"]


def _left_barrier(v: DiceView, r: Record) -> None:
    pv = v.player_of(r["thread"])
    if pv is not None and pv.state in (AT_BARRIER, ROLLING) and pv.thread == r["thread"]:
        pv.state, pv.since, pv.lagging = BETWEEN, r["ts"], False


def _closed(v: DiceView, r: Record) -> None:
    v.served += 1
    v._set_scores(r["scores"])
    v.history_total += 1
    v.history.append(
        RoundEntry(
            r["round"],
            r["attempt"],
            True,
            tuple(r["rolls"].items()),
            tuple(r["scores"].items()),
            closer=r["thread"],
        )
    )


def _broken(v: DiceView, r: Record) -> None:
    v.broken += 1
    v._set_scores(r["scores"])
    for name in r.get("late", ()):
        pv = v.players.get(name)
        if pv is not None:
            pv.lagging = False
    v.history_total += 1
    v.history.append(
        RoundEntry(
            r["round"],
            r["attempt"],
            False,
            (),
            tuple(r["scores"].items()),
            cause=r.get("cause", ""),
            dropped=tuple(r.get("dropped", ())),
            late=tuple(r.get("late", ())),
        )
    )


def _placed(v: DiceView, r: Record) -> None:
    v.placed += r["count"]


def _cancelled(v: DiceView, r: Record) -> None:
    v.cancelled += r["count"]


def _disconnected(v: DiceView, r: Record) -> None:
    pv = _player(v, r)
    v.disconnects += 1
    if pv is not None:
        pv.state, pv.connected, pv.since, pv.lagging = DISCONNECTED, False, r["ts"], False


def _rejoined(v: DiceView, r: Record) -> None:
    pv = _player(v, r)
    v.rejoins += 1
    if pv is not None:
        v.threads[r["worker"]] = pv.name
        pv.thread, pv.connected, pv.state, pv.since = r["worker"], True, BETWEEN, r["ts"]


def _game_over(v: DiceView, r: Record) -> None:
    v.status, v.winners = OVER, tuple(r["winners"])
    v._set_scores(r["scores"])
    for pv in v.players.values():
        if pv.connected:
            pv.state = DONE


def _fault(v: DiceView, r: Record) -> None:
    v.faults += 1
    where = f" ({r['player']})" if r.get("player") else ""
    when = f" in round {r['round']}" if r.get("round") else ""
    v.last_fault = f"{r['fault']}{where}{when}"


def _crashed(v: DiceView, r: Record) -> None:
    pv = v.player_of(r["thread"])
    if pv is not None:
        pv.state, pv.since = CRASHED, r["ts"]


def _stopped(v: DiceView, r: Record) -> None:
    pv = v.player_of(r["thread"])
    if pv is not None and pv.thread == r["thread"] and pv.state not in (DISCONNECTED, DONE, CRASHED):
        pv.state, pv.since = STOPPED, r["ts"]


def _shutdown_requested(v: DiceView, r: Record) -> None:
    if v.status != OVER:
        v.status = STOPPING
    v.reason = r.get("reason", "")


def _shutdown_completed(v: DiceView, r: Record) -> None:
    if v.status != OVER:
        v.status = STOPPED_GAME
    for pv in v.players.values():
        if pv.state not in (DISCONNECTED, DONE, CRASHED):
            pv.state = STOPPED


_HANDLERS = {
    "worker.started": _worker_started,
    "game.countdown": _countdown,
    "game.started": _started,
    "round.opened": _opened,
    "player.rolling": _rolling,
    "player.lagging": _lagging,
    "player.rolled": _rolled,
    "barrier.arrive": _arrive,
    "barrier.pass": _left_barrier,
    "barrier.broken": _left_barrier,
    "round.closed": _closed,
    "round.broken": _broken,
    "round.placed": _placed,
    "round.cancelled": _cancelled,
    "player.disconnected": _disconnected,
    "player.rejoined": _rejoined,
    "game.over": _game_over,
    "fault.injected": _fault,
    "worker.crashed": _crashed,
    "worker.stopped": _stopped,
    "shutdown.requested": _shutdown_requested,
    "shutdown.completed": _shutdown_completed,
}
