"""The kitchen, drawn: ticket rail, chef stations, the barrier as a gate, and the pass."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.gui.theme import Theme, current_theme, tone_of
from app.scenes.restaurant import SCENE
from app.scenes.restaurant.view import (
    CRASHED,
    IDLE,
    PREPARING,
    RESTARTING,
    SERVING,
    STOPPED,
    WAITING,
    WALKED_OUT,
    KitchenView,
    StationView,
)

GATE_OPEN_S = 0.45  # how long the gate shows open after a release (wall seconds)
GATE_BROKEN_S = 1.2
TICKET_WARM_S, TICKET_LATE_S = 6.0, 15.0  # simulated seconds waiting, as kitchen displays age


_HAT: list[QPainterPath] = []


def _unit_hat() -> QPainterPath:
    """A chef's hat around (0, 0) for a head radius of 1; built once (path unions are slow)."""
    if not _HAT:
        hat = QPainterPath()
        hat.addRoundedRect(QRectF(-0.36, -0.98, 0.72, 0.5), 0.06, 0.06)
        for dx, dy in ((-0.24, 1.0), (0.0, 1.12), (0.24, 1.0)):
            puff = QPainterPath()
            puff.addEllipse(QPointF(dx, -dy), 0.24, 0.22)
            hat = hat.united(puff)
        _HAT.append(hat)
    return _HAT[0]


