"""One lane per thread, coloured by state, scrolling with time."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFont, QPainter, QPen
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
        self.timeline = Timeline()
        self.window_s = window_s
        self.now = 0.0
        self.theme = current_theme()

    def show_state(self, timeline: Timeline, now: float) -> None:
        self.timeline, self.now = timeline, now
        self.update()

    def paintEvent(self, _event: object) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        t = self.theme
        p.fillRect(self.rect(), t.card)
        fm = self.fontMetrics()
        u = fm.height()
        lanes = list(self.timeline.lanes.values())
        label_w = (
            max([fm.horizontalAdvance(lane.thread) for lane in lanes] + [fm.horizontalAdvance("thread")]) + u
        )
        top = u * 1.6
        # Legend.
        x = 6.0
        for state in LANE_STATES:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(t.states[state])
            p.drawRoundedRect(QRectF(x, u * 0.3, u * 0.8, u * 0.8), 2, 2)
            p.setPen(t.muted)
            p.drawText(QRectF(x + u, 0, 300, u * 1.4), Qt.AlignmentFlag.AlignVCenter, state)
            x += u * 1.6 + fm.horizontalAdvance(state)
        if not lanes:
            p.setPen(t.muted)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No threads yet")
            p.end()
            return
        area_w = max(self.width() - label_w - 8, 10)
        lane_h = max(min((self.height() - top - u * 1.2) / len(lanes), u * 1.4), 3.0)
        t0 = self.now - self.window_s
        scale = area_w / self.window_s
        small = QFont(self.font())
        small.setPointSizeF(max(self.font().pointSizeF() * min(lane_h / u, 1.0), 5.0))
        p.setFont(small)
        for i, lane in enumerate(lanes):
            y = top + i * lane_h
            if lane_h >= u * 0.45:
                p.setPen(t.text)
                p.drawText(QRectF(4, y, label_w - 8, lane_h), Qt.AlignmentFlag.AlignVCenter, lane.thread)
            # Newest first: stop at the window's left edge, and skip segments that fall in a
            # pixel column already painted (a busy lane has far more segments than pixels).
            top_y, height = y + lane_h * 0.15, lane_h * 0.7
            painted_left = float("inf")
            for seg in reversed(lane.segments):
                end = self.now if seg.end is None else seg.end
                if end < t0:
                    break
                x0 = label_w + max(seg.start - t0, 0.0) * scale
                x1 = min(label_w + (end - t0) * scale, painted_left)
                if x1 - x0 < 1.0 and painted_left - x0 < 1.0:
                    continue
                p.fillRect(QRectF(x0, top_y, max(x1 - x0, 1.0), height), t.states.get(seg.state, t.muted))
                painted_left = x0
        p.setFont(self.font())
        # Time axis.
        p.setPen(QPen(t.muted, 1))
        axis_y = top + len(lanes) * lane_h + 2
        p.drawLine(int(label_w), int(axis_y), int(label_w + area_w), int(axis_y))
        for k in range(0, int(self.window_s) + 1, 5):
            xk = label_w + area_w - k * scale
            p.drawLine(int(xk), int(axis_y), int(xk), int(axis_y + 4))
            box = QRectF(xk - 60, axis_y + 3, 60, u) if k == 0 else QRectF(xk - 30, axis_y + 3, 60, u)
            align = Qt.AlignmentFlag.AlignRight if k == 0 else Qt.AlignmentFlag.AlignHCenter
            p.drawText(box, align, "now" if k == 0 else f"-{k}s")
        p.end()
