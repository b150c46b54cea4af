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

    ``serve`` and ``cancel`` take the lock and refuse an order that has already ended, so
    a race between a late serve and a shutdown cancel cannot count one order twice; a
    refused serve is kept in ``violations`` because in a correct kitchen it never happens.
    """

    def __init__(self, recorder: TraceRecorder) -> None:
        self._lock = threading.Lock()
        self._orders: dict[int, Order] = {}
        self._next = 1
        self._rec = recorder.record
        self.served = 0
        self.cancelled = 0
        self.reasons: Counter[str] = Counter()
        self.violations: list[str] = []

    def place(self) -> Order:
        with self._lock:
            order = Order(self._next)
            self._next += 1
            self._orders[order.id] = order
        self._rec("order.placed", order=order.id)
        return order

    def get(self, order_id: int) -> Order:
        return self._orders[order_id]

    def serve(self, order: Order) -> bool:
        with self._lock:
            if order.status != PENDING:
                self.violations.append(f"order {order.id} served after it was {order.status}")
                return False
            order.status = SERVED
            self.served += 1
            # Served orders are forgotten so memory stays flat on long runs.
            del self._orders[order.id]
        self._rec("order.served", order=order.id, attempts=order.attempts)
        return True

    def cancel(self, order: Order, reason: str) -> bool:
        with self._lock:
            if order.status != PENDING:
                return False
            order.status = CANCELLED
            order.reason = reason
            self.cancelled += 1
            self.reasons[reason] += 1
            del self._orders[order.id]
        self._rec("order.cancelled", order=order.id, reason=reason)
        return True

    @property
    def placed(self) -> int:
        return self._next - 1

    @property
    def open(self) -> int:
        """Orders placed that have not ended yet."""
        with self._lock:
            return len(self._orders)
