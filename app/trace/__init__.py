"""The trace: plain records of every synchronisation step, and their exports.

The bottom layer: it imports nothing else of the app, so every layer above may record.
"""

from app.trace.export import ChromeTraceWriter, JsonlWriter
from app.trace.format import FORMAT, WALL_FIELDS, TraceFormatError, read_trace, trace_header, without_wall
from app.trace.recorder import (
    Record,
    TraceRecorder,
    bind_thread_name,
    default_recorder,
    set_default_recorder,
    thread_name,
)

__all__ = [
    "FORMAT",
    "WALL_FIELDS",
    "ChromeTraceWriter",
    "JsonlWriter",
    "Record",
    "TraceFormatError",
    "TraceRecorder",
    "bind_thread_name",
    "default_recorder",
    "read_trace",
    "set_default_recorder",
    "thread_name",
    "trace_header",
    "without_wall",
]
