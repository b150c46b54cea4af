"""The barrier drawn as a gate: a slot per party, filled in arrival order.

``paint_gate`` draws a ``BarrierView`` into any rectangle, so a scene's own canvas can
reuse it; ``BarrierGate`` is the same drawing as a widget of its own. The slot of the last
arrival (index ``parties - 1``) is marked: that thread runs the action. When the barrier
passes, breaks or is reset the gate flashes with what happened and why.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.engine.barrier_view import BROKEN, PASS, RESET, Arrival, BarrierView, Outcome
from app.gui.theme import Theme, current_theme

#: How long each outcome flashes (wall seconds, the records' time scale).
FLASH_S = {PASS: 0.7, BROKEN: 2.0, RESET: 0.9}

Label = Callable[[str], str]
Colour = Callable[[str], QColor | None]


def _same(thread: str) -> str:
    return thread


def _none(_thread: str) -> QColor | None:
    return None


def flash(view: BarrierView, now: float) -> tuple[Outcome | None, float]:
    """The outcome flashing now and its strength (1 fresh .. 0 gone)."""
    o = view.outcome
    if o is None:
        return None, 0.0
    if view.arrivals and not ((o.barrier, o.gen) == (view.barrier, view.gen) and o.kind in (PASS, BROKEN)):
        return None, 0.0  # the next round has begun to arrive: that is the news now
    left = 1.0 - (now - o.ts) / FLASH_S.get(o.kind, 1.0)
    if o.kind == RESET and len(view.outcomes) > 1:  # a reset right after a break: show the break
        prev = view.outcomes[-2]
        if prev.kind == BROKEN and now - prev.ts < FLASH_S[BROKEN]:
            return prev, 1.0 - (now - prev.ts) / FLASH_S[BROKEN]
    return (o, left) if left > 0 else (None, 0.0)


def outcome_text(o: Outcome, label: Label = _same) -> str:
    if o.kind == PASS:
        return "released: the action ran, everyone goes on"
    if o.kind == RESET:
        return "reset: empty again, ready for the next round"
    cause = {"timeout": "a wait timed out", "abort": "aborted", "action": "the action raised"}.get(
        o.cause, o.cause or "broken"
    )
    by = f" ({label(o.breaker)})" if o.breaker and o.cause == "timeout" else ""
    return f"BROKEN: {cause}{by}"


def paint_gate(
    p: QPainter,
    rect: QRectF,
    view: BarrierView,
    now: float,
    font: QFont,
    theme: Theme | None = None,
    label: Label = _same,
    colour: Colour = _none,
    title: str = "Barrier",
) -> None:
    """Draw ``view`` into ``rect``: a title line, then a slot per party.

    ``label`` and ``colour`` turn a thread name into what its slot shows; ``title`` comes
    before the barrier's name. A generation that just ended and was cleared (a reset, a new
    barrier) is shown as it stood while its flash lasts."""
    t = theme or current_theme()
    fm = QFontMetricsF(font)
    u = fm.height()
    o, strength = flash(view, now)
    name, parties, arrivals = view.barrier, view.parties, tuple(view.arrivals)
    ended = view.ended
    if ended is not None and o is not None and ended.outcome == o and not arrivals:
        name, parties, arrivals = ended.barrier, ended.parties, ended.arrivals
    if ended is not None and ended.barrier == name and ended.arrivals == arrivals and arrivals:
        slots_state = ended.outcome.kind
    else:
        slots_state = ""
    ok, bad = t.tones["working"], t.tones["crashed"]
    edge = t.card_edge
    if o is not None:
        edge = _mix(t.card_edge, ok if o.kind == PASS else bad if o.kind == BROKEN else t.muted, strength)
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setFont(font)
    p.setPen(QPen(edge, max(u * 0.08, 1.2) * (1 + strength)))
    p.setBrush(t.card)
    radius = u * 0.5
    p.drawRoundedRect(rect, radius, radius)
    inner = rect.adjusted(u * 0.6, u * 0.35, -u * 0.6, -u * 0.35)
    # Title: what the barrier is, and what just happened (or how many are waiting).
    head = QRectF(inner.x(), inner.y(), inner.width(), u * 1.2)
    bold = QFont(font)
    bold.setBold(True)
    heading = f"{title} {name} · {parties} parties" if name else title
    p.setFont(bold)
    p.setPen(t.text)
    name_w = min(QFontMetricsF(bold).horizontalAdvance(heading) + u * 0.6, head.width() * 0.55)
    p.drawText(
        head, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, _elide(bold, heading, name_w)
    )
    p.setFont(font)
    if o is not None:
        status = outcome_text(o, label)
        p.setPen(ok.darker(120) if o.kind == PASS else bad if o.kind == BROKEN else t.muted)
    elif view.parties and not view.arrivals and not view.outcomes:
        status = "no one has arrived yet"
        p.setPen(t.muted)
    elif view.parties:
        status = f"{view.waiting} of {view.parties} waiting" if view.waiting else f"{view.parties} parties"
        p.setPen(t.muted)
    else:
        status = "no one has arrived yet"
        p.setPen(t.muted)
    rest = QRectF(head.x() + name_w, head.y(), head.width() - name_w, head.height())
    p.drawText(
        rest, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, _elide(font, status, rest.width())
    )
    # The slots.
    n = max(parties, 1)
    body = QRectF(
        inner.x(), head.bottom() + u * 0.35, inner.width(), inner.bottom() - head.bottom() - u * 0.35
    )
    gap = u * 0.4
    slot_w = (body.width() - gap * (n - 1)) / n
    by_index = {a.index: a for a in arrivals}
    released, broken = slots_state == PASS, slots_state == BROKEN
    for i in range(n):
        slot = QRectF(body.x() + i * (slot_w + gap), body.y(), slot_w, body.height())
        _paint_slot(p, slot, i, n, by_index.get(i), t, font, label, colour, released, broken, now)
    p.restore()


def _paint_slot(
    p: QPainter,
    r: QRectF,
    index: int,
    parties: int,
    arrival: Arrival | None,
    t: Theme,
    font: QFont,
    label: Label,
    colour: Colour,
    released: bool,
    broken: bool,
    now: float,
) -> None:
    fm = QFontMetricsF(font)
    u = fm.height()
    runner = index == parties - 1
    radius = u * 0.35
    if arrival is None:
        pen = QPen(t.card_edge, max(u * 0.07, 1.0), Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(r, radius, radius)
        p.setPen(t.muted)
        p.drawText(
            r,
            Qt.AlignmentFlag.AlignCenter,
            f"#{index}" + ("\naction" if runner and r.height() > 2.4 * u else ""),
        )
        return
    thread = arrival.thread
    base = colour(thread) or t.tones["waiting"]
    fill = QColor(base)
    fill.setAlpha(70 if released else 150 if broken else 235)
    p.setPen(QPen(t.tones["crashed"] if broken else base.darker(130), max(u * 0.07, 1.0)))
    p.setBrush(fill)
    p.drawRoundedRect(r, radius, radius)
    if runner:  # the last to arrive runs the action: a ring and a tag
        ring = QPen(t.accent, max(u * 0.16, 2.0))
        p.setPen(ring)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(r.adjusted(-u * 0.12, -u * 0.12, u * 0.12, u * 0.12), radius * 1.2, radius * 1.2)
    p.setPen(t.text if released or broken else QColor("#ffffff"))
    lines = [label(thread), f"#{index}" + ("  runs the action" if runner else "")]
    if r.height() < 2.3 * u:
        lines = [f"{label(thread)} #{index}" + (" ★" if runner else "")]
    y = r.center().y() - len(lines) * u / 2
    for line in lines:
        p.drawText(
            QRectF(r.x() + u * 0.2, y, r.width() - u * 0.4, u),
            Qt.AlignmentFlag.AlignCenter,
            _elide(font, line, r.width() - u * 0.4),
        )
        y += u
    if broken:  # a crack down the slot's right edge
        p.setPen(QPen(t.tones["crashed"], max(u * 0.1, 1.5)))
        x, top, h = r.right() - u * 0.45, r.top() + u * 0.15, r.height() - u * 0.3
        zig = [QPointF(x + (u * 0.18 if k % 2 else -u * 0.1), top + h * k / 4) for k in range(5)]
        p.drawPolyline(zig)


def _elide(font: QFont, text: str, width: float) -> str:
    return QFontMetricsF(font).elidedText(text, Qt.TextElideMode.ElideRight, max(width, 0.0))


def _mix(a: QColor, b: QColor, k: float) -> QColor:
    k = min(max(k, 0.0), 1.0)
    return QColor(
        int(a.red() + (b.red() - a.red()) * k),
        int(a.green() + (b.green() - a.green()) * k),
        int(a.blue() + (b.blue() - a.blue()) * k),
    )


class BarrierGate(QWidget):
    """A ``BarrierView`` as a widget; call ``show_view`` per frame."""

    def __init__(self, parent: QWidget | None = None, name: str = "barrierGate") -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName("Barrier gate: a slot per party, filled in arrival order")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.view = BarrierView()
        self.now = 0.0
        self.label: Label = _same
        self.colour: Colour = _none
        self.title = "Barrier"

    def show_view(
        self,
        view: BarrierView,
        now: float,
        label: Label = _same,
        colour: Colour = _none,
        title: str = "Barrier",
    ) -> None:
        self.view, self.now, self.label, self.colour, self.title = view, now, label, colour, title
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        u = self.fontMetrics().height()
        return QSize(u * 24, int(u * 5.2))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        u = self.fontMetrics().height()
        return QSize(u * 10, int(u * 4.2))

    def paintEvent(self, _event: object) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        r = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        paint_gate(
            p, r, self.view, self.now, self.font(), label=self.label, colour=self.colour, title=self.title
        )
        p.end()


__all__ = ["FLASH_S", "BarrierGate", "flash", "outcome_text", "paint_gate"]
