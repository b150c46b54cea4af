"""Restart intensity, as OTP supervisors count it: at most N restarts in T seconds."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class RestartPolicy:
    max_restarts: int = 5
    window_s: float = 30.0
    backoff_s: float = 0.5
    backoff_max_s: float = 4.0


class RestartBudget:
    """Decides whether one more restart is allowed and how long to back off first."""

    def __init__(self, policy: RestartPolicy) -> None:
        self.policy = policy
        self._times: deque[float] = deque()
        self.total = 0

    def _trim(self, now: float) -> None:
        while self._times and now - self._times[0] > self.policy.window_s:
            self._times.popleft()

    def allow(self, now: float) -> bool:
        """Count a restart at ``now`` if the budget has room; False means escalate."""
        self._trim(now)
        if len(self._times) >= self.policy.max_restarts:
            return False
        self._times.append(now)
        self.total += 1
        return True

    def backoff(self) -> float:
        """Doubles with every recent restart, so a crash loop slows itself down."""
        recent = max(len(self._times) - 1, 0)
        return min(self.policy.backoff_s * (2**recent), self.policy.backoff_max_s)

    def describe(self) -> str:
        return f"{self.policy.max_restarts} restarts in {self.policy.window_s:g} s"
