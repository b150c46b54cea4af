"""index-zero: who combines the dish?

``Barrier.wait()`` returns 0 to the *first* thread to arrive and ``parties - 1`` to the
last (Java's CyclicBarrier counts the other way, and tutorials copy it). Wrong: each chef
cooks, meets the others, then plates its part, and the chef with index 0 combines the dish,
"because it is the last one, so the others are done". It is the first, and after the
barrier everyone runs at once: it combines while the others are still plating. Right: plate
before the barrier and combine in the barrier's action, which runs once, in the last
arrival, before anyone is released.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.scenes.lab.experiment import OK, WRONG_RESULT, Experiment, Role, Variant, Verdict, records_of
from app.scenes.lab.gate import ENDED, WAITS, Edge, Interleaving, Point, step
from app.scenes.lab.kit import Kit
from app.sync import Barrier
from app.trace.recorder import Record

COOK_S = {"soup": 0.3, "main": 0.9, "dessert": 0.6}


# -- wrong: index 0 combines after the barrier ------------------------------------------------
def setup_wrong(k: Kit) -> None:
    k.plate = []
    k.served = []
    k.kitchen = Barrier(3, name="kitchen", recorder=k.trace)


def chef_wrong(k: Kit, part: str) -> None:
    k.work(COOK_S[part])  # cook my part
    step("cooked")
    index = k.kitchen.wait()  # everyone has cooked
    step("plate")
    k.plate.append(part)  # my part on the plate
    if index == 0:  # "0 is the last to arrive, so the others are done" -- it is the FIRST
        k.served.append(list(k.plate))  # combine: whatever is on the plate right now


# -- right: the barrier's action combines ----------------------------------------------------
def setup_right(k: Kit) -> None:
    k.plate = []
    k.served = []

    def combine() -> None:  # the action: in the last arrival, before anyone is released
        k.served.append(list(k.plate))

    k.kitchen = Barrier(3, action=combine, name="kitchen", recorder=k.trace)


def chef_right(k: Kit, part: str) -> None:
    k.work(COOK_S[part])
    step("plate")
    k.plate.append(part)  # my part on the plate before I arrive
    step("cooked")
    k.kitchen.wait()  # the action combines once all three have plated


def judge_wrong(k: Kit, records: Sequence[Record]) -> Verdict:
    verdict = judge(k, records)
    if verdict.outcome != OK:
        return verdict
    first = next((r["thread"] for r in records_of(records, "barrier.arrive") if r["index"] == 0), "?")
    return Verdict(OK, f"{first} (index 0) combined after the others had plated: luck, this time")


def judge(k: Kit, records: Sequence[Record]) -> Verdict:
    arrivals = [r for r in records_of(records, "barrier.arrive") if r["barrier"] == "kitchen"]
    by_index = {r["index"]: r["thread"] for r in arrivals}
    if len(k.served) != 1:
        return Verdict(WRONG_RESULT, f"{len(k.served)} dishes served, not one")
    dish = k.served[0]
    if sorted(dish) != sorted(COOK_S):
        missing = [p for p in COOK_S if p not in dish]
        return Verdict(
            WRONG_RESULT,
            f"the dish went out with {' and '.join(dish)} only: {by_index.get(0, '?')} had index 0 "
            f"(it arrived first) and combined while {' and '.join(missing)} "
            f"{'was' if len(missing) == 1 else 'were'} still plating",
        )
    return Verdict(
        OK,
        f"one dish with {', '.join(dish)}: combined by the action in {by_index.get(2, '?')}, the last "
        "to arrive (index 2), before anyone was released",
    )


EXPERIMENT = Experiment(
    name="index-zero",
    title="Index 0 is the first to arrive",
    watch=(
        "The soup chef arrives first and gets index 0. In the wrong kitchen it combines the "
        "dish at once while main and dessert are still plating. In the right one the barrier's "
        "action combines, in the last arrival, before anyone is released."
    ),
    lesson="wait() returns 0 to the FIRST arrival; 'everyone is done' belongs in the barrier's action.",
    teaches="wrong-result",
    wrong=Variant(setup_wrong, tuple(Role(p, chef_wrong, (p,)) for p in COOK_S), judge_wrong),
    right=Variant(setup_right, tuple(Role(p, chef_right, (p,)) for p in COOK_S), judge),
    interleavings=(
        Interleaving(
            "first combines early",
            "soup arrives first, then main, then dessert; soup leaves before the others plate",
            (
                Edge(Point("soup", WAITS), Point("main", "cooked")),
                Edge(Point("main", WAITS), Point("dessert", "cooked")),
                Edge(Point("soup", ENDED), Point("main", "plate")),
                Edge(Point("soup", ENDED), Point("dessert", "plate")),
            ),
        ),
        Interleaving("free", "no forcing"),
        Interleaving(
            "first plates last",
            "soup arrives first but plates after the others have left: index 0 gets a full plate",
            (
                Edge(Point("soup", WAITS), Point("main", "cooked")),
                Edge(Point("soup", WAITS), Point("dessert", "cooked")),
                Edge(Point("main", ENDED), Point("soup", "plate")),
                Edge(Point("dessert", ENDED), Point("soup", "plate")),
            ),
        ),
    ),
)
