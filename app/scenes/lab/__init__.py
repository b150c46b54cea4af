"""The pitfalls lab: each classic mistake with barriers and events, run wrong and right."""

from app.scenes.lab.spec import SCENE

__all__ = ["SCENE"]
