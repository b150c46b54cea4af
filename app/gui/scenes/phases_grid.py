"""The phases grid's painted pieces: a cell per worker and phase, the gates between the
columns, the row and column headers, and the waiting-time bars. They only draw what they
are given (from the view-model); the scene lays them out and feeds them each frame."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.gui.theme import Theme, current_theme, seat_colour, tone_of
from app.scenes.phases import SCENE
from app.scenes.phases.model import CRASHED, IDLE, RESTARTING, STOPPED, worker_label
from app.scenes.phases.view import BROKE, CRASH, DONE, PENDING, WAIT, WORK, Cell, WorkerView


def _elide(font: QFont, text: str, width: float) -> str:
    return QFontMetricsF(font).elidedText(text, Qt.TextElideMode.ElideRight, max(width, 0.0))


def _tint(colour: QColor, alpha: int) -> QColor:
    c = QColor(colour)
    c.setAlpha(alpha)
    return c


def _bold(font: QFont, scale: float = 1.0) -> QFont:
    f = QFont(font)
    f.setBold(True)
    if scale != 1.0:
        f.setPointSizeF(font.pointSizeF() * scale)
    return f


class PhaseCell(QWidget):
    """One worker in one phase of the run under way: a progress bar while it works, the
    time it has waited at the phase's barrier, then a check mark and the wait measured."""

    def __init__(self, worker: int, phase: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"phaseCell_{worker}_{phase}")
        self.worker, self.phase = worker, phase
        self.colour = seat_colour(worker)
        self.cell = Cell()
        self.now = 0.0
        self.speed: float | None = 1.0
        self.parties = 1
        self.aggregates = False  # this column is the aggregate phase
        self.active = False
        self.theme = current_theme()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        u = self.fontMetrics().height()
        return QSize(u * 9, int(u * 2.6))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        u = self.fontMetrics().height()
        return QSize(u * 5, int(u * 1.35))

    def show_cell(
        self, cell: Cell, now: float, speed: float | None, parties: int, aggregates: bool, active: bool
    ) -> None:
        changed = (cell, parties, active) != (self.cell, self.parties, self.active)
        self.cell, self.now, self.speed = dataclasses.replace(cell), now, speed
        self.parties, self.aggregates, self.active = parties, aggregates, active
        self.setAccessibleName(f"{worker_label(self.worker)}, {self.phase}: {self.text()}")
        if changed or cell.state in (WORK, WAIT):
            self.update()

    @property
    def ran_action(self) -> bool:
        c = self.cell
        return c.state == DONE and c.index is not None and c.index == self.parties - 1

    def elapsed(self) -> float | None:
        """Simulated seconds since the state began (None at speed "max")."""
        if not self.speed:
            return None
        return max(self.now - self.cell.since, 0.0) * self.speed

    def text(self) -> str:
        return self.texts()[0]

    def texts(self) -> tuple[str, str]:
        """What the cell says, in full and for a narrow cell."""
        c = self.cell
        if c.state == PENDING:
            return (f"retry {c.attempt - 1}", f"retry {c.attempt - 1}") if c.attempt > 1 else ("", "")
        if c.state == WORK:
            e = self.elapsed()
            if e is None or c.duration <= 0:
                return "working", "working"
            done = f"{min(e / c.duration, 1.0):.0%}"
            return f"working {done}", done
        if c.state == WAIT:
            e = self.elapsed()
            return (f"waiting {e:.1f} s", f"wait {e:.1f} s") if e is not None else ("waiting", "waiting")
        if c.state == DONE:
            if c.wait_s is None:
                return "✓ done", "✓"
            return f"✓ waited {c.wait_s:.1f} s", f"✓ {c.wait_s:.1f} s"
        if c.state == CRASH:
            return "crashed", "crashed"
        return "broken", "broken"

    def paintEvent(self, _event: object) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        t = self.theme
        c = self.cell
        font = self.font()
        fm = QFontMetricsF(font)
        u = fm.height()
        r = QRectF(self.rect()).adjusted(1.5, 1.5, -1.5, -1.5)
        radius = min(u * 0.45, r.height() / 3)
        tones = t.tones
        edge, fill, style = t.card_edge, t.card, Qt.PenStyle.SolidLine
        if c.state == PENDING:
            style, fill = Qt.PenStyle.DashLine, t.canvas
        elif c.state == WAIT:
            edge = tones["waiting"]
        elif c.state == DONE:
            edge, fill = _tint(tones["working"], 150), _mix(t.card, tones["working"], 0.13)
        elif c.state == CRASH:
            edge, fill = tones["crashed"], _mix(t.card, tones["crashed"], 0.22)
        elif c.state == BROKE:
            edge, style = tones["crashed"], Qt.PenStyle.DashLine
        elif c.state == WORK:
            edge = tones["restarting"] if c.slow else self.colour
        p.setPen(QPen(edge, 1.6 if c.state in (WORK, WAIT) else 1.1, style))
        p.setBrush(fill)
        p.drawRoundedRect(r, radius, radius)
        # The work done, as a bar along the bottom (the whole cell when there is room).
        frac = 0.0
        if c.state == WORK:
            e = self.elapsed()
            frac = min(e / c.duration, 1.0) if e is not None and c.duration > 0 else 0.5
        elif c.state in (WAIT, DONE):
            frac = 1.0
        if frac > 0:
            bar_h = r.height() if r.height() < u * 2.2 else max(u * 0.42, r.height() * 0.22)
            bar = QRectF(r.x(), r.bottom() - bar_h, r.width() * frac, bar_h)
            p.save()
            p.setClipRect(bar)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(_tint(self.colour, 60 if c.state == DONE else 110 if bar_h == r.height() else 200))
            p.drawRoundedRect(r, radius, radius)
            p.restore()
        # Text: what the worker is doing here, and a note on the right.
        pad = u * 0.45
        two_lines = r.height() >= u * 2.3
        line1 = QRectF(r.x() + pad, r.y() + (u * 0.25 if two_lines else 0), r.width() - 2 * pad, u * 1.2)
        if not two_lines:
            line1 = QRectF(r.x() + pad, r.y(), r.width() - 2 * pad, r.height())
        note, note_colour = self._note(t)
        note_w = fm.horizontalAdvance(note) + u * 0.4 if note else 0.0
        p.setFont(_bold(font) if c.state in (WORK, WAIT) else font)
        p.setPen(t.muted if c.state in (PENDING, BROKE) else t.text)
        if c.state == CRASH:
            p.setPen(tones["crashed"].darker(115))
        main = QRectF(line1.x(), line1.y(), line1.width() - note_w, line1.height())
        p.drawText(
            main,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            _fit(p.font(), self.texts(), main.width()),
        )
        if note:
            p.setFont(font)
            p.setPen(note_colour)
            p.drawText(line1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, note)
        if two_lines:
            line2 = QRectF(line1.x(), line1.bottom(), line1.width(), u * 1.1)
            p.setFont(font)
            p.setPen(t.muted)
            p.drawText(
                line2,
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                _fit(font, self._details(), line2.width()),
            )
        if self.ran_action:  # the last to arrive ran the barrier action
            p.setPen(QPen(t.accent, max(u * 0.13, 2.0)))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(r.adjusted(1, 1, -1, -1), radius, radius)
        p.end()

    def _note(self, t: Theme) -> tuple[str, QColor]:
        c = self.cell
        if self.ran_action:
            return "★", t.accent
        if c.state == WAIT and c.index is not None:
            return f"#{c.index}", t.tones["waiting"].darker(130)
        if c.slow and c.state in (WAIT, DONE):
            return "slow", t.tones["restarting"]
        if c.attempt > 1 and c.state == WORK:
            return f"try {c.attempt}", t.tones["restarting"]
        return "", t.muted

    def _details(self) -> tuple[str, str]:
        """The second line, in full and short."""
        c = self.cell
        if self.ran_action:
            return ("ran the ∑ action", "★ ∑") if self.aggregates else ("ran the action", "★ action")
        if c.state == CRASH:
            return "barrier aborted", "aborted"
        if c.state == BROKE:
            return "phase starts over", "retry"
        if c.state not in (WORK, WAIT, DONE) or not c.duration:
            return "", ""
        work = ("slow: " if c.slow else "") + f"work {c.duration:.1f} s"
        if c.partial is not None and c.state in (WAIT, DONE):
            return f"{work} · +{c.partial}", f"+{c.partial}"
        return work, f"{c.duration:.1f} s"


