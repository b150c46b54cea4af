"""The kitchen, drawn: ticket rail, chef stations, the barrier as a gate, and the pass.

A frame redraws everything, but little of it is drawn from scratch: what does not change from
one frame to the next (a station's card with its name, state chip and footer, a chef who is
not cooking, the gate's label and posts, a ticket) is rendered once into a pixmap, cached by
what it shows and its size, and blitted. Only what moves is painted live: the progress ring,
the cooking chef's bob (a blitted sprite), the pan's swing and the steam, the gate's bar.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import islice

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Slot
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.gui.theme import Theme, current_theme, tone_of
from app.gui.widgets.gate import flash, paint_gate
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

PASS_SLIDE_S, PASS_FADE_S = 0.3, 1.5  # a served ticket slides onto the pass, then fades
TICKET_WARM_S, TICKET_LATE_S = 6.0, 15.0  # simulated seconds waiting, as kitchen displays age
TICKET_INK = QColor("#2b2f36")
#: The chip labels a station shows in ordinary service; a card's layout makes room for the
#: widest, so it does not jump from state to state.
USUAL_LABELS = ("preparing", "at barrier", "combining", "waiting for order")
#: Shorter chip labels for small cards (many stations).
SHORT_LABELS = {"waiting for order": "no order", "waiting for crew": "no crew"}
#: The progress ring is drawn from sprites in this many steps when it is at most this wide
#: (a bigger ring is drawn live: there are few, and their sprites would be big).
ARC_STEPS, ARC_SPRITE_MAX = 72, 120
STEAM_STEPS = 20  # a puff of steam rises in this many steps (one a frame at 30 frames/s)
SPRITE_BUDGET_PX = 4_000_000  # at least; 16 MB of pixmaps
#: The faces every station shows in service, drawn ahead between frames, a slice at a time.
WARM_STATES, WARM_SLICE_S = (IDLE, SERVING, WAITING, PREPARING), 0.002


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


class SpriteCache:
    """Pixmaps keyed by what they show, least recently used dropped past a pixel budget."""

    def __init__(self, budget_px: int = 4_000_000) -> None:
        self.budget_px = budget_px
        self._items: OrderedDict[tuple, QPixmap] = OrderedDict()
        self._px = 0
        self.hits = self.misses = 0

    def get(self, key: tuple, make: Callable[[], QPixmap]) -> QPixmap:
        pix = self._items.get(key)
        if pix is not None:
            self.hits += 1
            self._items.move_to_end(key)
            return pix
        self.misses += 1
        pix = self._items[key] = make()
        self._px += pix.width() * pix.height()
        while self._px > self.budget_px and len(self._items) > 1:
            _, old = self._items.popitem(last=False)
            self._px -= old.width() * old.height()
        return pix

    def clear(self) -> None:
        self._items.clear()
        self._px = 0

    def __contains__(self, key: tuple) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class CardLayout:
    """Where a station card's parts go, relative to its top-left corner (logical pixels)."""

    w: int
    h: int
    compact: bool
    head: QRectF  # the station's name
    chip_row: QRectF  # the state chip sits in this row: right-aligned, or centred when alone
    chip_right: bool
    body: QRectF  # the chef and the progress ring
    foot: QRectF | None  # chef and order, on roomy cards


