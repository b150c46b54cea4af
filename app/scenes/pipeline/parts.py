"""What the pipeline is made of: items in flight, the bounded queues, batches, worker slots
and stages. Plain state; the ``Pipeline`` guards it with its lock."""

from __future__ import annotations

import itertools
from collections import deque
from typing import Any

from app.scenes.pipeline.config import STAGES
from app.scenes.pipeline.metrics import Level
from app.sync import Phaser


class Item:
    """One item in flight. Made when it is loaded; dropped when it leaves the pipeline."""

    __slots__ = ("attempts", "fault", "fault_stage", "id", "t0", "worker")

    def __init__(self, item_id: int, fault: str, fault_stage: int) -> None:
        self.id = item_id
        self.attempts = 0  # failed attempts so far
        self.fault = fault  # "", or a fault of the plan, at ``fault_stage``
        self.fault_stage = fault_stage
        self.t0 = 0.0  # when it was first taken, on the pipeline's metrics clock (its latency)
        self.worker = ""  # who did the last part of it


class Buffer:
    """The bounded queue into a stage. ``reserved``: places the stage before it has claimed
    for the items of its batch under way, so publishing that batch never waits."""

    __slots__ = ("capacity", "items", "level", "reserved")

    def __init__(self, capacity: int, now: float) -> None:
        self.capacity = capacity
        self.items: deque[Item] = deque()
        self.reserved = 0
        self.level = Level(now)

    def room(self) -> int:
        return self.capacity - len(self.items) - self.reserved


class Batch:
    __slots__ = ("closing", "done", "items", "number", "taken")

    def __init__(self, number: int) -> None:
        self.number = number
        self.taken = 0  # items taken into this batch (failed ones too): at most batch_size
        self.items: set[Item] = set()  # in this batch now: being worked on, or done
        self.done: list[Item] = []  # done, in the order they were finished
        self.closing = False  # a worker found it complete: the others come to the barrier


class WorkerSlot:
    __slots__ = ("alive", "busy", "busy_s", "depth", "done", "name", "pending", "slow_left", "stage")

    def __init__(self, name: str, stage: int) -> None:
        self.name = name
        self.stage = stage
        self.alive = True
        self.busy = False  # working on an item
        self.pending = ""  # a crash asked for on demand; taken (under the lock) exactly once
        self.slow_left = 0  # items it will still take slowly
        self.depth = -1  # the input queue's depth after it took its item (-1: no queue)
        # Counted by the worker alone (no lock on the hot path); added to its stage's
        # totals when it ends.
        self.done = 0
        self.busy_s = 0.0


class Stage:
    def __init__(self, index: int, cv: Any, inbox: Buffer | None, outbox: Buffer | None) -> None:
        self.index = index
        self.name = STAGES[index]
        self.cv = cv  # a condition over the pipeline's lock (``control.condition``)
        self.waiters = 0  # workers waiting on cv (so a notify is made only when someone hears it)
        self.inbox = inbox
        self.outbox = outbox
        self.retry: deque[Item] = deque()  # sent back by the monitor; taken before the inbox
        self.batch = Batch(0)
        self.phaser: Phaser  # set by the pipeline
        self.slots: dict[str, WorkerSlot] = {}  # the living workers
        self.numbers = itertools.count(1)
        self.target = 0  # the pool size asked for
        self.leave_pending = 0  # workers asked to leave that have not left yet
        self.restarts_pending = 0  # crashed workers waiting for their backoff
        self.done = 0  # items this stage's departed workers did their part of
        self.failed = 0
        self.crashes = 0
        self.batches = 0
        self.busy_s = 0.0  # seconds (metrics clock) its departed workers spent on items
        self.pool: Level  # living workers over time (for utilisation)
        self.peak_target = 0


__all__ = ["Batch", "Buffer", "Item", "Stage", "WorkerSlot"]
