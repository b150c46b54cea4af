"""What an experiment is: a pair of variants, wrong and right, and the interleavings the lab
can force on them. The experiments themselves live in ``app/scenes/lab/experiments/``, one
module each, written as anyone writes threads with ``threading``."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.scenes.lab.gate import Interleaving
from app.scenes.lab.kit import Kit
from app.trace.recorder import Record

# Outcomes of a run, as the lab reports them.
OK, WRONG_RESULT, ERROR, DEADLOCK = "ok", "wrong-result", "error", "deadlock"
OUTCOMES = (DEADLOCK, WRONG_RESULT, ERROR, OK)
WRONG, RIGHT = "wrong", "right"
VARIANTS = (WRONG, RIGHT)
#: The interleaving index that forces nothing and takes no simulated time for work: with
#: ``--schedule`` the strategy alone orders the threads' steps (what ``explore`` runs).
ANY_ORDER = -1
ANY_INTERLEAVING = Interleaving(
    "any", "nothing forced, work takes no simulated time: the schedule alone orders the steps"
)


@dataclass(frozen=True)
class Verdict:
    outcome: str  # OK or WRONG_RESULT (deadlocks and errors the lab finds by itself)
    explanation: str  # one line


@dataclass(frozen=True)
class Role:
    """A thread of the experiment: its name and the function it runs, ``fn(k, *args)``."""

    name: str
    fn: Callable[..., None]
    args: tuple[Any, ...] = ()


#: Judges a run whose threads all ended: the kit as they left it and the run's records.
Judge = Callable[[Kit, Sequence[Record]], Verdict]


@dataclass(frozen=True)
class Variant:
    setup: Callable[[Kit], None]
    roles: tuple[Role, ...]
    judge: Judge
    #: What the window adds to a deadlock the watchdog named (e.g. "1 order waits in the queue").
    stuck: Callable[[Kit], str] = lambda _k: ""

    @property
    def functions(self) -> tuple[Callable[..., Any], ...]:
        """The code the code pane shows: the setup, then each role's function once."""
        out: list[Callable[..., Any]] = [self.setup]
        for role in self.roles:
            if role.fn not in out:
                out.append(role.fn)
        return tuple(out)


@dataclass(frozen=True)
class Experiment:
    name: str  # the CLI word
    title: str
    watch: str  # what to watch, for the window
    lesson: str  # the one-line moral
    teaches: str  # the outcome its wrong variant shows, every time: DEADLOCK, WRONG_RESULT or ERROR
    wrong: Variant
    right: Variant
    #: The first is the one the wrong variant fails under; the right one holds under all.
    interleavings: tuple[Interleaving, ...] = field(
        default_factory=lambda: (Interleaving("free", "no forcing"),)
    )

    def variant(self, which: str) -> Variant:
        if which not in VARIANTS:
            raise ValueError(f"variant must be wrong or right, got {which!r}")
        return self.wrong if which == WRONG else self.right

    def expected(self, which: str) -> str:
        """The outcome the lesson wants: the failure for the wrong variant, ok for the right."""
        return self.teaches if which == WRONG else OK

    def interleaving(self, index: int) -> Interleaving:
        if index == ANY_ORDER:
            return ANY_INTERLEAVING
        return self.interleavings[index % len(self.interleavings)]


@dataclass(frozen=True)
class Source:
    """One function's real source, as ``inspect`` finds it in its module's file."""

    name: str
    file: str
    first_line: int
    lines: tuple[str, ...]


def sources(variant: Variant) -> tuple[Source, ...]:
    """The real source of what the variant's threads run (not a copy): ``inspect``."""
    out = []
    for fn in variant.functions:
        lines, first = inspect.getsourcelines(fn)
        file = inspect.getsourcefile(fn) or ""
        out.append(Source(fn.__qualname__, file, first, tuple(line.rstrip("\n") for line in lines)))
    return tuple(out)


def records_of(records: Sequence[Record], kind: str) -> list[Record]:
    return [r for r in records if r["kind"] == kind]


__all__ = [
    "ANY_INTERLEAVING",
    "ANY_ORDER",
    "DEADLOCK",
    "ERROR",
    "OK",
    "OUTCOMES",
    "RIGHT",
    "VARIANTS",
    "WRONG",
    "WRONG_RESULT",
    "Experiment",
    "Judge",
    "Role",
    "Source",
    "Variant",
    "Verdict",
    "records_of",
    "sources",
]
