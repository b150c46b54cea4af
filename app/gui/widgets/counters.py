"""Big integer counters with captions under them; tests find each value by its objectName."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget


class CounterPanel(QWidget):
    """One column per counter: the value (a QLabel named by the caller) over its caption."""

    def __init__(self, counters: Sequence[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("counterPanel")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.labels: dict[str, QLabel] = {}
        for col, (name, caption) in enumerate(counters):
            value = QLabel("0", self, objectName=name)
            value.setProperty("role", "counter")
            value.setAlignment(Qt.AlignmentFlag.AlignCenter)
            value.setAccessibleName(caption)
            cap = QLabel(caption, self)
            cap.setProperty("role", "caption")
            cap.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(value, 0, col)
            grid.addWidget(cap, 1, col)
            self.labels[name] = value

    def add_text(self, name: str, caption: str) -> QLabel:
        """A column whose value is a word (a state's name), styled like the numbers."""
        grid = self.layout()
        assert isinstance(grid, QGridLayout)
        col = grid.columnCount()
        value = QLabel("", self, objectName=name)
        value.setProperty("role", "counter")
        value.setAlignment(Qt.AlignmentFlag.AlignCenter)
        value.setAccessibleName(caption)
        cap = QLabel(caption, self)
        cap.setProperty("role", "caption")
        cap.setAlignment(Qt.AlignmentFlag.AlignCenter)
        grid.addWidget(value, 0, col)
        grid.addWidget(cap, 1, col)
        return value

    def set(self, name: str, value: int) -> None:
        label = self.labels[name]
        text = str(value)
        if label.text() != text:  # setText repaints even when nothing changed
            label.setText(text)

    def set_values(self, values: Mapping[str, int]) -> None:
        for name, value in values.items():
            self.set(name, value)

    def value(self, name: str) -> int:
        return int(self.labels[name].text())


__all__ = ["CounterPanel"]
