"""The event log: the trace as a table, newest at the bottom, filterable by kind.

Records arrive in many small batches (dozens a second). ``add`` only keeps them; the scene's
frame calls ``flush(FLUSH_S)``, so the table takes them in one insertion at most every
``FLUSH_S`` and repaints and scrolls a few times a second rather than once per batch. Nobody
reads a log scrolling at hundreds of rows a second any faster.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QTableView, QVBoxLayout, QWidget

from app.trace.recorder import Record

#: Record kind prefixes every scene has; a scene adds its own (``SceneSpec.log_filters``).
COMMON_FILTERS = ("barrier", "event", "worker", "fault", "shutdown")
FLUSH_S = 0.1
#: Flat scroll bars for the log (solid fills). Fusion draws a scroll bar's groove with a
#: gradient, and Qt's raster engine hands a gradient fill of more than 96 rows to its GUI
#: thread pool and waits for it: on a busy machine the log's scroll bar, repainted as rows
#: arrive, stalled the GUI thread for tens of milliseconds (measured up to 86 ms).
FLAT_SCROLLBARS = """
QScrollBar { background: palette(base); border: none; margin: 0; }
QScrollBar:vertical { width: 12px; }
QScrollBar:horizontal { height: 12px; }
QScrollBar::handle { background: palette(mid); border-radius: 4px; margin: 2px; }
QScrollBar::handle:vertical { min-height: 24px; }
QScrollBar::handle:horizontal { min-width: 24px; }
QScrollBar::handle:hover, QScrollBar::handle:pressed { background: palette(dark); }
QScrollBar::add-line, QScrollBar::sub-line { width: 0; height: 0; border: none; background: none; }
QScrollBar::add-page, QScrollBar::sub-page { background: none; }
"""
_Index = QModelIndex | QPersistentModelIndex


_NOT_DETAILS = frozenset(("seq", "ts", "sim", "thread", "kind", "trace"))


def _details(rec: Record) -> str:
    return "  ".join(f"{k}={v}" for k, v in rec.items() if k not in _NOT_DETAILS)


class TraceTableModel(QAbstractTableModel):
    HEADERS = ("time", "thread", "kind", "details")

    def __init__(self, capacity: int = 5000) -> None:
        super().__init__()
        self._rows: deque[Record] = deque()
        self.capacity = capacity
        self.prefix = ""

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = 0) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or not index.isValid():
            return None
        rec = self._rows[index.row()]
        col = index.column()
        if col == 0:
            return f"{rec['ts']:9.3f}"
        if col == 1:
            return rec["thread"]
        if col == 2:
            return rec["kind"]
        return _details(rec)

    def record(self, row: int) -> Record:
        """The record shown in ``row``."""
        return self._rows[row]

    def _wanted(self, rec: Record) -> bool:
        return not self.prefix or rec["kind"].startswith(self.prefix + ".")

    def add(self, records: list[Record]) -> None:
        fresh = [r for r in records if self._wanted(r)][-self.capacity :]
        if not fresh:
            return
        overflow = len(self._rows) + len(fresh) - self.capacity
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            for _ in range(overflow):
                self._rows.popleft()
            self.endRemoveRows()
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        self._rows.extend(fresh)
        self.endInsertRows()

    def refill(self, prefix: str, records: list[Record]) -> None:
        self.beginResetModel()
        self.prefix = prefix
        self._rows = deque(r for r in records if self._wanted(r))
        while len(self._rows) > self.capacity:
            self._rows.popleft()
        self.endResetModel()


class EventLog(QWidget):
    """A filter box over a table; keeps its own bounded history so a filter change refills."""

    def __init__(
        self, parent: QWidget | None = None, history: int = 20000, filters: tuple[str, ...] = ()
    ) -> None:
        super().__init__(parent)
        self.filters = ("all", *filters, *(f for f in COMMON_FILTERS if f not in filters))
        self.setObjectName("eventLog")
        self._history: deque[Record] = deque(maxlen=history)
        self.model = TraceTableModel()
        self._pending: deque[Record] = deque(maxlen=self.model.capacity)  # only the newest show
        self._flushed_at = 0.0
        self.filter = QComboBox(objectName="eventFilter")
        self.filter.addItems([f if f == "all" else f + ".*" for f in self.filters])
        self.filter.setToolTip("Show only records of one kind")
        self.filter.setAccessibleName("Event log filter")
        self.filter.currentIndexChanged.connect(self._filter_changed)
        self.table = QTableView(objectName="eventTable")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setColumnWidth(0, 80)
        self.table.setColumnWidth(1, 130)
        self.table.setColumnWidth(2, 130)
        self.table.setVerticalScrollMode(QTableView.ScrollMode.ScrollPerPixel)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        for bar in (self.table.verticalScrollBar(), self.table.horizontalScrollBar()):
            bar.setStyleSheet(FLAT_SCROLLBARS)
        top = QHBoxLayout()
        top.addWidget(QLabel("Event log", objectName="sectionTitle"))
        top.addStretch(1)
        top.addWidget(QLabel("&Show:", buddy=self.filter))
        top.addWidget(self.filter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table)

    def add(self, records: list[Record]) -> None:
        """Take a batch; the table shows it at the next ``flush``."""
        self._history.extend(records)
        self._pending.extend(records)

    def flush(self, min_interval_s: float = 0.0) -> None:
        """Show every record taken so far, unless the last flush was under ``min_interval_s`` ago."""
        if not self._pending:
            return
        now = time.monotonic()
        if now - self._flushed_at < min_interval_s:
            return
        self._flushed_at = now
        records = list(self._pending)
        self._pending.clear()
        bar = self.table.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 4
        self.model.add(records)
        if at_bottom:
            self.table.scrollToBottom()

    def clear(self) -> None:
        self._pending.clear()
        self._history.clear()
        self.model.refill(self.model.prefix, [])

    @Slot(int)
    def _filter_changed(self, index: int) -> None:
        choice = self.filters[index]
        self._pending.clear()  # the history holds them
        self.model.refill("" if choice == "all" else choice, list(self._history))
        self.table.scrollToBottom()
