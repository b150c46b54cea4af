"""Traced, drop-in replacements for ``threading.Barrier`` and ``threading.Event``, and a
``Phaser``: a barrier whose parties join and leave between phases."""

from threading import BrokenBarrierError

from app.sync.barrier import Barrier
from app.sync.event import Event
from app.sync.phaser import Phaser

__all__ = ["Barrier", "BrokenBarrierError", "Event", "Phaser"]
