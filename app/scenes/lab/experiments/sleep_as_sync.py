"""sleep-as-sync: a sleep is a guess, not a synchronisation.

A stage processes what a loader has loaded. Wrong: the stage sleeps half a second, "by then
loading is done", and processes what is there. When loading takes longer (three items at
0.3 s each), it processes a part and misses the rest, silently. Right: the loader sets an
Event when it is done and the stage waits on it, however long loading takes.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.scenes.lab.experiment import OK, WRONG_RESULT, Experiment, Role, Variant, Verdict
from app.scenes.lab.gate import ENDED, Edge, Interleaving, Point, step
from app.scenes.lab.kit import Kit
from app.sync import Event
from app.trace.recorder import Record

ITEMS = ("a", "b", "c")


# -- wrong: sleep and hope -----------------------------------------------------------------------
def setup_wrong(k: Kit) -> None:
    k.loaded = []
    k.processed = []


def loader_wrong(k: Kit) -> None:
    for item in ITEMS:
        k.work(0.3)  # loading one item takes 0.3 s: all three, 0.9 s
        step("load")
        k.loaded.append(item)


def stage_wrong(k: Kit) -> None:
    k.sleep(0.5)  # "loading is surely done by now"
    step("start")
    k.processed.extend(k.loaded)  # whatever has been loaded so far


# -- right: wait for the loader to say so ----------------------------------------------------------
def setup_right(k: Kit) -> None:
    k.loaded = []
    k.processed = []
    k.all_loaded = Event(name="all_loaded", recorder=k.trace)


def loader_right(k: Kit) -> None:
    for item in ITEMS:
        k.work(0.3)
        step("load")
        k.loaded.append(item)
    k.all_loaded.set()  # done: however long it took


def stage_right(k: Kit) -> None:
    k.all_loaded.wait()  # until the loader says it is done
    step("start")
    k.processed.extend(k.loaded)


def judge(k: Kit, records: Sequence[Record]) -> Verdict:
    if k.processed != list(ITEMS):
        missed = [i for i in ITEMS if i not in k.processed]
        return Verdict(
            WRONG_RESULT,
            f"the stage processed {len(k.processed)} of {len(ITEMS)} items and missed "
            f"{', '.join(missed)}: it woke from its sleep while loading was still going on",
        )
    return Verdict(OK, f"the stage processed all {len(ITEMS)} items")


EXPERIMENT = Experiment(
    name="sleep-as-sync",
    title="A sleep is not a synchronisation",
    watch=(
        "The stage sleeps 0.5 s and starts; loading takes 0.9 s. Watch it process what is there "
        "and miss the rest. Waiting on the loader's Event takes exactly as long as loading does."
    ),
    lesson="Wait for the event you mean (an Event, a barrier, a join), never for a guessed time.",
    teaches="wrong-result",
    wrong=Variant(setup_wrong, (Role("loader", loader_wrong), Role("stage", stage_wrong)), judge),
    right=Variant(setup_right, (Role("loader", loader_right), Role("stage", stage_right)), judge),
    interleavings=(
        Interleaving(
            "slow loading",
            "loading is slower than the sleep: the last item lands after the stage has started",
            (
                Edge(Point("loader", "load", 3), Point("stage", "start")),
                Edge(Point("stage", ENDED), Point("loader", "load", 3)),
            ),
        ),
        Interleaving("free", "no forcing: the clock decides (at 'max' speed, anything goes)"),
        Interleaving(
            "fast loading",
            "loading finishes before the stage starts",
            (Edge(Point("loader", ENDED), Point("stage", "start")),),
        ),
    ),
)
