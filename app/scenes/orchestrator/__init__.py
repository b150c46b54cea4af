"""The system orchestrator: components start in dependency order through a state machine."""

from app.scenes.orchestrator.spec import SCENE

__all__ = ["SCENE"]
