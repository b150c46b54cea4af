"""One lane per thread, coloured by state, scrolling with time.

Painting is incremental: the legend, lane labels and axis are drawn once into a pixmap (again
only when the size, the lanes or the style change), and the lanes into another whose pixel
columns are fixed to trace time. Each frame scrolls that pixmap by the columns time moved
and repaints only the columns that changed: the newest ones, and any a late record touched
(``Timeline.take_changes``). A frame costs a few rectangles however many segments there are.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QRect, QRectF, Qt
from PySide6.QtGui import QFont, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.engine.timeline import LANE_STATES, Timeline
from app.gui.theme import current_theme


class TimelineView(QWidget):
    def __init__(self, parent: QWidget | None = None, window_s: float = 20.0) -> None:
        super().__init__(parent)
        self.setObjectName("timelineView")
        self.setAccessibleName("Timeline: one lane per thread")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(80)
        # Every paint covers the whole widget: Qt need not paint what lies beneath first.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.timeline = Timeline()
        self.window_s = window_s
        self.now = 0.0
        self.theme = current_theme()
        self._chrome: QPixmap | None = None
        self._chrome_key: tuple = ()
        self._lanes_pix: QPixmap | None = None
        self._lanes_key: tuple = ()
        self._col = 0  # the absolute device-pixel column at the lane pixmap's right edge
        self._label_key: tuple = ()
        self._label_w = 0
        #: Columns repainted by the last frames (all columns: a full redraw); tests read it.
        self.columns_painted = 0

    def show_state(self, timeline: Timeline, now: float) -> None:
        self.timeline, self.now = timeline, now
        self.update()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange, QEvent.Type.PaletteChange):
            self._chrome_key = self._lanes_key = ()
        super().changeEvent(event)

    # -- geometry -----------------------------------------------------------------------
    def _layout(self) -> tuple[float, float, float, float, list[str]]:
        """label_w, top, lane_h, area_w and the lane names, in logical pixels."""
        fm = self.fontMetrics()
        u = fm.height()
        names = list(self.timeline.lanes)
        key = (tuple(names), self.font().key())
        if key != self._label_key:  # measuring every name every frame costs more than the lanes
            self._label_w = (
                max([fm.horizontalAdvance(n) for n in names] + [fm.horizontalAdvance("thread")]) + u
            )
            self._label_key = key
        label_w = self._label_w
        top = u * 1.6
        area_w = max(self.width() - label_w - 8, 10)
        lane_h = max(min((self.height() - top - u * 1.2) / max(len(names), 1), u * 1.4), 3.0)
        return label_w, top, lane_h, area_w, names

    def paintEvent(self, _event: object) -> None:  # noqa: N802 - Qt's name
        label_w, top, lane_h, area_w, names = self._layout()
        dpr = self.devicePixelRatioF()
        key = (self.size().toTuple(), dpr, id(self.theme), self.window_s, tuple(names))
        if key != self._chrome_key or self._chrome is None:
            self._chrome = self._paint_chrome(label_w, top, lane_h, area_w, names, dpr)
            self._chrome_key = key
        p = QPainter(self)
        p.drawPixmap(0, 0, self._chrome)
        if names:
            pix = self._lanes(area_w, lane_h, names, dpr, key)
            p.drawPixmap(QRectF(label_w, top, pix.width() / dpr, pix.height() / dpr), pix, QRectF(pix.rect()))
        p.end()

    def _paint_chrome(
        self, label_w: float, top: float, lane_h: float, area_w: float, names: list[str], dpr: float
    ) -> QPixmap:
        """Background, legend, lane labels and the time axis: what does not move."""
        pix = QPixmap(self.size() * dpr)
        pix.setDevicePixelRatio(dpr)
        t = self.theme
        p = QPainter(pix)
        p.fillRect(QRectF(0, 0, self.width(), self.height()), t.card)
        p.setFont(self.font())
        fm = self.fontMetrics()
        u = fm.height()
        x = 6.0
        for state in LANE_STATES:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(t.states[state])
            p.drawRoundedRect(QRectF(x, u * 0.3, u * 0.8, u * 0.8), 2, 2)
            p.setPen(t.muted)
            p.drawText(QRectF(x + u, 0, 300, u * 1.4), Qt.AlignmentFlag.AlignVCenter, state)
            x += u * 1.6 + fm.horizontalAdvance(state)
        if not names:
            p.setPen(t.muted)
            p.drawText(
                QRectF(0, 0, self.width(), self.height()), Qt.AlignmentFlag.AlignCenter, "No threads yet"
            )
            p.end()
            return pix
        small = QFont(self.font())
        small.setPointSizeF(max(self.font().pointSizeF() * min(lane_h / u, 1.0), 5.0))
        p.setFont(small)
        if lane_h >= u * 0.45:
            p.setPen(t.text)
            for i, name in enumerate(names):
                p.drawText(
                    QRectF(4, top + i * lane_h, label_w - 8, lane_h), Qt.AlignmentFlag.AlignVCenter, name
                )
        p.setFont(self.font())
        p.setPen(QPen(t.muted, 1))
        axis_y = top + len(names) * lane_h + 2
        scale = area_w / self.window_s
        p.drawLine(int(label_w), int(axis_y), int(label_w + area_w), int(axis_y))
        for k in range(0, int(self.window_s) + 1, 5):
            xk = label_w + area_w - k * scale
            p.drawLine(int(xk), int(axis_y), int(xk), int(axis_y + 4))
            box = QRectF(xk - 60, axis_y + 3, 60, u) if k == 0 else QRectF(xk - 30, axis_y + 3, 60, u)
            align = Qt.AlignmentFlag.AlignRight if k == 0 else Qt.AlignmentFlag.AlignHCenter
            p.drawText(box, align, "now" if k == 0 else f"-{k}s")
        p.end()
        return pix

    # -- the lanes, incrementally -----------------------------------------------------------
    def _lanes(self, area_w: float, lane_h: float, names: list[str], dpr: float, key: tuple) -> QPixmap:
        width = max(round(area_w * dpr), 1)
        lane_px = lane_h * dpr
        height = max(math.ceil(lane_px * len(names)), 1)
        scale = width / self.window_s  # device columns per second
        col_now = math.ceil(self.now * scale)
        changed = self.timeline.take_changes()
        pix = self._lanes_pix
        if (
            key != self._lanes_key
            or pix is None
            or pix.width() != width
            or pix.height() != height
            or col_now < self._col
            or col_now - self._col >= width
        ):
            pix = self._lanes_pix = QPixmap(width, height)
            self._lanes_key = key
            first = col_now - width
        else:
            shift = col_now - self._col
            if shift:
                pix.scroll(-shift, 0, pix.rect())
            # The column that held "now" last time (its open segments grew), and any column a
            # record that arrived late changed.
            first = self._col - 1
            if changed != float("inf"):
                first = min(first, math.floor(changed * scale))
            first = max(first, col_now - width)
        self._col = col_now
        base = col_now - width  # absolute column of the pixmap's x = 0
        self._paint_columns(pix, first - base, width, lane_px, names, scale, base)
        return pix

    def _paint_columns(
        self, pix: QPixmap, x_from: int, width: int, lane_px: float, names: list[str], scale: float, base: int
    ) -> None:
        """Repaint pixmap columns [x_from, width) from the segments (device pixels)."""
        if x_from >= width:
            return
        self.columns_painted += width - x_from
        t = self.theme
        states, fallback = t.states, t.muted
        p = QPainter(pix)
        p.fillRect(QRect(x_from, 0, width - x_from, pix.height()), t.card)
        t_from = (x_from + base) / scale
        now = self.now
        lanes = self.timeline.lanes
        for i, name in enumerate(names):
            lane = lanes.get(name)
            if lane is None:
                continue
            y = round(i * lane_px + lane_px * 0.15)
            h = max(round(lane_px * 0.7), 1)
            # Newest first, to the first segment that ends before the repainted columns.
            visible = []
            for seg in reversed(lane.segments):
                end = now if seg.end is None else seg.end
                if end < t_from:
                    break
                visible.append(seg)
            # Then oldest first: a later segment wins a column it shares with an earlier one.
            for seg in reversed(visible):
                end = now if seg.end is None else seg.end
                x0 = math.floor(seg.start * scale) - base
                x1 = min(max(math.floor(end * scale) - base, x0 + 1), width)  # at least a column
                x0 = max(x0, x_from)
                if x1 > x0:
                    p.fillRect(x0, y, x1 - x0, h, states.get(seg.state, fallback))
        p.end()
