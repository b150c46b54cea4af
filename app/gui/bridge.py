"""Trace records cross from worker threads to the GUI thread here, coalesced.

A worker appends to a deque and, only if no wake-up is already pending, emits one signal;
the GUI-thread slot drains everything at once. However fast the workers go, the GUI thread
handles at most one queued call per drain, so it never floods.
"""

from __future__ import annotations

import threading
import time
from collections import deque

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal, Slot

from app.trace.recorder import Record, TraceRecorder


class TraceBridge(QObject):
    #: Emitted in the GUI thread with every record that arrived since the last batch (a list).
    #: Typed ``object``: the list is handed over as it is; a ``list`` signal would convert
    #: every record to a QVariantMap and back (tens of microseconds a batch, for nothing).
    batch = Signal(object)
    _wake = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("traceBridge")
        self._pending: deque[Record] = deque()
        self._lock = threading.Lock()
        self._scheduled = False
        self._unsubscribe: list = []
        self.latencies: deque[float] = deque(maxlen=2000)  # worker -> GUI, seconds
        # Always queued, also when a record is made in the GUI thread: no re-entrant drains.
        self._wake.connect(self._drain, Qt.ConnectionType.QueuedConnection)

    def attach(self, recorder: TraceRecorder) -> None:
        self._unsubscribe.append(recorder.subscribe(self._on_record))

    def detach(self) -> None:
        for unsubscribe in list(self._unsubscribe):
            unsubscribe()
        self._unsubscribe.clear()

    def _on_record(self, rec: Record) -> None:
        """Runs in the recording (worker) thread."""
        wake = orphaned = False
        with self._lock:
            self._pending.append(rec)
            if not self._scheduled:
                self._scheduled = wake = True
                self._first_at = time.perf_counter()
            else:
                # Undrained for long: if the GUI side was deleted without a detach, let go of
                # the recorder rather than buffer forever (checked rarely: it is the hot path).
                orphaned = len(self._pending) % 4096 == 0 and not shiboken6.isValid(self)
                if orphaned:
                    self._pending.clear()
        if wake:
            try:
                self._wake.emit()  # one queued call in flight at most: the coalescing
            except RuntimeError:  # the GUI side was deleted under us: never the worker's problem
                orphaned = True
        if orphaned:
            with self._lock:
                self._pending.clear()
            self.detach()  # safe from inside a callback: the recorder iterates a snapshot

    @Slot()
    def _drain(self) -> None:
        with self._lock:
            self._scheduled = False
            records = list(self._pending)
            self._pending.clear()
            first_at = getattr(self, "_first_at", None)
        if first_at is not None:
            self.latencies.append(time.perf_counter() - first_at)
        if records:
            self.batch.emit(records)

    def flush(self) -> None:
        """Drain now (GUI thread), e.g. right after a shutdown, so nothing is left behind."""
        self._drain()