class KitchenCanvas(QWidget):
    """Paints a KitchenView; owns no state of its own beyond what to draw."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kitchenCanvas")
        self.setAccessibleName("Kitchen: stations, barrier gate, queue and pass")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(480, 220)
        self.view = KitchenView()
        self.now = 0.0
        self.speed: float | None = 1.0
        self.paused = False
        self.theme: Theme = current_theme()

    def show_state(self, view: KitchenView, now: float, speed: float | None, paused: bool) -> None:
        self.view, self.now, self.speed, self.paused = view, now, speed, paused
        self.update()

    # -- geometry ---------------------------------------------------------------------
    def _unit(self) -> float:
        return max(self.fontMetrics().height(), 12) * 1.0

    def paintEvent(self, _event: object) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        t = self.theme
        p.fillRect(self.rect(), t.canvas)
        u = self._unit()
        w, h = float(self.width()), float(self.height())
        rail_w = max(7 * u, w * 0.14)
        pass_w = max(7 * u, w * 0.14)
        self._paint_rail(p, QRectF(u * 0.6, u * 0.6, rail_w, h - u * 1.2))
        self._paint_pass(p, QRectF(w - pass_w - u * 0.6, u * 0.6, pass_w, h - u * 1.2))
        mid = QRectF(rail_w + u * 1.4, u * 0.6, w - rail_w - pass_w - u * 2.8, h - u * 1.2)
        gate_h = 3.2 * u
        self._paint_stations(p, QRectF(mid.x(), mid.y(), mid.width(), mid.height() - gate_h - u * 0.5))
        self._paint_gate(p, QRectF(mid.x(), mid.bottom() - gate_h, mid.width(), gate_h))
        if self.paused:
            self._banner(p, "Paused: dishes on the stove finish, no new dish starts")
        elif self.view.status != "open":
            text = "Kitchen closed" if self.view.status == "closed" else "Shutting down…"
            if self.view.reason:
                text += f": {self.view.reason}"
            self._banner(p, text)
        p.end()

    def _card(self, p: QPainter, r: QRectF, fill: QColor | None = None, edge: QColor | None = None) -> None:
        p.setPen(QPen(edge or self.theme.card_edge, 1.2))
        p.setBrush(fill or self.theme.card)
        p.drawRoundedRect(r, 8, 8)

    def _title(self, p: QPainter, r: QRectF, text: str) -> None:
        f = QFont(self.font())
        f.setBold(True)
        p.setFont(f)
        p.setPen(self.theme.muted)
        p.drawText(r, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, text)
        p.setFont(self.font())

    # -- queue rail -------------------------------------------------------------------
    def _paint_rail(self, p: QPainter, r: QRectF) -> None:
        u = self._unit()
        self._card(p, r)
        inner = r.adjusted(u * 0.5, u * 0.4, -u * 0.5, -u * 0.4)
        self._title(p, inner, f"Queue  {self.view.queued}")
        y = inner.y() + u * 1.5
        th = u * 1.7
        factor = self.speed or 1.0
        items = list(self.view.queue.items())
        fits = max(int((inner.bottom() - y) // (th + u * 0.35)), 1)
        shown = items[: fits - 1] if len(items) > fits else items
        for order, placed in shown:
            age = (self.now - placed) * factor
            self._ticket(p, QRectF(inner.x(), y, inner.width(), th), order, self._age_color(age), age)
            y += th + u * 0.35
        if len(items) > len(shown):
            p.setPen(self.theme.muted)
            p.drawText(
                QRectF(inner.x(), y, inner.width(), th),
                Qt.AlignmentFlag.AlignCenter,
                f"+{len(items) - len(shown)} more",
            )

    def _age_color(self, age_s: float) -> QColor:
        t = self.theme
        if age_s < TICKET_WARM_S:
            return t.ticket_fresh
        if age_s < TICKET_LATE_S:
            return t.ticket_warm
        return t.ticket_late

    def _ticket(self, p: QPainter, r: QRectF, order: int, fill: QColor, age: float | None) -> None:
        p.setPen(QPen(fill.darker(130), 1))
        p.setBrush(fill)
        p.drawRoundedRect(r, 4, 4)
        p.setPen(QColor("#2b2f36"))
        label = f"#{order}"
        p.drawText(r.adjusted(6, 0, -6, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, label)
        if age is not None and self.speed is not None:
            p.drawText(
                r.adjusted(6, 0, -6, 0),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                f"{age:.0f}s",
            )

    # -- the pass ---------------------------------------------------------------------
    def _paint_pass(self, p: QPainter, r: QRectF) -> None:
        u = self._unit()
        self._card(p, r)
        inner = r.adjusted(u * 0.5, u * 0.4, -u * 0.5, -u * 0.4)
        self._title(p, inner, f"Pass  {self.view.served} served")
        p.save()
        p.setClipRect(inner)
        y = inner.y() + u * 1.5
        th = u * 1.7
        for order, ts in reversed(self.view.served_recent):
            fresh = max(0.0, 1.0 - (self.now - ts) / 1.5)
            slide = (1.0 - min((self.now - ts) / 0.3, 1.0)) * inner.width()
            fill = QColor(self.theme.tones["info"]).lighter(150 + int(40 * (1 - fresh)))
            self._ticket(p, QRectF(inner.x() - slide, y, inner.width(), th), order, fill, None)
            y += th + u * 0.35
            if y > inner.bottom() - th:
                break
        p.restore()

    # -- stations ---------------------------------------------------------------------
    def _paint_stations(self, p: QPainter, r: QRectF) -> None:
        stations = list(self.view.stations.values())
        n = max(len(stations), 1)
        cols = n if n <= 4 else math.ceil(math.sqrt(n * r.width() / max(r.height(), 1)))
        cols = max(1, min(cols, n))
        rows = math.ceil(n / cols)
        gap = self._unit() * 0.5
        cw = (r.width() - gap * (cols - 1)) / cols
        ch = (r.height() - gap * (rows - 1)) / rows
        for i, st in enumerate(stations):
            cr = QRectF(r.x() + (i % cols) * (cw + gap), r.y() + (i // cols) * (ch + gap), cw, ch)
            self._paint_station(p, cr, st)

    def _paint_station(self, p: QPainter, r: QRectF, st: StationView) -> None:
        t = self.theme
        colour = tone_of(t, SCENE.tones, st.state)
        if st.stalled and st.state == PREPARING:
            colour = t.tones["restarting"]
        edge = colour if st.state not in (IDLE, STOPPED) else t.card_edge
        fill = t.card if st.state != WALKED_OUT else t.canvas
        self._card(p, r, fill, edge)
        if st.state == WALKED_OUT:
            pen = QPen(t.muted, 1.2, Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(r.adjusted(4, 4, -4, -4), 6, 6)
        u = self._unit()
        fm = self.fontMetrics()
        compact = r.height() < 7 * u
        # Header: station name and a state chip, stacked when the card is narrow.
        head = QRectF(r.x() + u * 0.5, r.y() + u * 0.3, r.width() - u, u * 1.3)
        label = self._state_label(st)
        chip_w = min(fm.horizontalAdvance(label) + u, head.width())
        bold = QFont(self.font())
        bold.setBold(True)
        name = st.name.capitalize()
        stacked = QFontMetricsF(bold).horizontalAdvance(name) + chip_w + u * 0.5 > head.width()
        p.setFont(bold)
        p.setPen(t.text)
        p.drawText(
            head,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            QFontMetricsF(bold).elidedText(name, Qt.TextElideMode.ElideRight, head.width()),
        )
        p.setFont(self.font())
        if stacked:
            chip = QRectF(head.x(), head.bottom(), chip_w, u * 1.1)
            head = QRectF(head.x(), head.y(), head.width(), head.height() + u * 1.2)
        else:
            chip = QRectF(head.right() - chip_w, head.y() + u * 0.1, chip_w, u * 1.1)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawRoundedRect(chip, chip.height() / 2, chip.height() / 2)
        p.setPen(QColor("#ffffff"))
        p.drawText(
            chip,
            Qt.AlignmentFlag.AlignCenter,
            fm.elidedText(label, Qt.TextElideMode.ElideRight, int(chip.width() - 4)),
        )
        # Body: the chef, with a ring for progress.
        foot_h = 0.3 if compact else 1.5
        body = QRectF(r.x(), head.bottom(), r.width(), r.bottom() - head.bottom() - u * foot_h)
        size = min(body.width(), body.height()) * 0.82
        self._paint_chef(p, body.center(), size, st, colour)
        if not compact:
            foot = QRectF(r.x() + u * 0.5, r.bottom() - u * 1.4, r.width() - u, u * 1.2)
            p.setPen(t.muted)
            order_text = f"order #{st.order}" if st.order else ""
            order_w = fm.horizontalAdvance(order_text) + (u * 0.5 if order_text else 0)
            if order_w > foot.width() * 0.6:
                order_text, order_w = f"#{st.order}", fm.horizontalAdvance(f"#{st.order}") + u * 0.5
            p.drawText(
                foot,
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                fm.elidedText(st.chef or "no chef", Qt.TextElideMode.ElideRight, int(foot.width() - order_w)),
            )
            if order_text:
                p.drawText(foot, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, order_text)

    def _state_label(self, st: StationView) -> str:
        if st.state == PREPARING and st.stalled:
            return "stalled"
        if st.state == RESTARTING:
            left = max(st.restart_at - self.now, 0.0)
            return f"restart in {left:.1f}s"
        if st.state == WAITING:
            return "at barrier"
        if st.state == SERVING:
            return "combining"
        if st.state == IDLE:
            if self.view.queue and self.view.short_handed:
                return "waiting for crew"
            return "waiting for order"
        return st.state

    def _progress(self, st: StationView) -> float:
        if st.state != PREPARING:
            return 1.0 if st.state in (WAITING, SERVING) else 0.0
        if self.speed is None or st.duration <= 0:
            return 1.0
        return min((self.now - st.since) * self.speed / st.duration, 1.0)

    def _paint_chef(self, p: QPainter, c: QPointF, size: float, st: StationView, colour: QColor) -> None:
        t = self.theme
        radius = size / 2
        if radius < 6:
            return
        ring = QRectF(c.x() - radius, c.y() - radius, size, size)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(t.card_edge, max(radius * 0.08, 2)))
        p.drawEllipse(ring)
        prog = self._progress(st)
        if prog > 0 and st.state not in (CRASHED, RESTARTING, WALKED_OUT, STOPPED):
            p.setPen(QPen(colour, max(radius * 0.1, 2.5), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            p.drawArc(ring, 90 * 16, int(-360 * 16 * prog))
        if st.state == WALKED_OUT:
            p.setPen(t.muted)
            roomy = size > self._unit() * 8
            p.drawText(
                ring, Qt.AlignmentFlag.AlignCenter, "walked out\n(hire to return)" if roomy else "gone"
            )
            return
        phase = self.now * 6.0
        r = radius * 0.55
        alpha = 110 if st.state in (STOPPED, RESTARTING) else 255
        skin = QColor("#f1c9a5")
        skin.setAlpha(alpha)
        white = QColor("#ffffff")
        white.setAlpha(alpha)
        outline = QColor(t.text)
        outline.setAlpha(alpha)
        bob = math.sin(phase) * r * 0.06 if st.state == PREPARING else 0.0
        head_c = QPointF(c.x(), c.y() - r * 0.05 + bob)
        # Hat.
        p.setPen(QPen(outline, 1.2))
        p.setBrush(white)
        p.save()
        p.translate(head_c)
        p.scale(r, r)
        pen = QPen(outline, 1.2)
        pen.setCosmetic(True)  # keep the outline width whatever the scale
        p.setPen(pen)
        p.drawPath(_unit_hat())
        p.restore()
        # Head.
        p.setBrush(skin)
        p.drawEllipse(head_c, r * 0.45, r * 0.45)
        # Face.
        p.setBrush(outline)
        eye_y = head_c.y() - r * 0.05
        if st.state == CRASHED:
            p.setPen(QPen(t.tones["crashed"], 2))
            for ex in (-0.17, 0.17):
                x = head_c.x() + ex * r
                p.drawLine(QPointF(x - r * 0.07, eye_y - r * 0.07), QPointF(x + r * 0.07, eye_y + r * 0.07))
                p.drawLine(QPointF(x - r * 0.07, eye_y + r * 0.07), QPointF(x + r * 0.07, eye_y - r * 0.07))
        else:
            p.setPen(Qt.PenStyle.NoPen)
            closed = st.state in (WAITING, STOPPED, RESTARTING)
            for ex in (-0.17, 0.17):
                if closed:
                    p.setPen(QPen(outline, 1.5))
                    p.drawLine(
                        QPointF(head_c.x() + ex * r - r * 0.06, eye_y),
                        QPointF(head_c.x() + ex * r + r * 0.06, eye_y),
                    )
                    p.setPen(Qt.PenStyle.NoPen)
                else:
                    p.drawEllipse(QPointF(head_c.x() + ex * r, eye_y), r * 0.05, r * 0.05)
        # Pan, stirring while preparing.
        pan_y = c.y() + r * 0.62
        swing = math.sin(phase * 1.3) * r * 0.12 if st.state == PREPARING else 0.0
        pan = QColor("#4b5058")
        pan.setAlpha(alpha)
        p.setPen(QPen(pan, max(r * 0.08, 2), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.drawLine(
            QPointF(c.x() + r * 0.35 + swing, pan_y), QPointF(c.x() + r * 0.8 + swing, pan_y - r * 0.1)
        )
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(pan)
        p.drawEllipse(QPointF(c.x() - r * 0.05 + swing, pan_y), r * 0.42, r * 0.13)
        if st.state == PREPARING:  # steam
            steam = QColor(t.muted)
            for k in range(3):
                ph = (self.now * 1.5 + k / 3.0) % 1.0
                steam.setAlpha(int(160 * (1 - ph)))
                p.setPen(QPen(steam, 1.5))
                x = c.x() - r * 0.25 + k * r * 0.2 + swing
                y0 = pan_y - r * 0.15 - ph * r * 0.5
                p.drawArc(QRectF(x, y0 - r * 0.1, r * 0.12, r * 0.2), 90 * 16, 180 * 16)
        elif st.state == WAITING:  # an hourglass of dots
            p.setPen(Qt.PenStyle.NoPen)
            for k in range(3):
                on = int(self.now * 3) % 3 == k
                dot = QColor(t.tones["waiting"])
                dot.setAlpha(255 if on else 90)
                p.setBrush(dot)
                p.drawEllipse(QPointF(c.x() - r * 0.25 + k * r * 0.25, c.y() - r * 1.35), r * 0.07, r * 0.07)
        elif st.state == CRASHED:
            p.setPen(QPen(t.tones["crashed"], 2))
            p.drawText(
                QRectF(c.x() - r, c.y() - r * 1.6, 2 * r, r * 0.5), Qt.AlignmentFlag.AlignCenter, "crashed"
            )

    # -- the barrier gate ---------------------------------------------------------------
    def _paint_gate(self, p: QPainter, r: QRectF) -> None:
        t = self.theme
        b = self.view.barrier
        u = self._unit()
        since_open = self.now - b.opened_at
        since_broken = self.now - b.broken_at
        broken = since_broken < GATE_BROKEN_S and since_broken <= since_open
        opening = since_open < GATE_OPEN_S and not broken
        edge = t.tones["crashed"] if broken else (t.tones["working"] if opening else t.card_edge)
        self._card(p, r, t.card, edge)
        inner = r.adjusted(u * 0.6, u * 0.3, -u * 0.6, -u * 0.3)
        label = f"Barrier '{b.name}'   {b.arrived}/{b.parties} arrived   round {b.gen}"
        if broken:
            label = f"Barrier BROKEN ({b.cause or 'broken'}): round retried"
        elif opening:
            label = "Barrier released: dish served"
        p.setPen(t.text)
        p.drawText(
            QRectF(inner.x(), inner.y(), inner.width(), u * 1.2),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            label,
        )
        # The gate: one post per party, filled when that chef has arrived; arms lift on release.
        rail_y = inner.bottom() - u * 0.7
        n = max(b.parties, 1)
        span = inner.width()
        step = span / n
        for i in range(n):
            x = inner.x() + step * (i + 0.5)
            arrived = i < b.arrived
            colour = t.tones["waiting"] if arrived else t.card_edge
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour)
            p.drawEllipse(QPointF(x, rail_y), u * 0.32, u * 0.32)
        # Posts at both ends; between them the gate bar, which slides apart on a release
        # and hangs snapped in two when the barrier breaks.
        bar_y = rail_y - u * 0.75
        post_w = u * 0.35
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(t.muted)
        for x in (inner.x(), inner.right() - post_w):
            p.drawRoundedRect(QRectF(x, bar_y - u * 0.45, post_w, u * 0.9), 2, 2)
        left_x, right_x = inner.x() + post_w, inner.right() - post_w
        mid_x = (left_x + right_x) / 2
        colour = edge if (broken or opening) else t.muted
        p.setPen(QPen(colour, max(u * 0.28, 3), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        if broken:
            drop = u * 0.45
            p.drawLine(QPointF(left_x, bar_y), QPointF(mid_x - u * 0.5, bar_y + drop))
            p.drawLine(QPointF(mid_x + u * 0.5, bar_y + drop), QPointF(right_x, bar_y))
        elif opening:
            lift = since_open / GATE_OPEN_S
            gap = (1 - abs(1 - 2 * lift)) * (mid_x - left_x) * 0.9
            p.drawLine(QPointF(left_x, bar_y), QPointF(mid_x - gap, bar_y))
            p.drawLine(QPointF(mid_x + gap, bar_y), QPointF(right_x, bar_y))
        else:
            p.drawLine(QPointF(left_x, bar_y), QPointF(right_x, bar_y))

    def _banner(self, p: QPainter, text: str) -> None:
        u = self._unit()
        fm = self.fontMetrics()
        w = min(fm.horizontalAdvance(text) + 2 * u, self.width() - 2 * u)
        r = QRectF((self.width() - w) / 2, self.height() / 2 - u, w, 2 * u)
        fill = QColor(self.theme.text)
        fill.setAlpha(215)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(fill)
        p.drawRoundedRect(r, u * 0.6, u * 0.6)
        p.setPen(self.theme.canvas)
        p.drawText(
            r, Qt.AlignmentFlag.AlignCenter, fm.elidedText(text, Qt.TextElideMode.ElideRight, int(w - u))
        )
