"""lost-wakeup: clear() racing set().

A worker sleeps on a "ready" Event while the queue is empty. Wrong: it checks the queue,
then clears "ready" and waits. If a producer puts an order and sets "ready" between the
check and the clear, the clear erases that set: the worker sleeps for ever with work
waiting. Right: check-and-clear and put-and-set each happen under the same lock, so the
producer cannot slip in between (a Condition or a queue.Queue does the same for you).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from app.scenes.lab.experiment import OK, WRONG_RESULT, Experiment, Role, Variant, Verdict
from app.scenes.lab.gate import WAITS, Edge, Interleaving, Point, step
from app.scenes.lab.kit import Kit, Lock
from app.sync import Event
from app.trace.recorder import Record


# -- wrong: check, then clear ------------------------------------------------------------------
def setup_wrong(k: Kit) -> None:
    k.queue = deque()
    k.ready = Event(name="ready", recorder=k.trace)
    k.processed = []


def worker_wrong(k: Kit) -> None:
    while not k.processed:  # one order to process
        if k.queue:
            k.processed.append(k.queue.popleft())
            continue
        step("checked")  # the queue looked empty ...
        k.ready.clear()  # ... so clear "ready" ...
        k.ready.wait()  # ... and sleep until a producer sets it


def producer_wrong(k: Kit) -> None:
    step("produce")
    k.queue.append("order 1")
    k.ready.set()  # wake the worker
    step("set")


# -- right: the same steps, under one lock ------------------------------------------------------
def setup_right(k: Kit) -> None:
    k.queue = deque()
    k.ready = Event(name="ready", recorder=k.trace)
    k.processed = []
    k.lock = Lock(name="queue lock", recorder=k.trace)


def worker_right(k: Kit) -> None:
    while not k.processed:
        with k.lock:  # check and clear as one step: no set can fall in between
            if k.queue:
                k.processed.append(k.queue.popleft())
                continue
            step("checked")
            k.ready.clear()
        k.ready.wait()


def producer_right(k: Kit) -> None:
    step("produce")
    with k.lock:  # put and set under the same lock
        k.queue.append("order 1")
        k.ready.set()
    step("set")


def judge(k: Kit, records: Sequence[Record]) -> Verdict:
    if k.processed != ["order 1"]:
        return Verdict(WRONG_RESULT, f"processed {k.processed}, with {len(k.queue)} left in the queue")
    return Verdict(OK, "the worker processed the order: no set() was lost")


def stuck(k: Kit) -> str:
    n = len(k.queue)
    return f"{n} order{'s' if n != 1 else ''} wait{'s' if n == 1 else ''} in the queue"


EXPERIMENT = Experiment(
    name="lost-wakeup",
    title="clear() races set()",
    watch=(
        "The worker finds the queue empty. Before it clears 'ready', the producer puts an "
        "order and sets 'ready'; the clear erases the set and the worker sleeps for ever with "
        "the order in the queue. Under the lock the producer has to wait its turn."
    ),
    lesson="Clear and set an Event under the same lock as the state it stands for (or use a Condition).",
    teaches="deadlock",
    wrong=Variant(
        setup_wrong, (Role("worker", worker_wrong), Role("producer", producer_wrong)), judge, stuck
    ),
    right=Variant(
        setup_right, (Role("worker", worker_right), Role("producer", producer_right)), judge, stuck
    ),
    interleavings=(
        Interleaving(
            "set between check and clear",
            "the producer puts and sets after the worker's check and before its clear",
            (
                Edge(Point("worker", "checked"), Point("producer", "produce")),
                Edge(Point("producer", "set"), Point("worker", "checked")),
            ),
        ),
        Interleaving(
            "set while waiting",
            "the producer puts and sets once the worker sleeps",
            (Edge(Point("worker", WAITS), Point("producer", "produce")),),
        ),
        Interleaving("free", "no forcing"),
    ),
)