def _fit(font: QFont, texts: tuple[str, str], width: float) -> str:
    """The full text if it fits, else the short one (elided if even that does not)."""
    full, short = texts
    if QFontMetricsF(font).horizontalAdvance(full) <= width:
        return full
    return _elide(font, short, width)


def _mix(a: QColor, b: QColor, k: float) -> QColor:
    return QColor(
        int(a.red() + (b.red() - a.red()) * k),
        int(a.green() + (b.green() - a.green()) * k),
        int(a.blue() + (b.blue() - a.blue()) * k),
    )


class GateColumn(QWidget):
    """A phase's barrier, drawn between its column and the next: a post with a notch per
    worker row, filled in the order they arrive; open (green) once the phase completed."""

    def __init__(self, phase: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"phaseGate_{phase}")
        self.phase = phase
        self.cells: Sequence[PhaseCell] = ()
        self.completed = False
        self.active = False
        self.theme = current_theme()
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        self.setToolTip(f"The barrier of phase {phase}: every worker waits here until all have arrived")

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        u = self.fontMetrics().height()
        return QSize(int(u * 1.7), u * 4)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return self.sizeHint()

    def show_state(self, cells: Sequence[PhaseCell], completed: bool, active: bool) -> None:
        key = (tuple((c.cell.state, c.cell.index) for c in cells), completed, active)
        if key != getattr(self, "_key", None):
            self._key = key
            self.cells, self.completed, self.active = cells, completed, active
            self.update()

    def paintEvent(self, _event: object) -> None:  # noqa: N802 - Qt's name
        if not self.cells:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        t = self.theme
        u = self.fontMetrics().height()
        x = self.width() / 2
        top = self.cells[0].y() - self.y()
        bottom = self.cells[-1].y() + self.cells[-1].height() - self.y()
        states = [c.cell.state for c in self.cells]
        broken = any(s in (BROKE, CRASH) for s in states)
        colour = t.tones["working"] if self.completed else t.tones["crashed"] if broken else t.card_edge
        if self.active and not self.completed and not broken:
            colour = t.tones["waiting"]
        pen = QPen(
            colour, max(u * 0.22, 3.0), Qt.PenStyle.DashLine if self.completed else Qt.PenStyle.SolidLine
        )
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        p.drawLine(QPointF(x, top + 2), QPointF(x, bottom - 2))
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.78)
        p.setFont(small)
        rad = min(u * 0.55, self.width() * 0.42)
        for cell in self.cells:
            cy = cell.y() + cell.height() / 2 - self.y()
            c = cell.cell
            centre = QPointF(x, cy)
            if c.state == WAIT or (c.state == DONE and c.index is not None):
                fill = t.tones["working"] if c.state == DONE else t.tones["waiting"]
                p.setPen(QPen(fill.darker(125), 1.2))
                p.setBrush(fill)
                p.drawEllipse(centre, rad, rad)
                p.setPen(QColor("#ffffff"))
                p.drawText(
                    QRectF(x - rad, cy - rad, 2 * rad, 2 * rad), Qt.AlignmentFlag.AlignCenter, str(c.index)
                )
            elif c.state in (BROKE, CRASH):
                p.setPen(QPen(t.tones["crashed"], 2.0))
                d = rad * 0.6
                p.drawLine(QPointF(x - d, cy - d), QPointF(x + d, cy + d))
                p.drawLine(QPointF(x - d, cy + d), QPointF(x + d, cy - d))
            else:
                p.setPen(QPen(colour, 1.2))
                p.setBrush(t.canvas)
                p.drawEllipse(centre, rad * 0.55, rad * 0.55)
        p.end()


