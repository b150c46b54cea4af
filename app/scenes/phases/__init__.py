"""Phased computation: workers pass phase after phase together, a barrier per phase."""

from app.scenes.phases.spec import SCENE

__all__ = ["SCENE"]
