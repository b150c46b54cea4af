"""State lights (widgets with a ``lit`` property) and the component map with dependency arrows."""

from __future__ import annotations

import math

from PySide6.QtCore import Property, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen, QRadialGradient
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.gui.theme import current_theme
from app.scenes.orchestrator.view import (
    FAILED,
    NOT_STARTED,
    RESTARTING,
    STARTING,
    STOPPED,
    WORKING,
    SystemView,
)

STATE_COLOURS = {
    "INITIALIZING": "#3577d4",
    "READY": "#2e9d6a",
    "PROCESSING": "#1f8a8a",
    "ERROR": "#d64545",
    "SHUTDOWN": "#6b7682",
}
COMPONENT_COLOURS = {
    "not started": "#a9b4bf",
    "waiting": "#8a7fd6",
    "starting": "#3577d4",
    "ready": "#2e9d6a",
    "working": "#1f8a8a",
    "failed": "#d64545",
    "restarting": "#e07a2e",
    "stopped": "#6b7682",
}


class StateLight(QWidget):
    """One lamp per system state; ``lit`` is a Qt property so tests and tools can read it."""

    def __init__(self, state: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"stateLight_{state}")
        self.setAccessibleName(f"{state} light")
        self.state = state
        self._lit = False
        self.phase = 0.0
        self.colour = QColor(STATE_COLOURS[state])
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def get_lit(self) -> bool:
        return self._lit

    def set_lit(self, value: bool) -> None:
        if value != self._lit:
            self._lit = value
            self.setToolTip(f"{self.state}: {'the current state' if value else 'not the current state'}")
            self.update()

    lit = Property(bool, get_lit, set_lit)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        fm = self.fontMetrics()
        return QSize(fm.horizontalAdvance(self.state) + fm.height() * 3, fm.height() * 3)

    def pulse(self, now: float) -> None:
        self.phase = now
        if self._lit:
            self.update()

    def paintEvent(self, _event: object) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        t = current_theme()
        fm = self.fontMetrics()
        u = fm.height()
        r = u * 0.7
        c = QPointF(u * 1.2, self.height() / 2)
        if self._lit:
            glow = QRadialGradient(c, r * 2.2)
            halo = QColor(self.colour)
            halo.setAlpha(int(110 + 70 * math.sin(self.phase * 4)))
            glow.setColorAt(0.0, halo)
            glow.setColorAt(1.0, QColor(0, 0, 0, 0))
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(glow)
            p.drawEllipse(c, r * 2.2, r * 2.2)
        fill = QColor(self.colour) if self._lit else QColor(self.colour).lighter(170)
        if not self._lit:
            fill.setAlpha(110)
        p.setPen(QPen(QColor(self.colour).darker(130), 1.2))
        p.setBrush(fill)
        p.drawEllipse(c, r, r)
        f = QFont(self.font())
        f.setBold(self._lit)
        p.setFont(f)
        p.setPen(t.text if self._lit else t.muted)
        p.drawText(
            QRectF(c.x() + r * 1.6, 0, self.width(), self.height()), Qt.AlignmentFlag.AlignVCenter, self.state
        )
        p.end()


