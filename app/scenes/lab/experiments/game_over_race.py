"""game-over-race: checking a flag, then waiting at a barrier.

Two players roll each round and meet at the round barrier; the first to reach 10 wins.
Wrong: each player checks a ``game_over`` flag before the round, and the winner sets it
after the barrier. If the loser checks before the winner has set it, the loser rolls again
and waits at a round barrier the winner will never reach. Right: the barrier's action
decides, once, before anyone is released, and every player reads the decision after the
barrier: there is no moment between the check and the decision for the other to slip into.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.scenes.lab.experiment import OK, WRONG_RESULT, Experiment, Role, Variant, Verdict
from app.scenes.lab.gate import Edge, Interleaving, Point, step
from app.scenes.lab.kit import Kit
from app.sync import Barrier
from app.trace.recorder import Record

ROLLS = {"Ada": (6, 5, 4, 3), "Basil": (2, 3, 6, 1)}  # Ada reaches 10 in round 2
TARGET = 10


# -- wrong: check the flag before the round, set it after ------------------------------------------
def setup_wrong(k: Kit) -> None:
    k.score = dict.fromkeys(ROLLS, 0)
    k.game_over = False
    k.round = Barrier(2, name="round", recorder=k.trace)


def player_wrong(k: Kit, name: str) -> None:
    turn = 0
    while not k.game_over:  # is the game still on? (asked BEFORE the round)
        step("checked")
        k.work(0.3)
        k.score[name] += ROLLS[name][turn]
        turn += 1
        k.round.wait()  # everyone has rolled
        if k.score[name] >= TARGET:
            step("won")
            k.game_over = True  # too late for a player who has already checked
            return


# -- right: the action decides, everyone reads it after the barrier ---------------------------------
def setup_right(k: Kit) -> None:
    k.score = dict.fromkeys(ROLLS, 0)
    k.game_over = False

    def close_round() -> None:  # the action: once per round, before anyone is released
        if max(k.score.values()) >= TARGET:
            k.game_over = True

    k.round = Barrier(2, action=close_round, name="round", recorder=k.trace)


def player_right(k: Kit, name: str) -> None:
    turn = 0
    while True:
        step("checked")
        k.work(0.3)
        k.score[name] += ROLLS[name][turn]
        turn += 1
        k.round.wait()  # the action has decided, for both players
        if k.game_over:  # read AFTER the barrier: both see the same answer
            return


def judge(k: Kit, records: Sequence[Record]) -> Verdict:
    winner = max(k.score, key=k.score.__getitem__)
    if k.score[winner] < TARGET:
        return Verdict(WRONG_RESULT, f"the game ended without a winner: {k.score}")
    return Verdict(OK, f"{winner} won with {k.score[winner]}; both players left after the same round")


def stuck(k: Kit) -> str:
    scores = ", ".join(f"{name} {score}" for name, score in k.score.items())
    return f"scores {scores}; game_over is {k.game_over}, set after the other player had checked it"


EXPERIMENT = Experiment(
    name="game-over-race",
    title="Game over, decided too late",
    watch=(
        "Ada wins round 2. Basil checks the flag before Ada sets it, rolls again, and waits at "
        "the round barrier alone. In the right game the barrier's action decides for both."
    ),
    lesson="Decide in the barrier's action and read the decision after the barrier, not before.",
    teaches="deadlock",
    wrong=Variant(setup_wrong, tuple(Role(n, player_wrong, (n,)) for n in ROLLS), judge, stuck),
    right=Variant(setup_right, tuple(Role(n, player_right, (n,)) for n in ROLLS), judge, stuck),
    interleavings=(
        Interleaving(
            "check before the flag",
            "after round 2 Basil checks the flag before Ada, the winner, sets it",
            (Edge(Point("Basil", "checked", 3), Point("Ada", "won")),),
        ),
        Interleaving(
            "Ada ahead",
            "Ada starts round 2 before Basil does",
            (Edge(Point("Ada", "checked", 2), Point("Basil", "checked", 2)),),
        ),
        Interleaving("free", "no forcing"),
    ),
)