class WorkerHeader(QWidget):
    """A row's head: the worker's colour, label, state and current thread."""

    def __init__(self, worker: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"workerHeader_{worker}")
        self.worker = WorkerView(worker)
        self.partial: int | None = None
        self.colour = seat_colour(worker)
        self.theme = current_theme()
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        u = self.fontMetrics().height()
        return QSize(u * 8, int(u * 1.35))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return self.sizeHint()

    def show_worker(self, wv: WorkerView, partial: int | None) -> None:
        key = (wv.state, wv.thread, wv.restarts, partial)
        if key != getattr(self, "_key", None):
            self._key = key
            self.worker, self.partial = dataclasses.replace(wv), partial
            self.setAccessibleName(f"{wv.label}: {wv.state}, thread {wv.thread}")
            self.update()

    def paintEvent(self, _event: object) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        t = self.theme
        wv = self.worker
        font = self.font()
        u = QFontMetricsF(font).height()
        r = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        gone = wv.state in (CRASHED, RESTARTING, STOPPED)
        dot = QColor(self.colour) if not gone else _tint(self.colour, 90)
        cy = r.center().y()
        two_lines = r.height() >= u * 2.3
        if two_lines:
            cy = r.y() + u * 0.85
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(dot)
        p.drawEllipse(QPointF(r.x() + u * 0.5, cy), u * 0.32, u * 0.32)
        p.setFont(_bold(font))
        p.setPen(t.text)
        name_r = QRectF(r.x() + u * 1.0, cy - u * 0.6, u * 2.2, u * 1.2)
        p.drawText(name_r, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, wv.label)
        p.setFont(font)
        chip_text = "idle" if wv.state == IDLE else wv.state
        fm = QFontMetricsF(font)
        chip_w = min(fm.horizontalAdvance(chip_text) + u * 0.8, r.right() - name_r.right())
        chip = QRectF(name_r.right(), cy - u * 0.55, chip_w, u * 1.1)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(tone_of(t, SCENE.tones, wv.state))
        p.drawRoundedRect(chip, chip.height() / 2, chip.height() / 2)
        p.setPen(QColor("#ffffff"))
        p.drawText(chip, Qt.AlignmentFlag.AlignCenter, _elide(font, chip_text, chip_w - u * 0.3))
        if two_lines:
            sub = QRectF(r.x() + u * 1.0, cy + u * 0.6, r.width() - u * 1.0, u * 1.1)
            p.setPen(t.muted)
            extra = f" · restarted {wv.restarts}×" if wv.restarts else ""
            p.drawText(
                sub,
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                _elide(font, (wv.thread or "–") + extra, sub.width()),
            )
        p.end()


