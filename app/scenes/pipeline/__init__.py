"""The data pipeline: Load → Transform → Save, worker pools, bounded queues, batch barriers."""

from app.scenes.pipeline.spec import SCENE

__all__ = ["SCENE"]