class KitchenCanvas(QWidget):
    """Paints a KitchenView; owns no state of its own beyond what to draw (and its caches)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kitchenCanvas")
        self.setAccessibleName("Kitchen: stations, barrier gate, queue and pass")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(480, 220)
        # Every paint covers the whole widget: Qt need not paint what lies beneath first.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.view = KitchenView()
        self.now = 0.0
        self.speed: float | None = 1.0
        self.paused = False
        self.theme: Theme = current_theme()
        self.sprites = SpriteCache()
        self._layouts: dict[tuple, CardLayout] = {}
        self._style_key: tuple = ()
        self._shown: tuple | None = None
        self._warm_sig: tuple = ()
        self._warm_todo: list[tuple[CardLayout, StationView]] = []
        self._frame_now = -1.0
        self._frame_sprites: dict[float, tuple[QPixmap, QPointF]] = {}
        self.paints = self.updates = 0

    def show_state(self, view: KitchenView, now: float, speed: float | None, paused: bool) -> None:
        """Show ``view`` at ``now``; repaint only if something on the canvas moves or changed."""
        self.view, self.now, self.speed, self.paused = view, now, speed, paused
        shown = self._still_picture()
        if shown is None or shown != self._shown:
            self.updates += 1
            self.update()
        self._shown = shown

    def _still_picture(self) -> tuple | None:
        """Everything the canvas shows, when nothing on it moves (None when something does:
        a chef cooks, a countdown runs, tickets age, the gate or the pass animates)."""
        v, now = self.view, self.now
        if (
            (v.queue and self.speed is not None)
            or flash(v.gate, now)[0] is not None
            or (v.served_recent and now - v.served_recent[-1][1] < PASS_FADE_S)
        ):
            return None
        stations = []
        waiting = False
        for st in v.stations.values():
            if st.state in (PREPARING, RESTARTING):
                return None
            waiting = waiting or st.state == WAITING
            stations.append((st.name, st.state, st.chef, st.order, st.stalled))
        blink = int(now * 3) % 3 if waiting else -1
        return (
            tuple(stations),
            blink,
            v.short_handed,
            v.queued,
            v.served,
            tuple(v.served_recent),
            (v.gate.barrier, v.gate.parties, tuple(v.gate.arrivals), v.gate.passed, v.gate.outcome),
            (v.status, v.reason, self.paused, self.speed),
        )

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange, QEvent.Type.PaletteChange):
            self._style_key = ()
        super().changeEvent(event)

    def _check_style(self) -> None:
        """Drop every cached pixmap when what they were drawn with changed."""
        key = (id(self.theme), self.font().key(), self.devicePixelRatioF())
        if key != self._style_key:
            self.sprites.clear()
            self._layouts.clear()
            self._style_key = key
            self._u = max(self.fontMetrics().height(), 12) * 1.0
            self._bold = QFont(self.font())
            self._bold.setBold(True)
            self._small = QFont(self.font())
            self._small.setPointSizeF(self.font().pointSizeF() * 0.85)
            self._small_bold = QFont(self._small)
            self._small_bold.setBold(True)
            self._warm_sig = ()
            self._frame_now = -1.0

    # -- geometry ---------------------------------------------------------------------
    def paintEvent(self, _event: object) -> None:  # noqa: N802 - Qt's name
        self.paints += 1
        self._check_style()
        # Room for every station's usual faces at this size, with some to spare.
        dpr = self.devicePixelRatioF()
        self.sprites.budget_px = max(SPRITE_BUDGET_PX, int(6 * self.width() * self.height() * dpr * dpr))
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        t = self.theme
        p.fillRect(self.rect(), t.canvas)
        u = self._u
        w, h = float(self.width()), float(self.height())
        rail_w = max(7 * u, w * 0.14)
        pass_w = max(7 * u, w * 0.14)
        self._paint_rail(p, QRectF(u * 0.6, u * 0.6, rail_w, h - u * 1.2))
        self._paint_pass(p, QRectF(w - pass_w - u * 0.6, u * 0.6, pass_w, h - u * 1.2))
        mid = QRectF(rail_w + u * 1.4, u * 0.6, w - rail_w - pass_w - u * 2.8, h - u * 1.2)
        gate_h = 4.6 * u
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

    def _pixmap(self, w: float, h: float, clear: bool = False) -> tuple[QPixmap, QPainter]:
        """A pixmap of w x h logical pixels, canvas-coloured (or ``clear``), and an antialiased
        painter on it."""
        dpr = self.devicePixelRatioF()
        pix = QPixmap(max(math.ceil(w * dpr), 1), max(math.ceil(h * dpr), 1))
        pix.setDevicePixelRatio(dpr)
        pix.fill(Qt.GlobalColor.transparent if clear else self.theme.canvas)
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setFont(self.font())
        return pix, p

    def _card(self, p: QPainter, r: QRectF, fill: QColor | None = None, edge: QColor | None = None) -> None:
        p.setPen(QPen(edge or self.theme.card_edge, 1.2))
        p.setBrush(fill or self.theme.card)
        p.drawRoundedRect(r, 8, 8)

    def _title(self, p: QPainter, r: QRectF, text: str, once: bool = False) -> None:
        top_left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        self._text(p, r, top_left, text, self.theme.muted, bold=True, once=once)

    def _text(
        self,
        p: QPainter,
        r: QRectF,
        align: Qt.AlignmentFlag,
        text: str,
        colour: QColor,
        bold: bool = False,
        once: bool = False,
    ) -> None:
        """One line of text in ``r``, from a cached sprite (laying text out costs more than a
        blit, and the same few strings come back frame after frame), or drawn if it is
        ``once`` (a count that only grows, a round number: a sprite would never be used again)."""
        if once:
            p.setFont(self._bold if bold else self.font())
            p.setPen(colour)
            p.drawText(r, align, text)
            p.setFont(self.font())
            return
        pix = self._text_sprite(text, colour, bold)
        w, h = pix.width() / pix.devicePixelRatio(), pix.height() / pix.devicePixelRatio()
        if align & Qt.AlignmentFlag.AlignRight:
            x = r.right() - w
        elif align & Qt.AlignmentFlag.AlignHCenter:
            x = r.center().x() - w / 2
        else:
            x = r.x()
        y = r.y() if align & Qt.AlignmentFlag.AlignTop else r.center().y() - h / 2
        p.drawPixmap(QPointF(round(x), round(y)), pix)

    def _text_sprite(self, text: str, colour: QColor, bold: bool) -> QPixmap:
        def make() -> QPixmap:
            font = self._bold if bold else self.font()
            fm = QFontMetricsF(font)
            pix, q = self._pixmap(
                math.ceil(fm.horizontalAdvance(text)) + 2, math.ceil(fm.height()), clear=True
            )
            q.setFont(font)
            q.setPen(colour)
            q.drawText(QPointF(1, fm.ascent()), text)
            q.end()
            return pix

        return self.sprites.get(("text", text, colour.rgba(), bold), make)

    # -- queue rail -------------------------------------------------------------------
    def _paint_rail(self, p: QPainter, r: QRectF) -> None:
        u = self._u
        self._card(p, r)
        inner = r.adjusted(u * 0.5, u * 0.4, -u * 0.5, -u * 0.4)
        self._title(p, inner, f"Queue  {self.view.queued}")
        y = inner.y() + u * 1.5
        th = u * 1.7
        factor = self.speed or 1.0
        queued = self.view.queued
        fits = max(int((inner.bottom() - y) // (th + u * 0.35)), 1)
        shown = fits - 1 if queued > fits else queued
        for order, placed in islice(self.view.queue.items(), shown):
            age = (self.now - placed) * factor
            self._ticket(p, QRectF(inner.x(), y, inner.width(), th), order, self._age_color(age), age)
            y += th + u * 0.35
        if queued > shown:
            self._text(
                p,
                QRectF(inner.x(), y, inner.width(), th),
                Qt.AlignmentFlag.AlignCenter,
                f"+{queued - shown} more",
                self.theme.muted,
            )

    def _age_color(self, age_s: float) -> QColor:
        t = self.theme
        if age_s < TICKET_WARM_S:
            return t.ticket_fresh
        if age_s < TICKET_LATE_S:
            return t.ticket_warm
        return t.ticket_late

    def _ticket(self, p: QPainter, r: QRectF, order: int, fill: QColor, age: float | None) -> None:
        """A queued ticket: its face (cached by order, colour and size) and its age."""
        x, y = round(r.x()), round(r.y())
        w, h = round(r.width()), round(r.height())

        def make() -> QPixmap:
            pix, q = self._pixmap(w, h)
            self._ticket_face(q, QRectF(0, 0, w, h), order, fill)
            q.end()
            return pix

        p.drawPixmap(x, y, self.sprites.get(("ticket", order, fill.rgba(), w, h), make))
        if age is not None and self.speed is not None:
            right = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight
            self._text(p, QRectF(x + 6, y, w - 12, h), right, f"{age:.0f}s", TICKET_INK)

    def _ticket_face(self, p: QPainter, r: QRectF, order: int, fill: QColor) -> None:
        p.setPen(QPen(fill.darker(130), 1))
        p.setBrush(fill)
        p.drawRoundedRect(r.adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
        left = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
        self._text(p, r.adjusted(6, 0, -6, 0), left, f"#{order}", TICKET_INK)

    # -- the pass ---------------------------------------------------------------------
    def _paint_pass(self, p: QPainter, r: QRectF) -> None:
        u = self._u
        self._card(p, r)
        inner = r.adjusted(u * 0.5, u * 0.4, -u * 0.5, -u * 0.4)
        self._title(p, inner, f"Pass  {self.view.served} served", once=True)
        p.save()
        p.setClipRect(inner)
        y = inner.y() + u * 1.5
        th = u * 1.7
        base = QColor(self.theme.tones["info"])
        for order, ts in reversed(self.view.served_recent):
            fresh = max(0.0, 1.0 - (self.now - ts) / PASS_FADE_S)
            slide = (1.0 - min((self.now - ts) / PASS_SLIDE_S, 1.0)) * inner.width()
            fill = base.lighter(150 + int(40 * (1 - fresh)))
            self._ticket_face(p, QRectF(round(inner.x() - slide), round(y), inner.width(), th), order, fill)
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
        gap = max(round(self._u * 0.5), 4)
        # Whole pixels, every card the same size: crisp edges and one cached layout for all.
        cw = int((r.width() - gap * (cols - 1)) // cols)
        ch = int((r.height() - gap * (rows - 1)) // rows)
        if cw < 8 or ch < 8:
            return
        x0 = round(r.x() + (r.width() - (cw * cols + gap * (cols - 1))) / 2)
        y0 = round(r.y())
        for i, st in enumerate(stations):
            self._paint_station(p, x0 + (i % cols) * (cw + gap), y0 + (i // cols) * (ch + gap), cw, ch, st)
        warm = (cw, ch, tuple((st.name, st.chef) for st in stations))
        if warm != self._warm_sig:
            # New cards (a new kitchen, a resize, a restarted chef): draw each station's usual
            # faces between frames, a slice at a time, rather than many in one frame later.
            self._warm_sig = warm
            lay = self._layout(cw, ch)
            self._warm_todo = [
                (lay, replace(st, state=s, stalled=False)) for s in WARM_STATES for st in stations
            ]
            QTimer.singleShot(0, self, self._warm_up)  # dropped if the canvas goes

    @Slot()
    def _warm_up(self) -> None:
        """Render pending card faces for up to ``WARM_SLICE_S``; come back for the rest."""
        end = time.perf_counter() + WARM_SLICE_S
        todo = self._warm_todo
        while todo and time.perf_counter() < end:
            lay, st = todo.pop()
            key, colour, label = self._card_face(lay, st)
            if key not in self.sprites:
                self.sprites.get(key, lambda: self._render_card(lay, st, label, colour))  # noqa: B023
        if todo:
            QTimer.singleShot(0, self, self._warm_up)  # dropped if the canvas goes

    def _layout(self, w: int, h: int) -> CardLayout:
        key = (w, h)
        lay = self._layouts.get(key)
        if lay is None:
            lay = self._layouts[key] = self._make_layout(w, h)
        return lay

    def _make_layout(self, w: int, h: int) -> CardLayout:
        u = self._u
        if h >= 7 * u and w >= 7 * u:
            fm = QFontMetricsF(self.font())
            head = QRectF(u * 0.5, u * 0.3, w - u, u * 1.3)
            chip_w = max(fm.horizontalAdvance(s) for s in USUAL_LABELS) + u
            name_w = QFontMetricsF(self._bold).horizontalAdvance("Station-00")
            if name_w + chip_w + u * 0.5 > head.width():
                chip_row = QRectF(head.x(), head.bottom(), head.width(), u * 1.1)
                body_top = chip_row.bottom() + u * 0.1
                right = False
            else:
                chip_row = QRectF(head.x(), head.y() + u * 0.1, head.width(), u * 1.1)
                body_top = head.bottom()
                right = True
            body = QRectF(0, body_top, w, h - body_top - u * 1.5)
            foot = QRectF(u * 0.5, h - u * 1.4, w - u, u * 1.2)
            return CardLayout(w, h, False, head, chip_row, right, body, foot)
        # Small cards: a smaller font, the name on top, the chip beside it if both fit, else
        # at the bottom; the chef takes what is left.
        fm = QFontMetricsF(self._small)
        su = fm.height()
        pad = max(round(u * 0.25), 3)
        head = QRectF(pad + 1, pad, w - 2 * pad - 2, su * 1.15)
        chip_w = max(fm.horizontalAdvance(SHORT_LABELS.get(s, s)) for s in USUAL_LABELS) + su * 0.8
        name_w = QFontMetricsF(self._small_bold).horizontalAdvance("Station-00")
        if name_w + chip_w + pad <= head.width():
            chip_row = QRectF(head.x(), head.y() + su * 0.05, head.width(), su * 1.05)
            body = QRectF(0, head.bottom(), w, h - head.bottom() - pad)
            right = True
        else:
            chip_row = QRectF(pad, h - pad - su * 1.1, w - 2 * pad, su * 1.1)
            body = QRectF(0, head.bottom() + 1, w, chip_row.top() - head.bottom() - 2)
            right = False
        return CardLayout(w, h, True, head, chip_row, right, body, None)

    def _card_face(self, lay: CardLayout, st: StationView) -> tuple[tuple, QColor, str]:
        """A station card's cache key, its state colour and its chip label."""
        t = self.theme
        colour = tone_of(t, SCENE.tones, st.state)
        if st.stalled and st.state == PREPARING:
            colour = t.tones["restarting"]
        label = self._state_label(st)
        if lay.compact:
            label = SHORT_LABELS.get(label, label)
            if st.state == RESTARTING:
                label = label.replace("restart in ", "restart ")
        chef = st.chef if lay.foot is not None else ""  # small cards do not name the chef
        return ("card", lay.w, lay.h, st.name, st.state, chef, label, colour.rgba()), colour, label

    def _paint_station(self, p: QPainter, x: int, y: int, w: int, h: int, st: StationView) -> None:
        t = self.theme
        lay = self._layout(w, h)
        key, colour, label = self._card_face(lay, st)
        card = self.sprites.get(key, lambda: self._render_card(lay, st, label, colour))
        p.drawPixmap(x, y, card)
        if st.state == WAITING:  # an hourglass of dots over the chef, blinking
            c, size = self._chef_spot(lay)
            if size >= 12:
                dots, do = self._dots_sprite(size * 0.275, int(self.now * 3) % 3)
                p.drawPixmap(QPointF(round(x + c.x() - do.x()), round(y + c.y() - do.y())), dots)
        cooking = st.state == PREPARING
        if lay.foot is not None and st.order:  # it changes every round: not on the card
            right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            self._text(
                p, lay.foot.translated(x, y), right, self._order_text(st.order, lay.foot.width()), t.muted
            )
        if cooking:
            self._paint_cooking(p, x, y, lay, st, colour)

    def _paint_cooking(
        self, p: QPainter, x: int, y: int, lay: CardLayout, st: StationView, colour: QColor
    ) -> None:
        """What moves while a chef cooks: the ring fills, the chef bobs, the pan swings, steam
        rises. Each is a cached sprite (the ring's arc and the steam in steps) put in place."""
        c, size = self._chef_spot(lay)
        radius = size / 2
        if radius < 6:
            return
        cx, cy = x + c.x(), y + c.y()
        prog = self._progress(st)
        if prog > 0:
            if size <= ARC_SPRITE_MAX:
                arc, ao = self._arc_sprite(size, colour, round(prog * ARC_STEPS))
                p.drawPixmap(QPointF(cx - ao, cy - ao), arc)
            else:  # a big ring: few of them, and its sprites would be big
                ring = QRectF(cx - radius, cy - radius, size, size)
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.setPen(self._arc_pen(radius, colour))
                p.drawArc(ring, 90 * 16, int(-360 * 16 * prog))
        chef, co = self._cooking_chef(radius * 0.55)
        p.drawPixmap(QPointF(round(cx - co.x()), round(cy - co.y())), chef)

    def _cooking_chef(self, r: float) -> tuple[QPixmap, QPointF]:
        """Chef, pan and steam at this instant, around the ring's centre. Every cook moves in
        step, so one picture a frame serves every cooking station of a size."""
        if self._frame_now != self.now:
            self._frame_now = self.now
            self._frame_sprites.clear()
        r = round(r * 4) / 4
        done = self._frame_sprites.get(r)
        if done is not None:
            return done
        ox, oy = math.ceil(r * 1.0) + 3, math.ceil(r * 1.6) + 3
        pix, q = self._pixmap(math.ceil(r * 2.2) + 6, math.ceil(r * 2.6) + 6, clear=True)
        phase = self.now * 6.0
        bob = math.sin(phase) * r * 0.06
        swing = math.sin(phase * 1.3) * r * 0.12
        figure, fo = self._figure_sprite(r, "open", 255)
        q.drawPixmap(QPointF(round(ox - fo.x()), round(oy - r * 0.05 + bob - fo.y())), figure)
        pan, po = self._pan_sprite(r, 255)
        pan_y = oy + r * 0.62
        q.drawPixmap(QPointF(round(ox + swing - po.x()), round(pan_y - po.y())), pan)
        steam, so = self._steam_sprite(r, int((self.now * 1.5 % 1.0) * STEAM_STEPS) % STEAM_STEPS)
        q.drawPixmap(QPointF(round(ox + swing - so.x()), round(pan_y - so.y())), steam)
        q.end()
        done = self._frame_sprites[r] = (pix, QPointF(ox, oy))
        return done

    def _arc_pen(self, radius: float, colour: QColor) -> QPen:
        return QPen(colour, max(radius * 0.1, 2.5), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)

    def _arc_sprite(self, size: float, colour: QColor, step: int) -> tuple[QPixmap, float]:
        """The progress ring filled ``step`` of ``ARC_STEPS``, and the offset of its centre."""
        size = round(size * 2) / 2
        radius = size / 2
        pad = math.ceil(max(radius * 0.1, 2.5)) + 1
        o = radius + pad

        def make() -> QPixmap:
            pix, q = self._pixmap(2 * o, 2 * o, clear=True)
            q.setBrush(Qt.BrushStyle.NoBrush)
            q.setPen(self._arc_pen(radius, colour))
            q.drawArc(QRectF(pad, pad, size, size), 90 * 16, int(-360 * 16 * step / ARC_STEPS))
            q.end()
            return pix

        return self.sprites.get(("arc", size, colour.rgba(), step), make), o

    def _steam_sprite(self, r: float, step: int) -> tuple[QPixmap, QPointF]:
        """Three puffs of steam over the pan at ``step`` of ``STEAM_STEPS``, and where the pan's
        centre is."""
        r = round(r * 4) / 4
        ox, oy = math.ceil(r * 0.3) + 2, math.ceil(r * 0.8) + 2
        origin = QPointF(ox, oy)

        def make() -> QPixmap:
            pix, q = self._pixmap(ox + math.ceil(r * 0.3) + 2, oy, clear=True)
            steam = QColor(self.theme.muted)
            for k in range(3):
                ph = (step / STEAM_STEPS + k / 3.0) % 1.0
                steam.setAlpha(int(160 * (1 - ph)))
                q.setPen(QPen(steam, 1.5))
                sx = ox - r * 0.25 + k * r * 0.2
                y0 = oy - r * 0.15 - ph * r * 0.5
                q.drawArc(QRectF(sx, y0 - r * 0.1, r * 0.12, r * 0.2), 90 * 16, 180 * 16)
            q.end()
            return pix

        return self.sprites.get(("steam", r, step), make), origin

    def _chef_spot(self, lay: CardLayout) -> tuple[QPointF, float]:
        """The centre and diameter of a card's chef ring."""
        body = lay.body
        shrink = 0.82 if not lay.compact else 0.9
        return body.center(), min(body.width(), body.height()) * shrink

    def _render_card(self, lay: CardLayout, st: StationView, label: str, colour: QColor) -> QPixmap:
        """Everything of a station that stays still in its present state."""
        t = self.theme
        pix, p = self._pixmap(lay.w, lay.h)
        r = QRectF(0.6, 0.6, lay.w - 1.2, lay.h - 1.2)
        edge = colour if st.state not in (IDLE, STOPPED) else t.card_edge
        fill = t.card if st.state != WALKED_OUT else t.canvas
        self._card(p, r, fill, edge)
        if st.state == WALKED_OUT:
            pen = QPen(t.muted, 1.2, Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(r.adjusted(4, 4, -4, -4), 6, 6)
        u = self._u
        font, bold = (self._small, self._small_bold) if lay.compact else (self.font(), self._bold)
        fm, fmb = QFontMetricsF(font), QFontMetricsF(bold)
        # Header: the station's name and its state chip.
        name = st.name.capitalize()
        chip_w = min(
            fm.horizontalAdvance(label) + fm.height() * (0.8 if lay.compact else 1.0), lay.chip_row.width()
        )
        head = lay.head
        name_w = head.width() - (chip_w + u * 0.3 if lay.chip_right else 0)
        p.setFont(bold)
        p.setPen(t.text)
        p.drawText(
            QRectF(head.x(), head.y(), name_w, head.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fmb.elidedText(name, Qt.TextElideMode.ElideMiddle, name_w),
        )
        row = lay.chip_row
        if lay.chip_right:
            chip = QRectF(row.right() - chip_w, row.y(), chip_w, row.height())
        elif lay.compact:
            chip = QRectF(row.center().x() - chip_w / 2, row.y(), chip_w, row.height())
        else:
            chip = QRectF(row.x(), row.y(), chip_w, row.height())
        p.setFont(font)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawRoundedRect(chip, chip.height() / 2, chip.height() / 2)
        p.setPen(QColor("#ffffff"))
        p.drawText(
            chip,
            Qt.AlignmentFlag.AlignCenter,
            fm.elidedText(label, Qt.TextElideMode.ElideRight, chip.width() - 4),
        )
        p.setFont(self.font())
        # Body: the chef in a ring (drawn live while cooking, when it moves).
        c, size = self._chef_spot(lay)
        if size / 2 >= 6:
            self._paint_still_chef(p, c, size, st, colour)
        if lay.foot is not None:
            fm = QFontMetricsF(self.font())
            foot = lay.foot
            p.setPen(t.muted)
            # Room for the order (drawn live) whatever its number, so the card stays put.
            order_w = fm.horizontalAdvance(self._order_text(99999, foot.width())) + u * 0.5
            p.drawText(
                foot,
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                fm.elidedText(st.chef or "no chef", Qt.TextElideMode.ElideRight, foot.width() - order_w),
            )
        p.end()
        return pix

    def _order_text(self, order: int, width: float) -> str:
        text = f"order #{order}"
        if self.fontMetrics().horizontalAdvance(text) > width * 0.45:
            text = f"#{order}"
        return text

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

    def _paint_still_chef(
        self, p: QPainter, c: QPointF, size: float, st: StationView, colour: QColor
    ) -> None:
        """The ring and, unless cooking, the chef: all of it still in this state."""
        t = self.theme
        radius = size / 2
        ring = QRectF(c.x() - radius, c.y() - radius, size, size)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(t.card_edge, max(radius * 0.08, 2)))
        p.drawEllipse(ring)
        if st.state == PREPARING:
            return
        if self._progress(st) > 0:  # a full ring: the part is done
            p.setPen(self._arc_pen(radius, colour))
            p.drawArc(ring, 90 * 16, -360 * 16)
        if st.state == WALKED_OUT:
            p.setPen(t.muted)
            roomy = size > self._u * 8
            p.drawText(
                ring, Qt.AlignmentFlag.AlignCenter, "walked out\n(hire to return)" if roomy else "gone"
            )
            return
        r = radius * 0.55
        alpha = 110 if st.state in (STOPPED, RESTARTING) else 255
        eyes = (
            "crossed"
            if st.state == CRASHED
            else ("closed" if st.state in (WAITING, STOPPED, RESTARTING) else "open")
        )
        figure, fo = self._figure_sprite(r, eyes, alpha)
        p.drawPixmap(QPointF(c.x() - fo.x(), c.y() - r * 0.05 - fo.y()), figure)
        pan, po = self._pan_sprite(r, alpha)
        p.drawPixmap(QPointF(c.x() - po.x(), c.y() + r * 0.62 - po.y()), pan)
        if st.state == CRASHED:
            p.setPen(QPen(t.tones["crashed"], 2))
            p.drawText(
                QRectF(c.x() - r, c.y() - r * 1.6, 2 * r, r * 0.5), Qt.AlignmentFlag.AlignCenter, "crashed"
            )

    def _dots_sprite(self, r: float, blink: int) -> tuple[QPixmap, QPointF]:
        """Three dots, the ``blink``-th lit, and the offset of the chef ring's centre from the
        sprite's corner (they sit over the chef's hat)."""
        r = round(r * 4) / 4
        d = r * 0.07
        ox, oy = math.ceil(r * 0.25 + d) + 2, math.ceil(r * 1.62 + d) + 2
        origin = QPointF(ox, oy)

        def make() -> QPixmap:
            pix, q = self._pixmap(2 * ox, math.ceil(2 * d) + 4, clear=True)
            q.setPen(Qt.PenStyle.NoPen)
            for k in range(3):
                dot = QColor(self.theme.tones["waiting"])
                dot.setAlpha(255 if blink == k else 90)
                q.setBrush(dot)
                q.drawEllipse(QPointF(ox - r * 0.25 + k * r * 0.25, oy - r * 1.62), d, d)
            q.end()
            return pix

        return self.sprites.get(("dots", r, blink), make), origin

    def _figure_sprite(self, r: float, eyes: str, alpha: int) -> tuple[QPixmap, QPointF]:
        """The chef's hat, head and face for a head radius ``r``, and where the head's centre is."""
        r = round(r * 4) / 4  # a quarter pixel is as fine as a size needs to be
        ox, oy = math.ceil(r * 0.6) + 2, math.ceil(r * 1.4) + 2
        origin = QPointF(ox, oy)

        def make() -> QPixmap:
            t = self.theme
            pix, p = self._pixmap(2 * ox, oy + math.ceil(r * 0.5) + 2, clear=True)
            skin = QColor("#f1c9a5")
            skin.setAlpha(alpha)
            white = QColor("#ffffff")
            white.setAlpha(alpha)
            outline = QColor(t.text)
            outline.setAlpha(alpha)
            p.setBrush(white)
            p.save()
            p.translate(origin)
            p.scale(r, r)
            pen = QPen(outline, 1.2)
            pen.setCosmetic(True)  # keep the outline width whatever the scale
            p.setPen(pen)
            p.drawPath(_unit_hat())
            p.restore()
            p.setPen(QPen(outline, 1.2))
            p.setBrush(skin)
            p.drawEllipse(origin, r * 0.45, r * 0.45)
            p.setBrush(outline)
            eye_y = oy - r * 0.05
            if eyes == "crossed":
                p.setPen(QPen(t.tones["crashed"], 2))
                for ex in (-0.17, 0.17):
                    x = ox + ex * r
                    p.drawLine(
                        QPointF(x - r * 0.07, eye_y - r * 0.07), QPointF(x + r * 0.07, eye_y + r * 0.07)
                    )
                    p.drawLine(
                        QPointF(x - r * 0.07, eye_y + r * 0.07), QPointF(x + r * 0.07, eye_y - r * 0.07)
                    )
            elif eyes == "closed":
                p.setPen(QPen(outline, 1.5))
                for ex in (-0.17, 0.17):
                    p.drawLine(QPointF(ox + ex * r - r * 0.06, eye_y), QPointF(ox + ex * r + r * 0.06, eye_y))
            else:
                p.setPen(Qt.PenStyle.NoPen)
                for ex in (-0.17, 0.17):
                    p.drawEllipse(QPointF(ox + ex * r, eye_y), r * 0.05, r * 0.05)
            p.end()
            return pix

        return self.sprites.get(("figure", r, eyes, alpha), make), origin

    def _pan_sprite(self, r: float, alpha: int) -> tuple[QPixmap, QPointF]:
        """The pan and its handle, and where the pan's centre line meets the chef's axis."""
        r = round(r * 4) / 4
        ox, oy = math.ceil(r * 0.5) + 3, math.ceil(r * 0.25) + 3
        origin = QPointF(ox, oy)

        def make() -> QPixmap:
            pix, p = self._pixmap(ox + math.ceil(r * 0.9) + 3, oy + math.ceil(r * 0.15) + 3, clear=True)
            pan = QColor("#4b5058")
            pan.setAlpha(alpha)
            p.setPen(QPen(pan, max(r * 0.08, 2), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            p.drawLine(QPointF(ox + r * 0.35, oy), QPointF(ox + r * 0.8, oy - r * 0.1))
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(pan)
            p.drawEllipse(QPointF(ox - r * 0.05, oy), r * 0.42, r * 0.13)
            p.end()
            return pix

        return self.sprites.get(("pan", r, alpha), make), origin

    # -- the barrier gate ---------------------------------------------------------------
    def _paint_gate(self, p: QPainter, r: QRectF) -> None:
        """The shared gate: a slot per party in arrival order, the last arrival marked as the
        one that runs the action (combines the dish), and how the round ended."""
        stations = {st.chef: st.name for st in self.view.stations.values()}
        paint_gate(
            p,
            r.adjusted(0.6, 0.6, -0.6, -0.6),
            self.view.gate,
            self.now,
            self.font(),
            self.theme,
            label=lambda thread: stations.get(thread, thread),
            title="Barrier",
        )

    def _banner(self, p: QPainter, text: str) -> None:
        u = self._u
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
