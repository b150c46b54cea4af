"""start-gun: racers wait on one Event; one set() starts them all.

Right: the starter sets the gun and leaves it set. Every racer waiting wakes at once, and a
racer that reaches the line after the shot finds the Event set and runs straight through:
a set before the wait is never missed. Wrong: the starter "resets the gun" with clear()
right after set(), as if an Event were a one-off signal. The racers already waiting still
wake, but the late one waits for a shot that has come and gone.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.scenes.lab.experiment import OK, WRONG_RESULT, Experiment, Role, Variant, Verdict, records_of
from app.scenes.lab.gate import ENDED, WAITS, Edge, Interleaving, Point, step
from app.scenes.lab.kit import Kit
from app.sync import Event
from app.trace.recorder import Record


def _and(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)


RUN_S = {"Ada": 0.5, "Basil": 0.7, "Cleo": 0.6}


def setup(k: Kit) -> None:
    k.gun = Event(name="gun", recorder=k.trace)
    k.finished = []


def racer(k: Kit, name: str) -> None:
    step("at the line")
    k.gun.wait()  # wait for the shot
    k.work(RUN_S[name])  # run
    k.finished.append(name)


def starter_wrong(k: Kit) -> None:
    step("ready")
    k.gun.set()  # bang: every racer waiting wakes up
    k.gun.clear()  # "reset the gun" -- a racer still on its way now waits for ever
    step("fired")


def starter_right(k: Kit) -> None:
    step("ready")
    k.gun.set()  # bang, and it stays set: a late racer runs straight through
    step("fired")


def judge(k: Kit, records: Sequence[Record]) -> Verdict:
    if sorted(k.finished) != sorted(RUN_S):
        return Verdict(WRONG_RESULT, f"only {', '.join(k.finished) or 'nobody'} finished")
    waits = [r for r in records_of(records, "event.wait") if r["event"] == "gun"]
    woken = sorted({r["thread"] for r in waits if r["phase"] == "end"})
    through = sorted({r["thread"] for r in waits if r["phase"] == "instant"})
    parts = []
    if woken:
        parts.append(f"{_and(woken)} waited and {'were' if len(woken) > 1 else 'was'} woken by the one set()")
    if through:
        parts.append(f"{_and(through)} came after the shot and ran straight through")
    return Verdict(OK, "; ".join(parts))


RACERS = tuple(Role(n, racer, (n,)) for n in RUN_S)


EXPERIMENT = Experiment(
    name="start-gun",
    title="One Event starts every racer",
    watch=(
        "Ada and Basil wait at the line; the starter's set() wakes both at once. Cleo reaches "
        "the line after the shot: with the gun left set she runs straight through, with the "
        "gun cleared she waits for a shot that will never come again."
    ),
    lesson="An Event is a state, not a pulse: set() before wait() is not missed, unless you clear() it.",
    teaches="deadlock",
    wrong=Variant(setup, (Role("starter", starter_wrong), *RACERS), judge),
    right=Variant(setup, (Role("starter", starter_right), *RACERS), judge),
    interleavings=(
        Interleaving(
            "one late racer",
            "Ada and Basil wait before the shot; Cleo reaches the line after it",
            (
                Edge(Point("Ada", WAITS), Point("starter", "ready")),
                Edge(Point("Basil", WAITS), Point("starter", "ready")),
                Edge(Point("starter", ENDED), Point("Cleo", "at the line")),
            ),
        ),
        Interleaving(
            "all at the line",
            "every racer waits before the shot",
            tuple(Edge(Point(n, WAITS), Point("starter", "ready")) for n in RUN_S),
        ),
        Interleaving(
            "all late",
            "every racer reaches the line after the shot",
            tuple(Edge(Point("starter", ENDED), Point(n, "at the line")) for n in RUN_S),
        ),
    ),
)
