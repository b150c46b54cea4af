"""The trace: plain records of every synchronisation step, and their exports.

The bottom layer: it imports nothing else of the app, so every layer above may record.
"""

from app.trace.recorder import (
    Record,
    TraceRecorder,
    bind_thread_name,
    default_recorder,
    set_default_recorder,
    thread_name,
)

__all__ = [
    "Record",
    "TraceRecorder",
    "bind_thread_name",
    "default_recorder",
    "set_default_recorder",
    "thread_name",
]
