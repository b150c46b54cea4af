"""Fault plans: which faults happen, drawn from a seed so a run can be repeated."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


class SpecError(ValueError):
    """Bad user input; the message is one line that names the problem."""


@dataclass(frozen=True)
class Fault:
    kind: str
    target: str = ""  # a station or component name; "" lets the scene choose


@dataclass(frozen=True)
class FaultPlan:
    """Per-round fault rates (probabilities in [0, 1] that sum to at most 1)."""

    kinds: tuple[str, ...]
    rates: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rates", MappingProxyType(dict(self.rates)))

    @classmethod
    def parse(cls, spec: str, kinds: tuple[str, ...]) -> FaultPlan:
        """Parse ``"crash=0.05,burn=0.02"``; every problem is a one-line ``SpecError``."""
        rates: dict[str, float] = {}
        for item in (p.strip() for p in spec.split(",")):
            if not item:
                continue
            name, sep, value = item.partition("=")
            name = name.strip().lower()
            if not sep:
                raise SpecError(f"fault {item!r} needs a rate, as in {name}=0.05")
            if name not in kinds:
                raise SpecError(f"unknown fault kind {name!r} (known: {', '.join(kinds)})")
            if name in rates:
                raise SpecError(f"fault kind {name!r} is given twice")
            try:
                rate = float(value)
            except ValueError:
                raise SpecError(f"fault rate for {name!r} must be a number, got {value.strip()!r}") from None
            if not 0.0 <= rate <= 1.0:
                raise SpecError(f"fault rate for {name!r} must be from 0 to 1, got {value.strip()}")
            rates[name] = rate
        if sum(rates.values()) > 1.0 + 1e-9:
            raise SpecError(f"fault rates add up to {sum(rates.values()):g}; at most 1 is possible")
        return cls(kinds, rates)

    def draw(self, rng: SplitMix | random.Random, targets: list[str]) -> Fault | None:
        """At most one fault for a round, in a fixed kind order so a seed replays it."""
        if not self.rates or not targets:
            return None
        u = rng.random()
        acc = 0.0
        for kind in self.kinds:
            acc += self.rates.get(kind, 0.0)
            if u < acc:
                return Fault(kind, rng.choice(targets))
        return None

    def describe(self) -> str:
        return ",".join(f"{k}={self.rates[k]:g}" for k in self.kinds if k in self.rates) or "none"


_MASK = 0xFFFFFFFFFFFFFFFF


class SplitMix:
    """SplitMix64: a tiny generator that is cheap to create, for one round's few draws.

    ``random.Random`` costs microseconds to seed, and a round is seeded on the hot path.
    """

    __slots__ = ("_state",)

    def __init__(self, state: int) -> None:
        self._state = state & _MASK

    def random(self) -> float:
        self._state = z = (self._state + 0x9E3779B97F4A7C15) & _MASK
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return ((z ^ (z >> 31)) >> 11) * (1.0 / 9007199254740992.0)

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.random()

    def uniforms(self, a: float, b: float, n: int) -> list[float]:
        """``[self.uniform(a, b) for _ in range(n)]``, the same numbers, in one call."""
        z0 = self._state
        span = b - a
        out = []
        for _ in range(n):
            z0 = z = (z0 + 0x9E3779B97F4A7C15) & _MASK
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
            out.append(a + span * (((z ^ (z >> 31)) >> 11) * (1.0 / 9007199254740992.0)))
        self._state = z0
        return out

    def choice(self, seq: list[str]) -> str:
        return seq[int(self.random() * len(seq))]


def round_rng(seed: int, *key: object) -> SplitMix | random.Random:
    """A generator that depends only on the seed and ``key`` (never on thread timing)."""
    mixed = seed & _MASK
    for k in key:
        if not isinstance(k, int):
            break
        mixed = ((mixed ^ (k & _MASK)) * 0x100000001B3 + 0x9E3779B97F4A7C15) & _MASK
    else:
        return SplitMix(mixed)
    return random.Random(":".join(map(str, (seed, *key))))
