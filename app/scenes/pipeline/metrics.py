"""Run figures whose memory does not grow with the run: a log-bucket histogram for latency
percentiles, and a time-weighted level (a queue's depth, a pool's size)."""

from __future__ import annotations

import math
from collections import Counter

#: Buckets grow by this ratio: a percentile is exact to within half of it (2.5 %).
RATIO = 1.05
_LOG_RATIO = math.log(RATIO)
_FLOOR = 1e-6  # seconds; anything shorter counts as this


class LogHistogram:
    """Counts values in buckets that grow by 5 %, so a million values take a few hundred
    counters; ``quantile`` answers within 2.5 % of the true value."""

    __slots__ = ("_buckets", "count", "max", "total")

    def __init__(self) -> None:
        self._buckets: Counter[int] = Counter()
        self.count = 0
        self.total = 0.0
        self.max = 0.0

    def add(self, value: float) -> None:
        v = value if value > _FLOOR else _FLOOR
        self._buckets[int(math.log(v / _FLOOR) / _LOG_RATIO)] += 1
        self.count += 1
        self.total += value
        if value > self.max:
            self.max = value

    def quantile(self, q: float) -> float:
        """The value below which a fraction ``q`` of the values lie (0.0 when empty)."""
        if not self.count:
            return 0.0
        rank = q * self.count
        seen = 0
        for bucket in sorted(self._buckets):
            seen += self._buckets[bucket]
            if seen >= rank:
                # The middle of the bucket (geometrically), never above the largest seen.
                return min(_FLOOR * RATIO ** (bucket + 0.5), self.max)
        return self.max

    def merge(self, other: LogHistogram) -> None:
        self._buckets.update(other._buckets)
        self.count += other.count
        self.total += other.total
        self.max = max(self.max, other.max)


class Level:
    """A level that changes now and then (a queue's depth, a pool's size), with its peak and
    its time-weighted mean. ``now`` is any monotonic clock, the same for every call."""

    __slots__ = ("_area", "_since", "_start", "peak", "value")

    def __init__(self, now: float, value: float = 0) -> None:
        self.value = value
        self.peak = value
        self._start = self._since = now
        self._area = 0.0

    def set(self, value: float, now: float) -> None:
        self._area += self.value * (now - self._since)
        self._since = now
        self.value = value
        if value > self.peak:
            self.peak = value

    def area(self, now: float) -> float:
        """The level integrated over time, up to ``now``."""
        return self._area + self.value * (now - self._since)

    def mean(self, now: float) -> float:
        span = now - self._start
        return self.area(now) / span if span > 0 else float(self.value)


__all__ = ["RATIO", "Level", "LogHistogram"]
