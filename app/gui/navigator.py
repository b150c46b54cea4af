"""Scene navigation that scales: a sidebar list beside a stack of pages, as desktop apps with
many views do (a tab strip gets crowded past five or six)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QStackedWidget, QWidget


class SceneNavigator(QWidget):
    """The list and the stack stay in step; the API is the part of QTabWidget callers use."""

    currentChanged = Signal(int)  # noqa: N815 - Qt naming

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sceneTabs")
        self.list = QListWidget(objectName="sceneList")
        self.list.setAccessibleName("Scenes")
        self.list.setToolTip("Choose a scene (Alt+1 … Alt+9)")
        self.list.setUniformItemSizes(True)
        self.list.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack = QStackedWidget(objectName="sceneStack")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.list)
        layout.addWidget(self.stack, 1)
        self.list.currentRowChanged.connect(self._row_changed)

    def addTab(self, page: QWidget, title: str, tip: str = "") -> int:  # noqa: N802 - QTabWidget's name
        item = QListWidgetItem(title)
        item.setToolTip(tip)
        item.setSizeHint(QSize(0, self.fontMetrics().height() * 2 + 4))
        self.list.addItem(item)
        index = self.stack.addWidget(page)
        bold = self.font()
        bold.setBold(True)  # the selected item is drawn bold
        fm = QFontMetrics(bold)
        widest = max(fm.horizontalAdvance(self.list.item(i).text()) for i in range(self.count()))
        self.list.setFixedWidth(widest + fm.height() * 4)
        if self.list.currentRow() < 0:
            self.list.setCurrentRow(0)
        return index

    def count(self) -> int:
        return self.stack.count()

    def widget(self, index: int) -> QWidget:
        return self.stack.widget(index)

    def currentIndex(self) -> int:  # noqa: N802
        return self.stack.currentIndex()

    def currentWidget(self) -> QWidget:  # noqa: N802
        return self.stack.currentWidget()

    def setCurrentIndex(self, index: int) -> None:  # noqa: N802
        self.list.setCurrentRow(index)

    def setCurrentWidget(self, page: QWidget) -> None:  # noqa: N802
        self.setCurrentIndex(self.stack.indexOf(page))

    @Slot(int)
    def _row_changed(self, row: int) -> None:
        if 0 <= row < self.stack.count() and row != self.stack.currentIndex():
            self.stack.setCurrentIndex(row)
            self.currentChanged.emit(row)
