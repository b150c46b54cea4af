"""Traced, drop-in replacements for ``threading.Barrier`` and ``threading.Event``."""

from threading import BrokenBarrierError

from app.sync.barrier import Barrier
from app.sync.event import Event

__all__ = ["Barrier", "BrokenBarrierError", "Event"]
