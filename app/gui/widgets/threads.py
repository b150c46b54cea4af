"""The Threads panel of a controlled run: one row per task, its state and its next operation.

A row is a button (``threadRow_<name>``): enabled only while the run is held at a choice and
that thread is one of those that could move; clicking it makes that thread the next to run
(``picked``). The panel draws what it is given (``show_tasks``) and knows nothing of the
scheduler: the scene asks the scheduler and passes the snapshot on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.gui.theme import current_theme

#: A row's state word -> the shared tone its light takes (app/gui/theme.py).
ROW_TONES = {
    "running": "working",
    "can move": "info",
    "ready": "info",
    "sleeping": "idle",
    "blocked": "waiting",
    "done": "stopped",
}


def row_state(task: Mapping[str, Any], held: Sequence[str]) -> str:
    """What a row says a task is doing, from one entry of ``Scheduler.tasks()``."""
    if task["state"] == "done":
        return "done"
    if task["name"] in held:
        return "can move"
    if task.get("current"):
        return "running"
    if task["state"] == "run":
        return "ready"
    return "sleeping" if task.get("deadline") is not None else "blocked"


class ThreadRow(QPushButton):
    """A thread's light, name, state word and next operation; a click picks it."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.setObjectName(f"threadRow_{name}")
        self.setProperty("role", "threadRow")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.light = QLabel(self)
        self.light.setFixedSize(10, 10)
        self.name_label = QLabel(name, self)
        self.name_label.setProperty("role", "threadName")
        self.state_label = QLabel("", self)
        self.state_label.setProperty("role", "caption")
        self.op_label = QLabel("", self)
        self.op_label.setProperty("role", "threadOp")
        self.op_label.setTextFormat(Qt.TextFormat.PlainText)
        for w in (self.light, self.name_label, self.state_label, self.op_label):
            w.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        head = QHBoxLayout()
        head.setSpacing(6)
        head.addWidget(self.light)
        head.addWidget(self.name_label, 1)
        head.addWidget(self.state_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 5, 8, 5)
        layout.setSpacing(1)
        layout.addLayout(head)
        layout.addWidget(self.op_label)
        self.state = ""
        self.label = ""
        self.setMinimumHeight(layout.sizeHint().height())

    def show_task(self, state: str, label: str) -> None:
        if state == self.state and label == self.label:
            return
        self.state, self.label = state, label
        colour = current_theme().tones.get(ROW_TONES.get(state, "idle"), QColor("#a9b4bf"))
        self.light.setStyleSheet(f"background: {colour.name()}; border-radius: 5px;")
        self.state_label.setText(state)
        self.op_label.setText(label)
        movable = state == "can move"
        self.setEnabled(movable)
        self.setProperty("movable", movable)
        self.style().unpolish(self)
        self.style().polish(self)
        self.setToolTip(
            f"{self.name}: next {label}. Click to let it take that step"
            if movable
            else f"{self.name} ({state}): next {label}"
        )
        self.setAccessibleName(f"{self.name}, {state}, next {label}")


class ThreadsPanel(QFrame):
    """A controlled run's threads (``threadsPanel``): a header naming the schedule, a line
    saying what the run is doing and what a click does, and a row per thread."""

    #: The user clicked a thread that could move: run it to its next scheduling point.
    picked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("threadsPanel")
        title = QLabel("Threads", objectName="sectionTitle")
        self.schedule_label = QLabel("", objectName="threadsSchedule")
        self.schedule_label.setProperty("role", "caption")
        self.hint_label = QLabel("", objectName="threadsHint")
        self.hint_label.setWordWrap(True)
        self.rows: dict[str, ThreadRow] = {}
        self._held: list[str] = []
        self._box = QWidget()
        self._rows_layout = QVBoxLayout(self._box)
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        self._rows_layout.setSpacing(4)
        self._rows_layout.addStretch(1)
        self.scroll = scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self._box)
        self.schedule_label.setWordWrap(True)  # its own line: beside the title it was cut off
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.addWidget(title)
        layout.addWidget(self.schedule_label)
        layout.addWidget(self.hint_label)
        layout.addWidget(scroll, 1)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 40)

    def show_tasks(
        self, tasks: Sequence[Mapping[str, Any]], held: Sequence[str], schedule: str, hint: str
    ) -> None:
        """Show ``tasks`` (``Scheduler.tasks()``), the choice the run is held at (``held``:
        who could move, empty when not held), the schedule's one-line description and a hint."""
        if self.schedule_label.text() != schedule:
            self.schedule_label.setText(schedule)
        if self.hint_label.text() != hint:
            self.hint_label.setText(hint)
        names = [t["name"] for t in tasks]
        if names != list(self.rows):
            self._rebuild(names)
        for t in tasks:
            self.rows[t["name"]].show_task(row_state(t, held), str(t["label"]))
        if held and held != self._held:  # a new choice: bring the first that can move into view
            first = next((self.rows[n] for n in names if n in held), None)
            if first is not None:
                self.scroll.ensureWidgetVisible(first)
        self._held = list(held)

    def ensure_visible(self, name: str) -> bool:
        """Scroll ``name``'s row into view (as a user would before clicking it); True once
        its middle is in view (a layout still settling may move it: ask again)."""
        row = self.rows.get(name)
        if row is None or not row.isVisibleTo(self):
            return False
        self.scroll.ensureWidgetVisible(row)
        viewport = self.scroll.viewport()
        middle = row.mapTo(viewport, QPoint(row.width() // 2, row.height() // 2))
        return viewport.rect().contains(middle)

    def clear(self) -> None:
        self._rebuild([])
        self.schedule_label.setText("")
        self.hint_label.setText("")

    def _rebuild(self, names: list[str]) -> None:
        old = self.rows
        self.rows = {}
        for name in names:
            row = old.pop(name, None)
            if row is None:
                row = ThreadRow(name, self._box)
                row.clicked.connect(lambda _checked=False, n=name: self.picked.emit(n))
            else:
                self._rows_layout.removeWidget(row)
            self.rows[name] = row
        for row in old.values():
            self._rows_layout.removeWidget(row)
            row.deleteLater()
        for i, row in enumerate(self.rows.values()):
            self._rows_layout.insertWidget(i, row)
            row.show()  # now, not when the layout gets round to it: it may be clicked next


__all__ = ["ROW_TONES", "ThreadRow", "ThreadsPanel", "row_state"]
