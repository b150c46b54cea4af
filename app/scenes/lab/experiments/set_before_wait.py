"""set-before-wait: the tutorial's claim, shown false.

Tutorials warn that a ``set()`` made before the other thread calls ``wait()`` is missed.
It is not: an Event is a flag, and ``wait()`` on a set flag returns at once. Right: the
consumer just waits; whether the producer set the Event long before or while it waits, it
goes on. Wrong: the consumer "guards" against a stale signal by clearing the Event before
waiting, and that clear is what loses the producer's set: it waits for ever.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.scenes.lab.experiment import OK, WRONG_RESULT, Experiment, Role, Variant, Verdict, records_of
from app.scenes.lab.gate import ENDED, WAITS, Edge, Interleaving, Point, step
from app.scenes.lab.kit import Kit
from app.sync import Event
from app.trace.recorder import Record


def setup(k: Kit) -> None:
    k.ready = Event(name="ready", recorder=k.trace)
    k.got = []


def producer(k: Kit) -> None:
    k.work(0.2)
    step("signal")
    k.ready.set()  # the signal, maybe before anyone waits for it


def consumer_wrong(k: Kit) -> None:
    step("start")
    k.ready.clear()  # "start from a clean Event" -- and erase a set that came first
    k.ready.wait()
    k.got.append("signal")


def consumer_right(k: Kit) -> None:
    step("start")
    k.ready.wait()  # already set? then wait() returns at once: nothing is missed
    k.got.append("signal")


def judge(k: Kit, records: Sequence[Record]) -> Verdict:
    if k.got != ["signal"]:
        return Verdict(WRONG_RESULT, "the consumer never got the signal")
    waits = [r for r in records_of(records, "event.wait") if r["event"] == "ready"]
    if any(r["phase"] == "instant" for r in waits):
        return Verdict(OK, "the set came before the wait, and wait() returned at once: it was not missed")
    return Verdict(OK, "the consumer waited, and the producer's set() woke it")


EXPERIMENT = Experiment(
    name="set-before-wait",
    title="A set before the wait is not missed",
    watch=(
        "The producer sets 'ready' before the consumer gets to wait(). Plain wait() returns at "
        "once (the Event remembers). Clearing first, 'to be safe', is what loses the signal."
    ),
    lesson="wait() on a set Event returns at once; the lost signal comes from clear(), not from set().",
    teaches="deadlock",
    wrong=Variant(setup, (Role("producer", producer), Role("consumer", consumer_wrong)), judge),
    right=Variant(setup, (Role("producer", producer), Role("consumer", consumer_right)), judge),
    interleavings=(
        Interleaving(
            "set first",
            "the producer sets the Event before the consumer starts",
            (Edge(Point("producer", ENDED), Point("consumer", "start")),),
        ),
        Interleaving(
            "wait first",
            "the consumer waits before the producer sets",
            (Edge(Point("consumer", WAITS), Point("producer", "signal")),),
        ),
    ),
)
