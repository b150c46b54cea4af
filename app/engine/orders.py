"""The order ledger: every order placed ends exactly once, served or cancelled."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from app.trace.recorder import TraceRecorder

PENDING, SERVED, CANCELLED = "pending", "served", "cancelled"


@dataclass
class Order:
    id: int
    attempts: int = 0
    status: str = PENDING
    reason: str = ""
    plan: tuple[Any, ...] | None = None  # (members, parts, fault) drawn when placed


class OrderBook:
    """The single source of truth for how each order ended.

    Only open orders are held as objects; an order that ended leaves nothing but counters,
    so memory stays flat however long the run. ``serve`` and ``cancel`` take the lock and
    end an order only if it is still open, so a race between a late serve and a shutdown
    cancel cannot count one order twice; a refused serve is kept in ``violations`` because
    in a correct kitchen it never happens.
    """

    def __init__(self, recorder: TraceRecorder) -> None:
        self._lock = threading.Lock()
        self._open: dict[int, Order] = {}
        self._next = 1
        self._rec = recorder.record
        self._emit = recorder.emit  # the hot records, as literal dicts (the same records)
        self.served = 0
        self.cancelled = 0
        self.reasons: Counter[str] = Counter()
        self.violations: list[str] = []

    def place(self) -> Order:
        with self._lock:
            order = Order(self._next)
            self._next += 1
            self._open[order.id] = order
        self._rec("order.placed", order=order.id)
        return order

    def place_many(self, count: int) -> list[Order]:
        """``count`` orders placed under one hold of the lock (ids in order), each with its
        ``order.placed`` record, as ``place`` would give them one by one."""
        with self._lock:
            first = self._next
            self._next += count
            orders = [Order(i) for i in range(first, first + count)]
            self._open.update(zip(range(first, first + count), orders, strict=True))
        emit = self._emit
        for order_id in range(first, first + count):
            emit({"seq": 0, "ts": 0.0, "sim": 0.0, "thread": "", "kind": "order.placed", "order": order_id})
        return orders

    def get(self, order_id: int) -> Order:
        """An open order (KeyError once it has ended: ended orders are not kept)."""
        return self._open[order_id]

    def serve(self, order: Order) -> bool:
        with self._lock:
            if self._open.pop(order.id, None) is None:
                ended = order.status if order.status != PENDING else "not open"
                self.violations.append(f"order {order.id} served after it was {ended}")
                return False
            order.status = SERVED
            self.served += 1
        self._emit(
            {
                "seq": 0,
                "ts": 0.0,
                "sim": 0.0,
                "thread": "",
                "kind": "order.served",
                "order": order.id,
                "attempts": order.attempts,
            }
        )
        return True

    def cancel(self, order: Order, reason: str) -> bool:
        with self._lock:
            if self._open.pop(order.id, None) is None:
                return False  # it ended first (a late serve won): nothing to cancel
            order.status = CANCELLED
            order.reason = reason
            self.cancelled += 1
            self.reasons[reason] += 1
        self._rec("order.cancelled", order=order.id, reason=reason)
        return True

    def cancel_unplaced(self, count: int, reason: str) -> None:
        """Orders asked for but never made because the run ended first: each is placed
        and cancelled at once, with both records, so the trace accounts for every one."""
        if count <= 0:
            return
        with self._lock:
            first = self._next
            self._next += count
            self.cancelled += count
            self.reasons[reason] += count
        rec = self._rec
        for order_id in range(first, first + count):
            rec("order.placed", order=order_id)
            rec("order.cancelled", order=order_id, reason=reason)

    @property
    def placed(self) -> int:
        return self._next - 1

    @property
    def open(self) -> int:
        """Orders placed that have not ended yet."""
        with self._lock:
            return len(self._open)