class SystemCanvas(QWidget):
    """Component cards in dependency columns, arrows from each dependency to its dependant."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("systemCanvas")
        self.setAccessibleName("Components and their dependencies")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(420, 200)
        self.view = SystemView()
        self.now = 0.0
        self.theme = current_theme()

    def show_state(self, view: SystemView, now: float) -> None:
        self.view, self.now = view, now
        self.update()

    def _levels(self) -> dict[str, int]:
        levels: dict[str, int] = {}

        def level(n: str) -> int:
            if n not in levels:
                deps = self.view.components[n].depends_on
                levels[n] = 1 + max((level(d) for d in deps), default=-1)
            return levels[n]

        for n in self.view.components:
            level(n)
        return levels

    def paintEvent(self, _event: object) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        t = self.theme
        p.fillRect(self.rect(), t.canvas)
        comps = self.view.components
        if not comps:
            p.end()
            return
        u = max(self.fontMetrics().height(), 12)
        levels = self._levels()
        columns = max(levels.values()) + 1
        by_level: dict[int, list[str]] = {}
        for n in comps:
            by_level.setdefault(levels[n], []).append(n)
        margin = u
        col_w = (self.width() - 2 * margin) / columns
        card_w = min(col_w * 0.7, u * 16)
        rects: dict[str, QRectF] = {}
        for lvl, names in by_level.items():
            row_h = (self.height() - 2 * margin) / len(names)
            card_h = min(row_h * 0.75, u * 6.5)
            for i, n in enumerate(names):
                x = margin + lvl * col_w + (col_w - card_w) / 2
                y = margin + i * row_h + (row_h - card_h) / 2
                rects[n] = QRectF(x, y, card_w, card_h)
        for n, c in comps.items():  # arrows first, under the cards
            for d in c.depends_on:
                self._arrow(p, rects[d], rects[n], comps[d].status in ("ready", "working"))
        for n, c in comps.items():
            self._card(p, rects[n], c)
        p.end()

    def _arrow(self, p: QPainter, a: QRectF, b: QRectF, satisfied: bool) -> None:
        t = self.theme
        start = QPointF(a.right(), a.center().y())
        end = QPointF(b.left(), b.center().y())
        colour = QColor(COMPONENT_COLOURS["ready"]) if satisfied else t.muted
        pen = QPen(colour, 2.0, Qt.PenStyle.SolidLine if satisfied else Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        path = QPainterPath(start)
        mid = (start.x() + end.x()) / 2
        path.cubicTo(QPointF(mid, start.y()), QPointF(mid, end.y()), end)
        p.drawPath(path)
        size = 8.0
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        head = QPainterPath(end)
        head.lineTo(end.x() - size, end.y() - size * 0.55)
        head.lineTo(end.x() - size, end.y() + size * 0.55)
        head.closeSubpath()
        p.drawPath(head)

    def _card(self, p: QPainter, r: QRectF, c) -> None:
        t = self.theme
        colour = QColor(COMPONENT_COLOURS.get(c.status, "#a9b4bf"))
        p.setPen(QPen(colour if c.status not in (NOT_STARTED, STOPPED) else t.card_edge, 1.6))
        p.setBrush(t.card)
        p.drawRoundedRect(r, 8, 8)
        u = self.fontMetrics().height()
        # The component's light.
        light_c = QPointF(r.x() + u * 1.1, r.y() + u * 1.1)
        if c.status in (STARTING, WORKING, RESTARTING):
            halo = QColor(colour)
            halo.setAlpha(int(90 + 60 * math.sin(self.now * 6)))
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(halo)
            p.drawEllipse(light_c, u * 0.75, u * 0.75)
        p.setPen(QPen(colour.darker(130), 1))
        p.setBrush(colour)
        p.drawEllipse(light_c, u * 0.45, u * 0.45)
        f = QFont(self.font())
        f.setBold(True)
        p.setFont(f)
        p.setPen(t.text)
        p.drawText(
            QRectF(r.x() + u * 2.0, r.y() + u * 0.4, r.width() - u * 2.4, u * 1.4),
            Qt.AlignmentFlag.AlignVCenter,
            c.name,
        )
        p.setFont(self.font())
        status = c.status
        if c.status == RESTARTING:
            status = f"restarting in {max(c.restart_at - self.now, 0.0):.1f}s"
        elif c.status == FAILED and c.reason:
            status = f"failed: {c.reason}"
        p.setPen(colour.darker(115))
        fm = self.fontMetrics()
        p.drawText(
            QRectF(r.x() + u * 0.6, r.y() + u * 2.0, r.width() - u * 1.2, u * 1.3),
            Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(status, Qt.TextElideMode.ElideRight, int(r.width() - u * 1.2)),
        )
        if r.height() > u * 4.6:
            p.setPen(t.muted)
            info = f"{c.worker or '—'}   done {c.ticks}   restarts {c.restarts}"
            p.drawText(
                QRectF(r.x() + u * 0.6, r.y() + u * 3.4, r.width() - u * 1.2, u * 1.3),
                Qt.AlignmentFlag.AlignVCenter,
                fm.elidedText(info, Qt.TextElideMode.ElideRight, int(r.width() - u * 1.2)),
            )
