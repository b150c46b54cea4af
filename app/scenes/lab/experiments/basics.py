"""basics: three workers with different work times meet at a barrier.

Right: ``Barrier(3)``. Nobody passes until the last one arrives; that arrival releases
everyone, and the barrier's action runs once, in the last arrival (index 2), before anyone
goes on. Wrong: the same meeting built by hand from a counter and an Event. Reading the
count and writing it back are two steps: when two workers read before either writes, the
count stops at 2, nobody sets the Event, and all three wait for ever.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.scenes.lab.experiment import OK, Experiment, Role, Variant, Verdict, records_of
from app.scenes.lab.gate import ANY, WAITS, Edge, Interleaving, Point, step
from app.scenes.lab.kit import Kit
from app.sync import Barrier, Event
from app.trace.recorder import Record

WORK_S = {"Ada": 0.4, "Basil": 0.8, "Cleo": 1.2}


# -- wrong: a home-made barrier -------------------------------------------------------------
def setup_wrong(k: Kit) -> None:
    k.arrived = 0
    k.all_here = Event(name="all_here", recorder=k.trace)


def worker_wrong(k: Kit, name: str) -> None:
    k.work(WORK_S[name])  # each worker takes its own time
    n = k.arrived  # read the count ...
    step("counted")
    k.arrived = n + 1  # ... and write it back: two steps, not one
    if k.arrived == 3:
        k.all_here.set()  # the last one to arrive releases everyone
    k.all_here.wait()
    k.note(f"{name} goes on")


# -- right: threading.Barrier ---------------------------------------------------------------
def setup_right(k: Kit) -> None:
    k.action_ran_in = []

    def everyone_here() -> None:  # the action: once, in the last arrival, before anyone goes on
        k.action_ran_in.append(k.me())

    k.meeting = Barrier(3, action=everyone_here, name="meeting", recorder=k.trace)


def worker_right(k: Kit, name: str) -> None:
    k.work(WORK_S[name])
    step("counted")
    index = k.meeting.wait()  # 0 for the first to arrive, 2 for the last
    k.note(f"{name} goes on with index {index}")


def judge_wrong(k: Kit, records: Sequence[Record]) -> Verdict:
    gone_on = [r["thread"] for r in records_of(records, "lab.note")]
    return Verdict(OK, f"all three went on ({', '.join(gone_on)}): the count reached 3 this time")


def judge_right(k: Kit, records: Sequence[Record]) -> Verdict:
    arrivals = [r for r in records_of(records, "barrier.arrive") if r["barrier"] == "meeting"]
    last = next(r["thread"] for r in arrivals if r["index"] == 2)
    first = next(r["thread"] for r in arrivals if r["index"] == 0)
    if k.action_ran_in != [last]:
        return Verdict("wrong-result", f"the action ran in {k.action_ran_in}, not once in {last}")
    return Verdict(
        OK,
        f"{first} arrived first (index 0) and waited; {last} arrived last (index 2), ran the "
        "action and released everyone",
    )


EXPERIMENT = Experiment(
    name="basics",
    title="Meet at a barrier",
    watch=(
        "Three workers take 0.4, 0.8 and 1.2 s. With the Barrier, the first two wait until the "
        "third arrives; it gets index 2 and runs the action. The home-made version counts "
        "arrivals itself: watch two workers read the count before either writes it back."
    ),
    lesson="A barrier counts arrivals atomically; a counter you read and write back does not.",
    teaches="deadlock",
    wrong=Variant(
        setup_wrong,
        tuple(Role(n, worker_wrong, (n,)) for n in WORK_S),
        judge_wrong,
        lambda k: f"the count stopped at {k.arrived}",
    ),
    right=Variant(setup_right, tuple(Role(n, worker_right, (n,)) for n in WORK_S), judge_right),
    interleavings=(
        Interleaving(
            "two read at once",
            "two workers read the count before either has written it back",
            (Edge(Point(ANY, "counted", 2), Point(ANY, "counted", 1)),),
        ),
        Interleaving("free", "no forcing: they arrive in the order of their work times"),
        Interleaving(
            "slowest first",
            "Cleo arrives first, then Basil, then Ada",
            (
                Edge(Point("Cleo", WAITS), Point("Basil", "counted")),
                Edge(Point("Basil", WAITS), Point("Ada", "counted")),
            ),
        ),
    ),
)
