"""no-timeout-error: the exception that does not exist.

Python has no ``threading.BarrierTimeoutError``: a ``Barrier.wait`` that times out breaks
the barrier and raises ``BrokenBarrierError``. Wrong: the cooks catch the made-up name.
Python evaluates an ``except`` clause only when an exception arrives, so the code runs
fine until the timeout fires; then the clause itself raises ``AttributeError``. Right:
catch ``BrokenBarrierError``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from app.scenes.lab.experiment import OK, WRONG_RESULT, Experiment, Role, Variant, Verdict
from app.scenes.lab.gate import WAITS, Edge, Interleaving, Point, step
from app.scenes.lab.kit import Kit
from app.sync import Barrier, BrokenBarrierError
from app.trace.recorder import Record

COOKS = ("Ada", "Basil")


def setup(k: Kit) -> None:
    k.service = Barrier(3, name="service", recorder=k.trace)  # the third cook called in sick
    k.served = []


def cook_wrong(k: Kit, name: str) -> None:
    k.work(0.3)
    step("at the pass")
    try:
        k.service.wait(timeout=k.secs(1.0))  # times out: only two of three cooks
    except threading.BarrierTimeoutError:  # no such name: this line raises AttributeError
        k.note(f"{name}: serving alone")
    k.served.append(name)


def cook_right(k: Kit, name: str) -> None:
    k.work(0.3)
    step("at the pass")
    try:
        k.service.wait(timeout=k.secs(1.0))
    except BrokenBarrierError:  # what a timeout raises (and every other waiter gets)
        k.note(f"{name}: serving alone")
    k.served.append(name)


def judge(k: Kit, records: Sequence[Record]) -> Verdict:
    if sorted(k.served) != sorted(COOKS):
        return Verdict(WRONG_RESULT, f"only {', '.join(k.served) or 'nobody'} served")
    return Verdict(OK, "the timeout raised BrokenBarrierError; both cooks caught it and served alone")


EXPERIMENT = Experiment(
    name="no-timeout-error",
    title="There is no BarrierTimeoutError",
    watch=(
        "Both cooks' waits time out. The wrong code's except clause names an exception that "
        "does not exist: the clause itself raises AttributeError, in each cook."
    ),
    lesson="A barrier timeout raises BrokenBarrierError; threading has no BarrierTimeoutError.",
    teaches="error",
    wrong=Variant(setup, tuple(Role(n, cook_wrong, (n,)) for n in COOKS), judge),
    right=Variant(setup, tuple(Role(n, cook_right, (n,)) for n in COOKS), judge),
    interleavings=(
        Interleaving("free", "no forcing: the third cook never comes, so the wait times out"),
        Interleaving(
            "Basil late",
            "Basil reaches the pass only once Ada waits there",
            (Edge(Point("Ada", WAITS), Point("Basil", "at the pass")),),
        ),
    ),
)
