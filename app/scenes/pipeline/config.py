"""The pipeline's configuration: stages, pool sizes, batches, queues, work times, scale steps."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.engine.budget import RestartPolicy
from app.engine.faults import FaultPlan, SpecError

STAGES = ("load", "transform", "save")
#: The record a stage's worker makes when it has done its part of an item.
DONE_KINDS = ("item.loaded", "item.transformed", "item.written")
FAULT_KINDS = ("crash", "poison", "slow")
MIN_WORKERS, MAX_WORKERS = 1, 8
MAX_ITEMS = 10_000_000
#: How many dead letters the summary and the model keep (the count is kept in full).
DEAD_LETTERS_KEPT = 100
#: A pool's default restart budget: 20 restarts in 30 simulated seconds. At speed "max"
#: simulated time runs 1000x, so the window is 30 ms of wall time, in which a 1 % crash
#: rate at full speed makes about 5 crashes; 20 leaves room for bursts and still stops a
#: crash loop within milliseconds.
DEFAULT_RESTART = RestartPolicy(max_restarts=20, window_s=30.0)


def queue_name(into: int) -> str:
    """The queue that feeds stage ``into`` (1 or 2), as summaries name it."""
    return f"{STAGES[into - 1]}->{STAGES[into]}"


@dataclass(frozen=True)
class ScaleStep:
    """A scenario's scaling: at ``at_s`` simulated seconds after the start, ``stage`` gets
    ``workers`` workers."""

    at_s: float
    stage: str
    workers: int


def parse_workers(text: str) -> dict[str, int]:
    """``"load=2,transform=4,save=2"`` (any subset) -> counts; a bad one is a one-line ValueError."""
    out: dict[str, int] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if not sep:
            raise ValueError(f"workers {part!r} needs a count, as in {name or 'load'}=2")
        if name not in STAGES:
            raise ValueError(f"unknown stage {name!r} (known: {', '.join(STAGES)})")
        if name in out:
            raise ValueError(f"stage {name!r} is given twice")
        try:
            n = int(value)
        except ValueError:
            raise ValueError(f"workers for {name!r} must be a whole number, got {value.strip()!r}") from None
        if not MIN_WORKERS <= n <= MAX_WORKERS:
            raise ValueError(f"workers for {name!r} must be from {MIN_WORKERS} to {MAX_WORKERS}, got {n}")
        out[name] = n
    if not out:
        raise ValueError("workers needs at least one stage, as in load=2,transform=4,save=2")
    return out


@dataclass(frozen=True)
class PipelineConfig:
    items: int = 0  # fed when the pipeline starts (a headless run's length)
    workers: tuple[int, int, int] = (2, 4, 2)  # per stage, in STAGES order
    # Items per batch, at most. Every worker of a stage meets the others at the end of each
    # batch, so a batch costs each waiting worker two context switches: with 2/4/2 workers,
    # batches of 64 keep that to a quarter of a switch per item at "max" (8 would be two).
    # The window starts with 8, so that each round can be watched.
    batch_size: int = 64
    queue_capacity: int = 128  # items each queue between two stages holds, at most
    #: Simulated seconds one item takes in each stage (a range, drawn per item and attempt).
    work_s: tuple[tuple[float, float], ...] = ((0.2, 0.6), (0.4, 1.2), (0.2, 0.5))
    max_attempts: int = 3  # failures an item may have before it is dead-lettered
    slow_x: float = 6.0  # a slow worker takes this many times as long...
    slow_items: int = 4  # ...for this many items
    max_speed_slow_s: float = 0.002  # wall seconds a slow item takes at "max", where sim time is 0
    scale: tuple[ScaleStep, ...] = ()
    faults: FaultPlan = field(default_factory=lambda: FaultPlan(FAULT_KINDS))
    restart: RestartPolicy = DEFAULT_RESTART
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.items <= MAX_ITEMS:
            raise SpecError(f"items must be from 0 to {MAX_ITEMS}, got {self.items}")
        if len(self.workers) != len(STAGES):
            raise SpecError(f"workers needs one count per stage ({', '.join(STAGES)})")
        for name, n in zip(STAGES, self.workers, strict=True):
            if not MIN_WORKERS <= n <= MAX_WORKERS:
                raise SpecError(f"the {name} stage has {MIN_WORKERS} to {MAX_WORKERS} workers, got {n}")
        if not 1 <= self.batch_size <= 1000:
            raise SpecError(f"batch_size must be from 1 to 1000, got {self.batch_size}")
        if not 1 <= self.queue_capacity <= 10_000:
            raise SpecError(f"queue_capacity must be from 1 to 10000, got {self.queue_capacity}")
        if len(self.work_s) != len(STAGES):
            raise SpecError("work_s needs one [shortest, longest] range per stage")
        for name, (lo, hi) in zip(STAGES, self.work_s, strict=True):
            if not 0 < lo <= hi:
                raise SpecError(f"the {name} stage's work time must be positive and ordered, got {lo}..{hi}")
        if not 1 <= self.max_attempts <= 100:
            raise SpecError(f"max_attempts must be from 1 to 100, got {self.max_attempts}")
        if not 1 <= self.slow_x <= 100:
            raise SpecError(f"slow_x must be from 1 to 100, got {self.slow_x}")
        for step in self.scale:
            if step.stage not in STAGES:
                raise SpecError(f"scale: unknown stage {step.stage!r} (known: {', '.join(STAGES)})")
            if not MIN_WORKERS <= step.workers <= MAX_WORKERS:
                raise SpecError(
                    f"scale: workers must be from {MIN_WORKERS} to {MAX_WORKERS}, got {step.workers}"
                )
            if step.at_s < 0:
                raise SpecError(f"scale: at_s must not be negative, got {step.at_s}")


__all__ = [
    "DEAD_LETTERS_KEPT",
    "DEFAULT_RESTART",
    "DONE_KINDS",
    "FAULT_KINDS",
    "MAX_ITEMS",
    "MAX_WORKERS",
    "MIN_WORKERS",
    "STAGES",
    "PipelineConfig",
    "ScaleStep",
    "parse_workers",
    "queue_name",
]
