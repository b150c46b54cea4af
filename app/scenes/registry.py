"""Every scene, in the order the window lists them. A new scene is one line in ``PACKAGES``:
the name of its model package under ``app/scenes/``, whose ``SCENE`` says everything else."""

from __future__ import annotations

import importlib

from app.engine.contract import SceneSpec
from app.engine.faults import SpecError

PACKAGES = (
    "restaurant",
    "orchestrator",
    "dice",
    "phases",
    "pipeline",
    "lab",
)

SCENES: tuple[SceneSpec, ...] = tuple(importlib.import_module(f"app.scenes.{p}").SCENE for p in PACKAGES)


def names() -> list[str]:
    return [s.name for s in SCENES]


def get(name: str) -> SceneSpec:
    """The scene called ``name``; a one-line ``SpecError`` listing the known ones if none is."""
    for spec in SCENES:
        if spec.name == name:
            return spec
    raise SpecError(f"unknown scene {name!r} (known: {', '.join(names())})")
