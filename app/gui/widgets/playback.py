"""Step and scrub controls, and the bar that holds them with the playback banner.

``StepControls`` knows nothing of traces or simulations: it shows a position and emits what
the user asked for. Whoever drives it (``app.gui.playback.Playback`` for a trace played
back) listens to its signals and calls ``set_position``. Its modes:

- ``PLAYBACK``: play / pause, step back, next step, the scrub slider and a speed, for a
  trace whose records are all known;
- ``LIVE``: only ``stepButton`` ("Next step") and the position caption, for a live run that
  is stepped one scheduling step at a time (no going back, no scrubbing a future not yet
  made);
- ``OFF``: hidden.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

OFF, PLAYBACK, LIVE = "off", "playback", "live"
#: Playback speeds, in simulated seconds per real second; None plays as fast as it folds.
PLAYBACK_SPEEDS: tuple[float | None, ...] = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, None)


def speed_text(speed: float | None) -> str:
    return "max" if speed is None else f"{speed:g}×"


class StepControls(QWidget):
    """Play, step back, next step, a scrub slider over record positions, and a speed.

    Signals carry requests only; nothing moves until the driver calls ``set_position``.
    Shortcuts (active while the mode shows the control, anywhere in ``host``): Space play /
    pause, ``.`` next step, ``,`` step back.
    """

    stepRequested = Signal()  # noqa: N815 - Qt naming
    stepBackRequested = Signal()  # noqa: N815
    #: The scrub slider moved (dragged, clicked or keyed) to this position.
    seekRequested = Signal(int)  # noqa: N815
    #: Play (True) or pause (False) asked for.
    playToggled = Signal(bool)  # noqa: N815
    #: A speed from ``PLAYBACK_SPEEDS`` was chosen (None: max).
    speedChanged = Signal(object)  # noqa: N815

    def __init__(self, host: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stepControls")
        self.mode = OFF
        self.play_button = QPushButton("▶  Play", objectName="playButton")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Play the records back, paced by their simulated time  (Space)")
        self.play_button.toggled.connect(self._play_toggled)
        self.step_back_button = QPushButton("◀  Step back", objectName="stepBackButton")
        self.step_back_button.setToolTip("Show the state one record earlier  (,)")
        self.step_back_button.clicked.connect(self.stepBackRequested)
        self.step_button = QPushButton("Next step  ▶", objectName="stepButton")
        self.step_button.setToolTip("Apply one more record  (.)")
        self.step_button.clicked.connect(self.stepRequested)
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName="scrubSlider")
        self.slider.setToolTip("Drag to see the scene as it was after any record")
        self.slider.setAccessibleName("Position in the trace")
        self.slider.setRange(0, 0)
        self.slider.valueChanged.connect(self._slider_moved)
        self.position_label = QLabel("", objectName="playbackPosition")
        self.position_label.setProperty("role", "caption")
        self.position_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.speed_combo = QComboBox(objectName="playbackSpeedCombo")
        for s in PLAYBACK_SPEEDS:
            self.speed_combo.addItem(speed_text(s), s)
        self.speed_combo.setToolTip("Simulated seconds per real second; max plays as fast as it can draw")
        self.speed_combo.setAccessibleName("Playback speed")
        self.speed_combo.currentIndexChanged.connect(lambda _i: self.speedChanged.emit(self.speed))
        self.set_speed(1.0)
        self.speed_caption = QLabel("Speed", buddy=self.speed_combo)

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for w in (self.step_back_button, self.play_button, self.step_button):
            row.addWidget(w)
        row.addSpacing(self.fontMetrics().averageCharWidth() * 2)
        row.addWidget(self.slider, 1)
        row.addWidget(self.position_label)
        row.addSpacing(self.fontMetrics().averageCharWidth() * 2)
        row.addWidget(self.speed_caption)
        row.addWidget(self.speed_combo)
        self.position_label.setMinimumWidth(
            self.fontMetrics().horizontalAdvance("000,000 / 000,000  ·  0000.0 s")
        )

        self._shortcuts: list[tuple[QShortcut, tuple[str, ...]]] = []
        for key, slot, modes in (
            ("Space", self.play_button.toggle, (PLAYBACK,)),
            (".", self.step_button.animateClick, (PLAYBACK, LIVE)),
            (",", self.step_back_button.animateClick, (PLAYBACK,)),
        ):
            shortcut = QShortcut(QKeySequence(key), host)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
            shortcut.setEnabled(False)
            self._shortcuts.append((shortcut, modes))
        self.set_mode(OFF)

    # -- the driver's side ----------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        """``PLAYBACK``, ``LIVE`` or ``OFF`` (see the module's docstring)."""
        if mode not in (OFF, PLAYBACK, LIVE):
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        playback = mode == PLAYBACK
        for w in (
            self.play_button,
            self.step_back_button,
            self.slider,
            self.speed_combo,
            self.speed_caption,
        ):
            w.setVisible(playback)
        self.step_button.setVisible(mode != OFF)
        self.setVisible(mode != OFF)
        for shortcut, modes in self._shortcuts:
            shortcut.setEnabled(mode in modes)
        if not playback:
            self.set_playing(False)

    def set_position(self, pos: int, total: int, caption: str = "") -> None:
        """Show position ``pos`` of ``total`` (records applied); ``caption`` replaces the
        default "pos / total" text. Emits nothing."""
        self.slider.blockSignals(True)
        if self.slider.maximum() != total:
            self.slider.setRange(0, total)
            self.slider.setPageStep(max(total // 20, 1))
        self.slider.setValue(pos)
        self.slider.blockSignals(False)
        self.position_label.setText(caption or f"{pos:,} / {total:,}")
        self.step_back_button.setEnabled(pos > 0)
        self.step_button.setEnabled(self.mode == LIVE or pos < total)

    def set_playing(self, playing: bool) -> None:
        """Show the play button as playing or paused (emits nothing)."""
        self.play_button.blockSignals(True)
        self.play_button.setChecked(playing)
        self.play_button.blockSignals(False)
        self.play_button.setText("❚❚  Pause" if playing else "▶  Play")

    @property
    def speed(self) -> float | None:
        return self.speed_combo.currentData()

    def set_speed(self, speed: float | None) -> None:
        """Choose the speed nearest ``speed`` (None: max); emits ``speedChanged`` if it changed."""
        if speed is None:
            index = len(PLAYBACK_SPEEDS) - 1
        else:
            finite = [s for s in PLAYBACK_SPEEDS if s is not None]
            index = PLAYBACK_SPEEDS.index(min(finite, key=lambda s: abs(s - speed)))
        self.speed_combo.setCurrentIndex(index)

    # -- the user's side ------------------------------------------------------------------
    @Slot(bool)
    def _play_toggled(self, playing: bool) -> None:
        self.set_playing(playing)
        self.playToggled.emit(playing)

    @Slot(int)
    def _slider_moved(self, value: int) -> None:
        self.seekRequested.emit(value)


class PlaybackBar(QFrame):
    """What a scene shows while a trace plays back: a banner saying which file and how many
    records, a button back to the live scene, and the step controls under them."""

    closeRequested = Signal()  # noqa: N815 - Qt naming

    def __init__(self, host: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("playbackBar")
        self.banner = QLabel("", objectName="playbackBanner")
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.setAccessibleName("Trace playing back")
        self.detail = QLabel("", objectName="playbackDetail")
        self.detail.setProperty("role", "caption")
        self.close_button = QPushButton("✕  Close playback", objectName="closePlaybackButton")
        self.close_button.setToolTip("Leave the trace and return to the live scene  (Esc)")
        self.close_button.clicked.connect(self.closeRequested)
        self.close_key = QShortcut(QKeySequence("Esc"), host)
        self.close_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.close_key.activated.connect(self.closeRequested)
        self.close_key.setEnabled(False)
        self.controls = StepControls(host, self)
        head = QHBoxLayout()
        head.addWidget(self.banner)
        head.addSpacing(self.fontMetrics().averageCharWidth() * 2)
        head.addWidget(self.detail, 1)
        head.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.controls)
        self.hide()

    def show_trace(self, name: str, records: int, detail: str) -> None:
        self.banner.setText(f"Playing back {name} — {records:,} record{'s' if records != 1 else ''}")
        self.detail.setText(detail)
        self.controls.set_mode(PLAYBACK)
        self.close_key.setEnabled(True)
        self.show()

    def close_trace(self) -> None:
        self.controls.set_mode(OFF)
        self.close_key.setEnabled(False)
        self.banner.setText("")
        self.detail.setText("")
        self.hide()


__all__ = ["LIVE", "OFF", "PLAYBACK", "PLAYBACK_SPEEDS", "PlaybackBar", "StepControls", "speed_text"]