class PhaseHeader(QWidget):
    """A column's head: the phase's name, whether it aggregates, and how it stands."""

    def __init__(self, phase: str, index: int, aggregates: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"phaseHeader_{phase}")
        self.phase, self.index, self.aggregates = phase, index, aggregates
        self.status = ""
        self.tone = "idle"
        self.active = False
        self.theme = current_theme()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        u = self.fontMetrics().height()
        return QSize(u * 9, int(u * 2.5))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        u = self.fontMetrics().height()
        return QSize(u * 5, int(u * 2.5))

    def show_status(self, status: str, tone: str, active: bool) -> None:
        if (status, tone, active) != (self.status, self.tone, self.active):
            self.status, self.tone, self.active = status, tone, active
            self.setAccessibleName(f"Phase {self.phase}: {status}")
            self.update()

    def paintEvent(self, _event: object) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        t = self.theme
        font = self.font()
        u = QFontMetricsF(font).height()
        r = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        head = QRectF(r.x() + u * 0.3, r.y(), r.width() - u * 0.6, u * 1.3)
        p.setFont(_bold(font, 1.1))
        p.setPen(t.text)
        title = f"{self.index + 1}. {self.phase}" + ("  ∑" if self.aggregates else "")
        p.drawText(
            head,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            _elide(p.font(), title, head.width()),
        )
        p.setFont(font)
        colour = t.tones.get(self.tone, t.muted)
        sub = QRectF(head.x(), head.bottom(), head.width(), u * 1.05)
        p.setPen(colour if self.tone != "idle" else t.muted)
        p.drawText(
            sub,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            _elide(font, self.status, sub.width()),
        )
        if self.active:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(t.accent)
            p.drawRoundedRect(
                QRectF(r.x() + u * 0.3, r.bottom() - u * 0.16, r.width() - u * 0.6, u * 0.16), 2, 2
            )
        p.end()


class WaitBars(QWidget):
    """Simulated seconds spent waiting at each phase's barrier, all runs so far."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("waitBars")
        self.setAccessibleName("Waiting time per phase")
        self.rows: tuple[tuple[str, float, int], ...] = ()
        self.theme = current_theme()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def show_waits(self, names: Sequence[str], waits: Sequence[float], retries: Sequence[int]) -> None:
        rows = tuple(zip(names, (round(w, 2) for w in waits), retries, strict=True))
        if rows != self.rows:
            self.rows = rows
            self.setMinimumHeight(self._height())
            self.updateGeometry()
            self.update()

    def _height(self) -> int:
        u = self.fontMetrics().height()
        return int(u * 1.45 * max(len(self.rows), 1) + u * 0.3)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        u = self.fontMetrics().height()
        return QSize(u * 16, self._height())

    def paintEvent(self, _event: object) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        t = self.theme
        font = self.font()
        fm = QFontMetricsF(font)
        u = fm.height()
        name_w = max((fm.horizontalAdvance(n) for n, _, _ in self.rows), default=u) + u * 0.6
        value_w = fm.horizontalAdvance("000.0 s · 0↻") + u * 0.6
        top = max((w for _, w, _ in self.rows), default=0.0) or 1.0
        y = u * 0.15
        for name, wait, retries in self.rows:
            row = QRectF(0, y, self.width(), u * 1.3)
            p.setPen(t.text)
            p.drawText(QRectF(row.x(), row.y(), name_w, row.height()), Qt.AlignmentFlag.AlignVCenter, name)
            track = QRectF(name_w, row.y() + u * 0.3, max(row.width() - name_w - value_w, u), u * 0.7)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(t.canvas)
            p.drawRoundedRect(track, 3, 3)
            p.setBrush(t.tones["waiting"])
            p.drawRoundedRect(QRectF(track.x(), track.y(), track.width() * wait / top, track.height()), 3, 3)
            p.setPen(t.muted)
            text = f"{wait:.1f} s" + (f" · {retries}↻" if retries else "")
            p.drawText(
                QRectF(track.right() + u * 0.3, row.y(), value_w + u, row.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                text,
            )
            y += u * 1.45
        p.end()


__all__ = ["GateColumn", "PhaseCell", "PhaseHeader", "WaitBars", "WorkerHeader"]
