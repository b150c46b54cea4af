"""party-mismatch: a Barrier(3) and only two threads.

Wrong: each guest waits at the table with no timeout. The third place stays empty, and
both wait for ever: the watchdog names the hang within a second. Right: wait with a
timeout and handle ``BrokenBarrierError``: the first timeout breaks the barrier for both,
and each goes on knowing nobody else is coming.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.scenes.lab.experiment import OK, WRONG_RESULT, Experiment, Role, Variant, Verdict, records_of
from app.scenes.lab.gate import WAITS, Edge, Interleaving, Point, step
from app.scenes.lab.kit import Kit
from app.sync import Barrier, BrokenBarrierError
from app.trace.recorder import Record

ARRIVE_S = {"Ada": 0.3, "Basil": 0.6}


def setup(k: Kit) -> None:
    k.table = Barrier(3, name="table", recorder=k.trace)  # three places laid
    k.ate = []


def guest_wrong(k: Kit, name: str) -> None:
    k.work(ARRIVE_S[name])
    step("seated")
    k.table.wait()  # waits for a third guest who does not exist
    k.ate.append(name)


def guest_right(k: Kit, name: str) -> None:
    k.work(ARRIVE_S[name])
    step("seated")
    try:
        k.table.wait(timeout=k.secs(2.0))  # at most 2 s
    except BrokenBarrierError:  # a timeout breaks the barrier, for every guest waiting
        k.note(f"{name}: nobody else is coming, so eat")
    k.ate.append(name)


def judge(k: Kit, records: Sequence[Record]) -> Verdict:
    if sorted(k.ate) != sorted(ARRIVE_S):
        return Verdict(WRONG_RESULT, f"only {', '.join(k.ate) or 'nobody'} ate")
    broken = [r for r in records_of(records, "barrier.broken") if r.get("breaker")]
    cause = f" ({broken[0]['thread']}'s wait timed out)" if broken else ""
    return Verdict(OK, f"the timeout broke the barrier{cause}; both caught BrokenBarrierError and ate")


EXPERIMENT = Experiment(
    name="party-mismatch",
    title="Three places, two guests",
    watch=(
        "Barrier(3) with two threads. Without a timeout both guests wait for ever and the "
        "watchdog names the hang. With a timeout the barrier breaks and both handle it."
    ),
    lesson="Give a barrier's wait a timeout, and handle BrokenBarrierError.",
    teaches="deadlock",
    wrong=Variant(setup, tuple(Role(n, guest_wrong, (n,)) for n in ARRIVE_S), judge),
    right=Variant(setup, tuple(Role(n, guest_right, (n,)) for n in ARRIVE_S), judge),
    interleavings=(
        Interleaving(
            "Ada first", "Ada sits down first", (Edge(Point("Ada", WAITS), Point("Basil", "seated")),)
        ),
        Interleaving(
            "Basil first", "Basil sits down first", (Edge(Point("Basil", WAITS), Point("Ada", "seated")),)
        ),
    ),
)
