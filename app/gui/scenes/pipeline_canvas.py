"""The pipeline's flow: a column per stage (its workers as chips coloured by state, a
progress bar, + and - to scale it, its batch barrier drawn with the shared gate), the queues
between stages as tubes that fill, and a light per event."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Property, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.gui.theme import current_theme, tone_of
from app.gui.widgets.gate import BarrierGate
from app.scenes.pipeline import SCENE
from app.scenes.pipeline.view import (
    AT_BARRIER,
    BLOCKED,
    CRASHED,
    JOINING,
    LEFT,
    RESTARTING,
    WORKING,
    QueueView,
    StageView,
    WorkerView,
)

STAGE_COLOURS = {"load": "#3577d4", "transform": "#8a5cc9", "save": "#2e9d6a"}
EVENT_COLOURS = {"error": "#d64545", "drained": "#2e9d6a", "shutdown": "#6b7682"}
EVENT_TIPS = {
    "error": "Set by a worker that fails an item; the monitor wakes, retries or dead-letters "
    "it, restarts a crashed worker, and clears it",
    "drained": "Set while every item fed has ended (saved, dead-lettered or cancelled)",
    "shutdown": "The clock's shutdown Event: every sleeping or waiting worker wakes at once",
}


def short_name(thread: str) -> str:
    """ "transform-3" -> "3", "transform-3#2" -> "3·2" (a restart)."""
    tail = thread.rsplit("-", 1)[-1]
    return tail.replace("#", "·")


class EventLight(QWidget):
    """A lamp for one Event; ``lit`` is a Qt property tests and tools can read."""

    def __init__(self, event: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"eventLight_{event}")
        self.event_name = event  # not self.event: that is QWidget.event()
        self._lit = False
        self.colour = QColor(EVENT_COLOURS[event])
        self.setToolTip(EVENT_TIPS[event])
        self.setAccessibleName(f"{event} event: not set")
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def get_lit(self) -> bool:
        return self._lit

    def set_lit(self, value: bool) -> None:
        if value != self._lit:
            self._lit = value
            self.setAccessibleName(f"{self.event_name} event: {'set' if value else 'not set'}")
            self.update()

    lit = Property(bool, get_lit, set_lit)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        fm = self.fontMetrics()
        return QSize(fm.horizontalAdvance(self.event_name) + fm.height() * 2, int(fm.height() * 1.5))

    def paintEvent(self, _event: object) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        t = current_theme()
        u = self.fontMetrics().height()
        r = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        fill = QColor(self.colour) if self._lit else QColor(t.card)
        p.setPen(QPen(self.colour if self._lit else t.card_edge, 1.2))
        p.setBrush(fill)
        p.drawRoundedRect(r, r.height() / 2, r.height() / 2)
        dot = QRectF(r.x() + u * 0.35, r.center().y() - u * 0.25, u * 0.5, u * 0.5)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#ffffff") if self._lit else self.colour)
        p.drawEllipse(dot)
        p.setPen(QColor("#ffffff") if self._lit else t.muted)
        text = r.adjusted(u * 1.0, 0, -u * 0.3, 0)
        p.drawText(text, Qt.AlignmentFlag.AlignCenter, self.event_name)
        p.end()


class WorkerChips(QWidget):
    """A stage's workers as chips in two columns, coloured by state (the shared tones)."""

    def __init__(self, stage: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"workers_{stage}")
        self.stage = stage
        self.workers: list[WorkerView] = []
        self.now = 0.0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_workers(self, workers: list[WorkerView], now: float) -> None:
        shown = [(w.name, w.state, w.item, w.slow_left > 0) for w in workers]
        before = [(w.name, w.state, w.item, w.slow_left > 0) for w in self.workers]
        self.now = now
        if shown != before:
            self.workers = [WorkerView(**vars(w)) for w in workers]
            names = ", ".join(f"{w.name} {w.state}" for w in workers)
            self.setAccessibleName(f"{self.stage} workers: {names or 'none'}")
            self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        u = self.fontMetrics().height()
        return QSize(u * 16, int(u * 6.4))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        u = self.fontMetrics().height()
        return QSize(u * 10, int(u * 4.6))

    def paintEvent(self, _event: object) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        t = current_theme()
        font = self.font()
        fm = QFontMetricsF(font)
        u = fm.height()
        rows = max((len(self.workers) + 1) // 2, 4)
        gap = u * 0.3
        w = (self.width() - gap) / 2
        h = min((self.height() - gap * (rows - 1)) / rows, u * 1.7)
        bold = QFont(font)
        bold.setBold(True)
        for i, wv in enumerate(self.workers):
            col, row = i % 2, i // 2
            r = QRectF(col * (w + gap), row * (h + gap), w, h).adjusted(0.5, 0.5, -0.5, -0.5)
            colour = tone_of(t, SCENE.tones, wv.state)
            gone = wv.state in (CRASHED, RESTARTING, LEFT)
            fill = QColor(colour)
            fill.setAlpha(60 if wv.state in (LEFT, "stopped") else 235)
            pen = QPen(colour.darker(125), 1.2, Qt.PenStyle.DashLine if gone else Qt.PenStyle.SolidLine)
            p.setPen(pen)
            p.setBrush(fill)
            p.drawRoundedRect(r, h * 0.3, h * 0.3)
            light = wv.state in (LEFT, "stopped")
            p.setPen(t.text if light else QColor("#ffffff"))
            p.setFont(bold)
            inner = r.adjusted(u * 0.4, 0, -u * 0.4, 0)
            p.drawText(inner, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, short_name(wv.name))
            p.setFont(font)
            label = wv.state
            if wv.state == WORKING and wv.item:
                label = f"item {wv.item}"
            elif wv.state == BLOCKED:
                label = "queue full"
            elif wv.state == AT_BARRIER:
                label = "at barrier"
            elif wv.state == JOINING:
                label = "joins next batch"
            if wv.slow_left:
                label = "slow · " + label
            rest = inner.adjusted(fm.horizontalAdvance("88·8") + u * 0.2, 0, 0, 0)
            p.drawText(
                rest,
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                fm.elidedText(label, Qt.TextElideMode.ElideRight, rest.width()),
            )
        p.end()


class QueueTube(QWidget):
    """The bounded queue between two stages: a tube that fills from the bottom, an arrow for
    the flow, the depth over the capacity, and a red rim when it is full (back-pressure)."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"queue_{name}")
        self.queue = QueueView(1)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)

    def show_queue(self, q: QueueView) -> None:
        if (q.depth, q.capacity) != (self.queue.depth, self.queue.capacity):
            self.queue = QueueView(q.capacity, q.depth, q.peak)
            self.setAccessibleName(f"queue: {q.depth} of {q.capacity}")
            self.setToolTip(
                f"{q.depth} of {q.capacity} places taken (peak {q.peak}). When it is full the "
                "stage before it stops taking items: back-pressure."
            )
            self.update()
        self.queue.peak = q.peak

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        u = self.fontMetrics().height()
        return QSize(int(u * 4.2), u * 12)

    def paintEvent(self, _event: object) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        t = current_theme()
        fm = QFontMetricsF(self.font())
        u = fm.height()
        q = self.queue
        full = q.depth >= q.capacity
        tube = QRectF(self.width() / 2 - u * 0.9, u * 1.6, u * 1.8, self.height() - u * 4.4)
        # The flow arrow behind the tube.
        p.setPen(QPen(t.card_edge, u * 0.25, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        y = tube.center().y()
        p.drawLine(QPointF(0, y), QPointF(self.width() - u * 0.3, y))
        head = QPainterPath()
        head.moveTo(self.width() - 1, y)
        head.lineTo(self.width() - u * 0.7, y - u * 0.45)
        head.lineTo(self.width() - u * 0.7, y + u * 0.45)
        head.closeSubpath()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(t.card_edge)
        p.drawPath(head)
        # The tube and what is in it.
        p.setPen(QPen(t.tones["crashed"] if full else t.card_edge.darker(115), 2.0 if full else 1.2))
        p.setBrush(t.card)
        p.drawRoundedRect(tube, u * 0.4, u * 0.4)
        if q.capacity:
            inner = tube.adjusted(u * 0.2, u * 0.2, -u * 0.2, -u * 0.2)
            level = inner.height() * min(q.depth / q.capacity, 1.0)
            colour = QColor("#c48a12" if not full else t.tones["crashed"])
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour)
            p.drawRoundedRect(
                QRectF(inner.x(), inner.bottom() - level, inner.width(), level), u * 0.25, u * 0.25
            )
            # One tick per eighth of the capacity.
            p.setPen(QPen(t.card, 1.0))
            for k in range(1, 8):
                ty = inner.bottom() - inner.height() * k / 8
                p.drawLine(QPointF(inner.x(), ty), QPointF(inner.right(), ty))
        p.setPen(t.text)
        p.drawText(QRectF(0, 0, self.width(), u * 1.4), Qt.AlignmentFlag.AlignCenter, "queue")
        p.setPen(t.tones["crashed"] if full else t.muted)
        p.drawText(
            QRectF(0, tube.bottom() + u * 0.3, self.width(), u * 1.3),
            Qt.AlignmentFlag.AlignCenter,
            f"{q.depth}/{q.capacity}",
        )
        if full:
            p.drawText(
                QRectF(0, tube.bottom() + u * 1.5, self.width(), u * 1.3),
                Qt.AlignmentFlag.AlignCenter,
                "full",
            )
        p.end()


class StageColumn(QFrame):
    """One stage: header with its pool size and + / -, a progress bar, workers, batch gate."""

    def __init__(
        self,
        stage: str,
        add: Callable[[], None],
        remove: Callable[[], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"stage_{stage}")
        self.stage = stage
        colour = STAGE_COLOURS[stage]
        t = current_theme()
        self.setStyleSheet(
            f"QFrame#stage_{stage} {{ background: {t.card.name()}; border: 1px solid {t.card_edge.name()};"
            f" border-top: 4px solid {colour}; border-radius: 8px; }}"
        )
        self.title = QLabel(stage.capitalize(), self)
        self.title.setStyleSheet("font-weight: 600; font-size: 12pt; border: none;")
        self.pool = QLabel("", self, objectName=f"workerCount_{stage}")
        self.pool.setStyleSheet("border: none;")
        self.pool.setProperty("role", "caption")
        self.remove_button = QToolButton(self, objectName=f"removeWorker_{stage}")
        self.remove_button.setText("−")
        self.remove_button.setToolTip(
            f"One {stage} worker fewer: it signs off at the batch under way (arrive and "
            "deregister), so the batch barrier has one party fewer from the next batch on"
        )
        self.remove_button.setAccessibleName(f"Remove a {stage} worker")
        self.remove_button.clicked.connect(lambda _checked=False: remove())
        self.add_button = QToolButton(self, objectName=f"addWorker_{stage}")
        self.add_button.setText("+")
        self.add_button.setToolTip(
            f"One {stage} worker more: it registers with the batch barrier and joins at the next batch"
        )
        self.add_button.setAccessibleName(f"Add a {stage} worker")
        self.add_button.clicked.connect(lambda _checked=False: add())
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.pool, 1)
        head.addWidget(self.remove_button)
        head.addWidget(self.add_button)
        self.progress = QProgressBar(self, objectName=f"stageProgress_{stage}")
        self.progress.setFormat(f"%v of %m {'saved' if stage == 'save' else 'passed on'}")
        self.progress.setAccessibleName(f"{stage} progress")
        self.progress.setStyleSheet(
            f"QProgressBar {{ border: 1px solid {t.card_edge.name()}; border-radius: 4px; text-align: center;"
            f" background: {t.canvas.name()}; }} QProgressBar::chunk {{ background-color: {colour};"
            " border-radius: 3px; }"
        )
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.chips = WorkerChips(stage, self)
        self.gate = BarrierGate(self, f"batchGate_{stage}")
        small = self.gate.font()
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.gate.setFont(small)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(5)
        layout.addLayout(head)
        layout.addWidget(self.progress)
        layout.addWidget(self.chips, 1)
        layout.addWidget(self.gate)

    def show_stage(self, st: StageView, placed: int, now: float) -> None:
        alive = st.alive
        text = f"{st.target} workers" if alive == st.target else f"{alive} → {st.target} workers"
        if self.pool.text() != text:
            self.pool.setText(text)
        top = max(placed, 1)
        if self.progress.maximum() != top:
            self.progress.setRange(0, top)
        if self.progress.value() != min(st.passed, top):
            self.progress.setValue(min(st.passed, top))
        self.chips.show_workers(list(st.workers.values()), now)
        colour = QColor(STAGE_COLOURS[self.stage])
        self.gate.show_view(st.barrier, now, label=short_name, colour=lambda _thread: colour, title="Barrier")


__all__ = [
    "EVENT_COLOURS",
    "STAGE_COLOURS",
    "EventLight",
    "QueueTube",
    "StageColumn",
    "WorkerChips",
    "short_name",
]
