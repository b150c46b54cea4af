"""Every experiment of the lab, in the order the window lists them. Each module holds one
pair of variants as plain threading code (the code pane shows it as it is)."""

from __future__ import annotations

from app.scenes.lab.experiment import Experiment
from app.scenes.lab.experiments import (
    basics,
    game_over_race,
    index_zero,
    lost_wakeup,
    no_timeout_error,
    party_mismatch,
    set_before_wait,
    sleep_as_sync,
    start_gun,
)

EXPERIMENTS: tuple[Experiment, ...] = tuple(
    m.EXPERIMENT
    for m in (
        basics,
        start_gun,
        party_mismatch,
        index_zero,
        no_timeout_error,
        lost_wakeup,
        set_before_wait,
        sleep_as_sync,
        game_over_race,
    )
)


def names() -> list[str]:
    return [e.name for e in EXPERIMENTS]


def get(name: str) -> Experiment:
    for e in EXPERIMENTS:
        if e.name == name:
            return e
    raise ValueError(f"unknown experiment {name!r} (known: {', '.join(names())})")


def listing() -> str:
    """One line per experiment: name, what its wrong variant shows, title."""
    width = max(len(e.name) for e in EXPERIMENTS)
    return "\n".join(f"{e.name:<{width}}  wrong: {e.teaches:<12}  {e.title}" for e in EXPERIMENTS)


__all__ = ["EXPERIMENTS", "get", "listing", "names"]
