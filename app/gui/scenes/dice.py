"""The dice game window: a seat per player, score bars, the round barrier, the rounds so far."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import cast

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Slot
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.engine.clock import SimClock
from app.gui.scene_base import SPEEDS, SceneBase, set_if_changed
from app.gui.theme import Theme, current_theme, seat_colour, tone_of
from app.gui.widgets.controls import ControlRow
from app.gui.widgets.counters import CounterPanel
from app.gui.widgets.gate import BarrierGate
from app.scenes.dice import SCENE
from app.scenes.dice.model import (
    AT_BARRIER,
    BETWEEN,
    DISCONNECTED,
    MAX_PLAYERS,
    MAX_ROUNDS,
    MIN_PLAYERS,
    ROLLING,
    WAITING_START,
    DiceConfig,
    DiceGame,
)
from app.scenes.dice.view import COUNTDOWN, OVER, PLAYING, READY, DiceView, PlayerView, RoundEntry, join_names
from app.trace.recorder import Record

HISTORY_ROWS = 200


# Pip positions on a unit die, per face.
_PIPS = {
    1: ((0.5, 0.5),),
    2: ((0.27, 0.27), (0.73, 0.73)),
    3: ((0.27, 0.27), (0.5, 0.5), (0.73, 0.73)),
    4: ((0.27, 0.27), (0.73, 0.27), (0.27, 0.73), (0.73, 0.73)),
    5: ((0.27, 0.27), (0.73, 0.27), (0.5, 0.5), (0.27, 0.73), (0.73, 0.73)),
    6: ((0.27, 0.25), (0.73, 0.25), (0.27, 0.5), (0.73, 0.5), (0.27, 0.75), (0.73, 0.75)),
}


def paint_die(p: QPainter, centre: QPointF, size: float, value: int, edge: QColor, dim: bool = False) -> None:
    """A die of side ``size`` around ``centre``: ``value`` pips (0: a blank face)."""
    face = QColor("#fbfaf7")
    pip = QColor("#2b2f36")
    if dim:
        face, pip, edge = QColor("#d9dde2"), QColor("#9aa3ad"), QColor("#9aa3ad")
    r = QRectF(centre.x() - size / 2, centre.y() - size / 2, size, size)
    p.setPen(QPen(edge, max(size * 0.05, 1.5)))
    p.setBrush(face)
    p.drawRoundedRect(r, size * 0.18, size * 0.18)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(pip)
    for fx, fy in _PIPS.get(value, ()):
        p.drawEllipse(QPointF(r.x() + fx * size, r.y() + fy * size), size * 0.085, size * 0.085)


class SeatCard(QWidget):
    """One player: colour, name, a die that tumbles while rolling, its state and score."""

    def __init__(self, seat: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"seat_{seat}")
        self.seat = seat
        self.colour = seat_colour(seat)
        self.player = PlayerView("", seat)
        self.now = 0.0
        self.speed: float | None = 1.0
        self.winner = False
        self.theme = current_theme()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_player(self, pv: PlayerView, now: float, speed: float | None, winner: bool) -> None:
        changed = (pv.state, pv.value, pv.score, winner, pv.lagging) != (
            self.player.state,
            self.player.value,
            self.player.score,
            self.winner,
            self.player.lagging,
        )
        self.player, self.now, self.speed, self.winner = dataclasses.replace(pv), now, speed, winner
        self.setAccessibleName(f"{pv.name}: {self.state_text()}, score {pv.score}")
        if changed or pv.state in (ROLLING, AT_BARRIER, WAITING_START):
            self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        u = self.fontMetrics().height()
        return QSize(u * 9, u * 9)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        u = self.fontMetrics().height()
        return QSize(u * 7, u * 7)

    def state_text(self) -> str:
        pv = self.player
        if pv.state == ROLLING and pv.lagging:
            return "lagging…"
        if self.winner:
            return "winner"
        return pv.state

    def paintEvent(self, _event: object) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        t = self.theme
        pv = self.player
        fm = QFontMetricsF(self.font())
        u = fm.height()
        r = QRectF(self.rect()).adjusted(1.5, 1.5, -1.5, -1.5)
        away = pv.state == DISCONNECTED
        edge = self.colour if pv.state in (ROLLING, AT_BARRIER) or self.winner else t.card_edge
        pen = QPen(edge, 2.4 if self.winner else 1.4, Qt.PenStyle.DashLine if away else Qt.PenStyle.SolidLine)
        p.setPen(pen)
        p.setBrush(t.canvas if away else t.card)
        p.drawRoundedRect(r, u * 0.6, u * 0.6)
        # The seat's colour as a band along the top.
        band = QRectF(r.x() + u * 0.6, r.y(), r.width() - u * 1.2, u * 0.28)
        p.setPen(Qt.PenStyle.NoPen)
        band_colour = QColor(self.colour)
        if away:
            band_colour.setAlpha(90)
        p.setBrush(band_colour)
        p.drawRoundedRect(band, u * 0.14, u * 0.14)
        # Name, then the state chip under it.
        bold = QFont(self.font())
        bold.setBold(True)
        bold.setPointSizeF(self.font().pointSizeF() * 1.15)
        p.setFont(bold)
        p.setPen(t.muted if away else t.text)
        head = QRectF(r.x() + u * 0.6, r.y() + u * 0.45, r.width() - u * 1.2, u * 1.4)
        name = pv.name + ("  ★" if self.winner else "")
        p.drawText(head, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        p.setFont(self.font())
        label = self.state_text()
        chip_colour = t.accent if self.winner else tone_of(t, SCENE.tones, pv.state)
        if pv.state == ROLLING and pv.lagging:
            chip_colour = t.tones["restarting"]
        chip_w = min(fm.horizontalAdvance(label) + u, head.width())
        chip = QRectF(head.x(), head.bottom() + u * 0.1, chip_w, u * 1.15)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(chip_colour)
        p.drawRoundedRect(chip, chip.height() / 2, chip.height() / 2)
        p.setPen(QColor("#ffffff"))
        p.drawText(
            chip, Qt.AlignmentFlag.AlignCenter, fm.elidedText(label, Qt.TextElideMode.ElideRight, chip_w - 4)
        )
        # The die, in the middle of what is left.
        foot_h = u * 1.4
        body = QRectF(
            r.x(), chip.bottom() + u * 0.3, r.width(), r.bottom() - chip.bottom() - u * 0.3 - foot_h
        )
        size = max(min(body.width() * 0.5, body.height() * 0.78), u * 1.5)
        centre = body.center()
        value, angle = pv.value, 0.0
        if pv.state == ROLLING:
            rate = 4.0 if pv.lagging else 11.0  # a lagging player's die turns slowly
            phase = self.now * rate + self.seat * 1.7
            value = int(phase) % 6 + 1
            angle = math.sin(phase * 1.9) * 16.0
            centre = QPointF(centre.x(), centre.y() - abs(math.sin(phase * math.pi)) * size * 0.08)
        p.save()
        p.translate(centre)
        p.rotate(angle)
        paint_die(p, QPointF(0, 0), size, value, self.colour, dim=away)
        p.restore()
        if pv.state == ROLLING and not pv.lagging and self.speed and pv.duration > 0:
            done = min((self.now - pv.since) * self.speed / pv.duration, 1.0)
            ring = QRectF(
                body.center().x() - size * 0.75, body.center().y() - size * 0.75, size * 1.5, size * 1.5
            )
            p.setPen(QPen(self.colour, max(u * 0.12, 2.0), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawArc(ring, 90 * 16, int(-360 * 16 * done))
        # Score and last roll along the bottom.
        foot = QRectF(r.x() + u * 0.6, r.bottom() - foot_h, r.width() - u * 1.2, u * 1.2)
        p.setPen(t.text)
        p.drawText(foot, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"score {pv.score}")
        aside = "offline" if away else f"rolled {pv.value}" if pv.value and pv.state != ROLLING else ""
        if aside:
            p.setPen(t.muted)
            p.drawText(foot, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, aside)
        p.end()


class DiceScene(SceneBase):
    """Owns one DiceGame at a time; draws only what the trace says and forwards clicks."""

    scene = SCENE

    def __init__(self, parent: QWidget | None = None, speed: float = 1.0) -> None:
        super().__init__(parent, speed)
        self.config = DiceConfig()
        self.view = DiceView.for_players(self.config.players)
        self.seats: list[SeatCard] = []
        self.score_bars: list[QProgressBar] = []
        self.score_names: list[QLabel] = []
        self._history_shown = 0
        self._ended_handled = False
        self._shown = (0, 0, 0)
        self._build()
        self.load(self.config)

    @property
    def game(self) -> DiceGame | None:
        return cast("DiceGame | None", self.sim)

    # -- building -------------------------------------------------------------------------
    def _build(self) -> None:
        b = self.button
        self.start_button = b(
            "startGameButton",
            "&Start game",
            "A fresh game with the players, rounds and seed chosen: a countdown, then the "
            "game_start Event releases every player at once",
            "Ctrl+N",
            self.start_game,
        )
        self.controls = ControlRow(self, self.start_button, self.force_shutdown)
        self.shutdown_button = self.controls.shutdown_button
        self.players_spin = QSpinBox(objectName="playersSpin", minimum=MIN_PLAYERS, maximum=MAX_PLAYERS)
        self.players_spin.setToolTip("Players (threads) in the next game")
        self.rounds_spin = QSpinBox(objectName="roundsSpin", minimum=1, maximum=MAX_ROUNDS)
        self.rounds_spin.setToolTip("Rounds in the next game")
        self.seed_spin = QSpinBox(objectName="seedSpin", minimum=0, maximum=2**31 - 1)
        self.seed_spin.setToolTip("Seed: every roll depends only on the seed, the round and the player")
        self.player_combo = QComboBox(objectName="faultPlayerCombo")
        self.player_combo.setToolTip("The player a disconnect, lag or rejoin is for")
        self.player_combo.setAccessibleName("Fault player")
        self.player_combo.currentIndexChanged.connect(self._target_changed)
        self.disconnect_button = b(
            "disconnectPlayerButton",
            "&Disconnect",
            "The player drops out mid-roll without a word: the others' barrier wait times out, "
            "the round's rolls are taken back and it is replayed with one party fewer",
            "Ctrl+1",
            lambda: self.inject("disconnect"),
        )
        self.lag_button = b(
            "lagPlayerButton",
            "&Lag",
            "The player rolls slowly: half a timeout and the round waits, two and it breaks and is replayed",
            "Ctrl+2",
            lambda: self.inject("lag"),
        )
        self.rejoin_button = b(
            "rejoinPlayerButton",
            "Re&join",
            "A disconnected player comes back between rounds: a new thread, and the barrier gets its "
            "party back",
            "Ctrl+3",
            lambda: self.inject("rejoin"),
        )
        game_row = QHBoxLayout()
        for text, spin in (
            ("Players", self.players_spin),
            ("Rounds", self.rounds_spin),
            ("Seed", self.seed_spin),
        ):
            game_row.addWidget(QLabel(text, buddy=spin))
            game_row.addWidget(spin)
        game_row.addSpacing(self.fontMetrics().averageCharWidth() * 3)
        game_row.addWidget(QLabel("Fault for", buddy=self.player_combo))
        game_row.addWidget(self.player_combo)
        for w in (self.disconnect_button, self.lag_button, self.rejoin_button):
            game_row.addWidget(w)
        game_row.addStretch(1)

        self.counters = CounterPanel(
            (
                ("roundsPlayedCount", "Rounds played"),
                ("roundsBrokenCount", "Broken"),
                ("cancelledCount", "Cancelled"),
                ("disconnectCount", "Disconnects"),
                ("rejoinCount", "Rejoins"),
            ),
            self,
        )
        self.status_label = self.assemble(
            self._build_table(), [self.controls, game_row], self.counters, "diceStatus"
        )

    def _build_table(self) -> QWidget:
        table = QWidget(objectName="diceTable")
        u = self.fontMetrics().height()
        self.round_label = QLabel("", objectName="roundLabel")
        self.round_label.setProperty("role", "counter")
        self.round_label.setAccessibleName("Round")
        self.start_light = QLabel("", objectName="gameStartLight")
        self.start_light.setToolTip("The game_start Event: players wait on it until the countdown sets it")
        self.winner_label = QLabel("", objectName="winnerLabel")
        self.winner_label.setAccessibleName("Winner")
        self.winner_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        t = current_theme()
        self.winner_label.setStyleSheet(
            f"QLabel#winnerLabel {{ background: {t.accent.name()}; color: #ffffff; font-weight: 600;"
            f" font-size: 15pt; border-radius: {u // 2}px; padding: {u // 4}px {u}px; }}"
        )
        self.winner_label.hide()
        header = QHBoxLayout()
        header.addWidget(self.round_label)
        header.addSpacing(u)
        header.addWidget(self.start_light)
        header.addStretch(1)
        header.addWidget(self.winner_label)

        self.seat_grid = QGridLayout()
        self.seat_grid.setSpacing(u // 2)
        self.gate = BarrierGate(table, "roundGate")
        left = QVBoxLayout()
        left.addLayout(self.seat_grid, 1)
        left.addWidget(self.gate)

        self.score_grid = QGridLayout()
        self.score_grid.setHorizontalSpacing(u // 2)
        self.history = QTableWidget(0, 1, objectName="roundHistory")
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.history.verticalHeader().hide()
        self.history.setWordWrap(False)
        self.history.setAccessibleName("Rounds so far")
        right = QVBoxLayout()
        right.addWidget(QLabel("Scores", objectName="sectionTitle"))
        right.addLayout(self.score_grid)
        right.addSpacing(u // 2)
        right.addWidget(QLabel("Rounds", objectName="sectionTitle"))
        right.addWidget(self.history, 1)
        side = QWidget()
        side.setLayout(right)
        side.setMinimumWidth(u * 20)
        side.setMaximumWidth(u * 32)

        body = QHBoxLayout()
        body.addLayout(left, 3)
        body.addWidget(side, 2)
        outer = QVBoxLayout(table)
        outer.addLayout(header)
        outer.addLayout(body, 1)
        return table

    def _build_players(self, n: int) -> None:
        """A seat, a score bar and a history column per player (rebuilt when n changes)."""
        if len(self.seats) == n:
            return
        for w in [*self.seats, *self.score_bars, *self.score_names]:
            w.setParent(None)
            w.deleteLater()
        self.seats, self.score_bars, self.score_names = [], [], []
        cols = n if n < 4 else math.ceil(n / 2)  # 4 players sit two by two
        names = list(self.view.players)
        for i in range(n):
            seat = SeatCard(i + 1, self)
            self.seat_grid.addWidget(seat, i // cols, i % cols)
            self.seats.append(seat)
            colour = seat_colour(i + 1).name()
            name = QLabel(f"<span style='color:{colour}'>●</span> {names[i]}")
            bar = QProgressBar(objectName=f"scoreBar_{i + 1}")
            bar.setFormat("%v")
            bar.setAccessibleName(f"{names[i]}'s score")
            bar.setStyleSheet(
                f"QProgressBar::chunk {{ background-color: {colour}; border-radius: 3px; }}"
                "QProgressBar { text-align: center; border-radius: 4px; }"
            )
            self.score_grid.addWidget(name, i, 0)
            self.score_grid.addWidget(bar, i, 1)
            self.score_names.append(name)
            self.score_bars.append(bar)
        self.history.setColumnCount(n + 2)
        self.history.setHorizontalHeaderLabels(["Round", *names, "Closed by"])
        head = self.history.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setStretchLastSection(True)

    # -- game lifecycle -------------------------------------------------------------------
    def load(self, config: DiceConfig) -> None:
        """A fresh game from ``config`` (a scenario's, or the controls'), not started yet."""
        self.stop_simulation("new game")
        self.config = config
        for spin, value in (
            (self.players_spin, config.players),
            (self.rounds_spin, config.rounds),
            (self.seed_spin, config.seed),
        ):
            spin.setValue(min(value, spin.maximum()))
        self._shown = self._spins()
        recorder = self.new_recorder(config.seed)
        game = DiceGame(
            config, clock=SimClock(self.speed, recorder=recorder), recorder=recorder, host=self.host
        )
        self.view = DiceView.for_players(config.players)
        self._build_players(config.players)
        for bar in self.score_bars:
            bar.setRange(0, 6 * config.rounds)
            bar.setValue(0)
        self.history.setRowCount(0)
        self._history_shown = 0
        self._ended_handled = False
        self.winner_label.hide()
        self.winner_label.setText("")
        current = self.player_combo.currentData()
        self.player_combo.clear()
        self.player_combo.addItem("any player", None)
        for name in config.names:
            self.player_combo.addItem(name, name)
        self.player_combo.setCurrentIndex(max(self.player_combo.findData(current), 0))
        self.attach(game)
        self._frame()

    def _spins(self) -> tuple[int, int, int]:
        return self.players_spin.value(), self.rounds_spin.value(), self.seed_spin.value()

    def _chosen_config(self) -> DiceConfig:
        """The loaded config, with whatever the user changed in the spin boxes since."""
        if self._spins() == self._shown:
            return self.config  # a scenario's seed may be larger than a spin box holds
        players, rounds, seed = self._spins()
        return dataclasses.replace(self.config, players=players, rounds=rounds, seed=seed)

    @Slot()
    def start_game(self) -> None:
        game = self.game
        config = self._chosen_config()
        if game is None or game.started or config != self.config:
            self.load(config)
            game = self.game
        assert game is not None
        game.start()
        self._frame()  # the controls follow at once, not on the next frame
        self.say(f"Counting down: {config.players} players wait on the game_start Event")

    @Slot()
    def force_shutdown(self) -> None:
        self.stop_simulation("forced shutdown")

    def inject(self, kind: str) -> None:
        game = self.game
        if game is None:
            return
        try:
            who = game.inject(kind, self.player_combo.currentData())
        except ValueError as exc:
            self.say(f"Cannot {kind}: {exc}")
            return
        pv = self.view.players.get(who)
        rolling = pv is not None and pv.state == ROLLING
        if kind == "rejoin":
            self.say(f"{who} rejoins when the current round has closed")
        else:
            self.say(f"{kind.capitalize()}: {who}, {'now' if rolling else 'on the next roll'}")

    @Slot(int)
    def _target_changed(self, _index: int) -> None:
        self._sync_controls()

    def hint(self) -> str:
        return "Press Start game: a countdown, then the game_start Event releases every player at once"

    # -- trace in, pixels out -------------------------------------------------------------
    def apply_record(self, rec: Record) -> None:
        self.view.apply(rec)
        if rec["kind"] == "game.over" and not self._ended_handled:
            self._ended_handled = True
            QTimer.singleShot(0, self._game_over)

    @Slot()
    def _game_over(self) -> None:
        """The players have left by themselves; join their threads now."""
        game = self.game
        if game is not None and game.game_over:
            self.stop_simulation(game.end_reason)

    def update_counters(self) -> None:
        v = self.view
        self.counters.set_values(
            {
                "roundsPlayedCount": v.served,
                "roundsBrokenCount": v.broken,
                "cancelledCount": v.cancelled,
                "disconnectCount": v.disconnects,
                "rejoinCount": v.rejoins,
            }
        )
        for bar, pv in zip(self.score_bars, v.players.values(), strict=False):
            if bar.value() != pv.score:
                bar.setValue(min(pv.score, bar.maximum()))
        set_if_changed(self.round_label, self._round_text())
        self._sync_controls()
        text = v.winner_text()
        if text and self.winner_label.text() != text:
            self.winner_label.setText(text)
            self.winner_label.show()
        self._sync_history()

    def _round_text(self) -> str:
        v = self.view
        total = max(v.placed, self.config.rounds)
        if v.status == READY:
            return f"{total} rounds, not started"
        if v.status == COUNTDOWN:
            return f"Get ready… {v.countdown}"
        if v.status == OVER:
            return f"Game over after {v.served} rounds"
        if not v.round:
            return f"Round 1 of {total}"
        replay = f" (replay {v.attempt - 1})" if v.attempt > 1 else ""
        return f"Round {v.round} of {total}{replay}"

    def _sync_history(self) -> None:
        fresh = self.view.history_total - self._history_shown
        if fresh <= 0:
            return
        t = current_theme()
        names = list(self.view.players)
        columns = len(names) + 2
        for entry in list(self.view.history)[-fresh:]:
            row = self.history.rowCount()
            self.history.insertRow(row)
            self._history_row(row, entry, names, columns, t)
        while self.history.rowCount() > HISTORY_ROWS:  # a long game keeps its latest rounds
            self.history.removeRow(0)
        self._history_shown = self.view.history_total
        self.history.scrollToBottom()

    def _history_row(self, row: int, e: RoundEntry, names: list[str], columns: int, t: Theme) -> None:
        def cell(col: int, text: str, tip: str = "") -> QTableWidgetItem:
            item = QTableWidgetItem(text)
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            if tip:
                item.setToolTip(tip)
            self.history.setItem(row, col, item)
            return item

        if e.ok:
            rolls, scores = dict(e.rolls), dict(e.scores)
            cell(0, str(e.round) + (f" (try {e.attempt})" if e.attempt > 1 else ""))
            for col, name in enumerate(names, 1):
                if name in rolls:
                    cell(col, f"{rolls[name]} → {scores.get(name, 0)}", f"{name} rolled {rolls[name]}")
                else:
                    cell(col, "–", f"{name} was not at the table")
            closer = self.view.threads.get(e.closer, e.closer)
            cell(columns - 1, closer, "The last to arrive at the barrier: its thread ran the action")
            return
        why = []
        if e.dropped:
            why.append(f"{join_names(e.dropped)} disconnected")
        if e.late:
            why.append(f"{join_names(e.late)} lagged")
        reason = "; ".join(why) or e.cause
        then = "game stopped" if e.cause == "shutdown" else "replayed"
        tip = f"The barrier broke ({e.cause}): {reason}. The round's rolls were taken back" + (
            "." if e.cause == "shutdown" else " and the round was played again."
        )
        first = cell(0, f"{e.round} ✕", tip)
        first.setForeground(t.tones["crashed"])
        rest = cell(1, f"broke: {reason}; {then}", tip)
        rest.setForeground(t.tones["crashed"])
        rest.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.history.setSpan(row, 1, 1, columns - 1)

    def draw(self, now: float) -> None:
        game = self.game
        assert game is not None
        v = self.view
        speed = None if game.clock.is_max else game.clock.speed
        for seat, pv in zip(self.seats, v.players.values(), strict=False):
            seat.show_player(pv, now, speed, pv.name in v.winners)
        self.gate.show_view(
            v.barrier, now, label=self._thread_label, colour=self._thread_colour, title="Round barrier"
        )
        self.update_counters()

    def _sync_controls(self) -> None:
        """What can be clicked now, and what the status line says (after every batch too,
        so a click right after a record lands never meets a stale button)."""
        game = self.game
        if game is None:
            return
        v = self.view
        set_if_changed(
            self.start_light,
            "game_start: <b>set</b>" if v.status not in (READY, COUNTDOWN) else "game_start: <i>not set</i>",
        )
        self.start_light.setVisible(game.started or v.status != READY)
        running = game.started and not game.stopped and not game.shutting_down and v.status != OVER
        self.start_button.setEnabled(not running)
        self.start_button.setText("&Start game" if not game.started else "&New game")
        for w in (self.pause_button, self.shutdown_button):
            w.setEnabled(running)
        target = self.player_combo.currentData()
        connected = [p.name for p in v.players.values() if p.state != DISCONNECTED]
        away = [p.name for p in v.players.values() if p.state == DISCONNECTED]
        chosen_here = target is None or target in connected
        self.disconnect_button.setEnabled(running and chosen_here and len(connected) > 1)
        self.lag_button.setEnabled(running and chosen_here)
        self.rejoin_button.setEnabled(running and (target in away or (target is None and bool(away))))
        set_if_changed(self.status_label, self._status_text(game))

    def _thread_label(self, thread: str) -> str:
        return self.view.threads.get(thread, thread)

    def _thread_colour(self, thread: str) -> QColor | None:
        pv = self.view.player_of(thread)
        return seat_colour(pv.seat) if pv is not None else None

    def _status_text(self, game: DiceGame) -> str:
        v = self.view
        if v.status == READY:
            return "Not started. Start game counts down, then sets the game_start Event."
        if v.status == COUNTDOWN:
            return "Every player waits on the game_start Event; the countdown sets it for all at once."
        if v.status == OVER:
            return f"{v.winner_text()}. The last round's barrier action decided it; New game plays again."
        if v.status == PLAYING:
            rolling = sum(p.state == ROLLING for p in v.players.values())
            waiting = sum(p.state == AT_BARRIER for p in v.players.values())
            between = sum(p.state == BETWEEN for p in v.players.values())
            text = f"{rolling} rolling, {waiting} at the barrier"
            if between:
                text += f", {between} between rounds"
            if v.last_fault:
                text += f"; last fault: {v.last_fault}"
            return text
        return f"Stopped ({v.reason or game.shutdown_reason or 'shutdown'}); New game starts again."

    def pose(self, spin: Callable[..., None]) -> None:
        """A round broken by a disconnect in the history, and its replay under way with one
        party fewer: most players at the barrier, one of them lagging."""
        self.load(DiceConfig(players=5, rounds=8, seed=4))
        self.speed_slider.setValue(4)  # 4x
        self.start_game()
        spin(10.0, lambda: self.view.served >= 2)
        self.player_combo.setCurrentIndex(self.player_combo.findData("Cleo"))
        self.inject("disconnect")
        spin(8.0, lambda: self.view.broken >= 1)
        self.player_combo.setCurrentIndex(self.player_combo.findData("Emil"))
        self.inject("lag")
        spin(8.0, lambda: self.view.players["Emil"].lagging and self.view.barrier.waiting >= 3)
        spin(0.2)

    # -- selftest (python -m app selftest) --------------------------------------------------
    def selftest(
        self, check: Callable[[str, bool], None], wait: Callable[[Callable[[], bool], float], bool]
    ) -> None:
        """Play a game, break a round with a disconnect, then force a shutdown mid-game."""
        self.speed_slider.setValue(len(SPEEDS) - 1)
        self.players_spin.setValue(3)
        self.rounds_spin.setValue(3)
        self.start_button.click()
        check("the game ends with a winner", wait(lambda: bool(self.winner_label.text()), 20))
        check("every round played once", self.counters.value("roundsPlayedCount") == 3)
        check(
            "score bars show the final scores",
            [b.value() for b in self.score_bars] == [p.score for p in self.view.players.values()],
        )
        self.rounds_spin.setValue(4)
        self.start_button.click()
        self.player_combo.setCurrentIndex(self.player_combo.findData("Basil"))
        self.disconnect_button.click()
        check("a disconnect breaks the round", wait(lambda: self.view.broken >= 1, 10))
        check(
            "the round is replayed without the player and the game ends",
            wait(lambda: bool(self.winner_label.text()), 20) and self.view.served == 4,
        )
        self.start_button.click()
        wait(lambda: self.view.status == PLAYING, 10)
        t0 = time.monotonic()
        self.shutdown_button.click()
        joined = not self.host.running() and time.monotonic() - t0 < 0.5
        check("force shutdown joins every player within 0.5 s", joined)
        check("unplayed rounds are cancelled", self.view.served + self.view.cancelled == self.view.placed)


__all__ = ["DiceScene", "SeatCard", "paint_die"]
