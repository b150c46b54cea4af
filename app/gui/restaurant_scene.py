"""The restaurant tab: a kitchen of QThread chefs, its controls, counters and views."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core.clock import SimClock
from app.core.export import ChromeTraceWriter, JsonlWriter
from app.core.kitchen_view import CRASHED, RESTARTING, STOPPED, WALKED_OUT, KitchenView
from app.core.restaurant import Kitchen, KitchenConfig
from app.core.timeline import Timeline
from app.core.trace import Record, TraceRecorder
from app.gui.bridge import TraceBridge
from app.gui.event_log import EventLog
from app.gui.kitchen_canvas import KitchenCanvas
from app.gui.qthreads import QThreadHost
from app.gui.timeline_view import TimelineView

log = logging.getLogger(__name__)

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
FRAME_MS = 33


def _speed_text(speed: float) -> str:
    return f"{speed:g}×"


class RestaurantScene(QWidget):
    """Owns one Kitchen at a time; only draws what the trace says and forwards clicks."""

    #: Emitted in the GUI thread after each batch of trace records has been applied.
    recordsApplied = Signal(list)  # noqa: N815 - Qt naming
    #: Emitted in the GUI thread for every order served (its id).
    orderServed = Signal(int)  # noqa: N815
    #: Emitted in the GUI thread when the kitchen has stopped (every thread joined).
    kitchenStopped = Signal(list)  # noqa: N815 - names of threads still alive (empty: clean)

    def __init__(self, parent: QWidget | None = None, speed: float = 1.0) -> None:
        super().__init__(parent)
        self.setObjectName("restaurantScene")
        self.kitchen: Kitchen | None = None
        self.host = QThreadHost()
        self.bridge = TraceBridge(self)
        self.bridge.batch.connect(self._apply)
        self.view = KitchenView()
        self.timeline = Timeline()
        self._build(speed)
        self.frame_timer = QTimer(self, objectName="frameTimer")
        self.frame_timer.setInterval(FRAME_MS)
        self.frame_timer.timeout.connect(self._frame)
        self.open_kitchen()
        self.frame_timer.start()

    # -- building ---------------------------------------------------------------------
    def _button(self, name: str, text: str, tip: str, key: str | None, slot) -> QPushButton:
        b = QPushButton(text, objectName=name)
        b.setToolTip(
            tip + (f"  ({QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)})" if key else "")
        )
        b.clicked.connect(slot)
        if key:
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(b.animateClick)
        return b

    def _build(self, speed: float) -> None:
        self.place_button = self._button(
            "placeOrderButton",
            "&Place order",
            "A waiter brings one order to the queue",
            "Ctrl+N",
            self.place_order,
        )
        self.place5_button = self._button(
            "placeFiveButton",
            "Place &5",
            "Five orders arrive at once",
            "Ctrl+Shift+N",
            lambda: self.place_order(5),
        )
        self.pause_button = self._button(
            "pauseButton",
            "Pa&use",
            "Hold the kitchen: dishes on the stove finish, no new dish starts",
            "Ctrl+P",
            self.toggle_pause,
        )
        self.pause_button.setCheckable(True)
        self.speed_slider = QSlider(Qt.Orientation.Horizontal, objectName="speedSlider")
        self.speed_slider.setRange(0, len(SPEEDS) - 1)
        self.speed_slider.setPageStep(1)
        self.speed_slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.speed_slider.setValue(SPEEDS.index(speed) if speed in SPEEDS else 2)
        self.speed_slider.setToolTip("Simulated seconds per real second, from 0.25× to 16×")
        self.speed_slider.setAccessibleName("Speed")
        self.speed_slider.valueChanged.connect(self._speed_changed)
        self.speed_label = QLabel(_speed_text(self.speed), objectName="speedLabel")
        self.speed_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("0.25×") + 6)
        self.shutdown_button = self._button(
            "forceShutdownButton",
            "Force &shutdown",
            "Stop every chef thread now (joined within 0.5 s); unfinished orders are cancelled",
            "Ctrl+Shift+X",
            self.force_shutdown,
        )
        self.shutdown_button.setProperty("role", "danger")
        self.restart_button = self._button(
            "restartKitchenButton",
            "&Restart kitchen",
            "Open a fresh kitchen with the station count and seed below (after a shutdown)",
            "Ctrl+R",
            self.restart_kitchen,
        )
        self.target_combo = QComboBox(objectName="faultTargetCombo")
        self.target_combo.setToolTip("Which chef the crash, stall or walk-out hits")
        self.target_combo.setAccessibleName("Fault target")
        self.crash_button = self._button(
            "crashChefButton",
            "&Crash chef",
            "The chef's code raises mid-dish; the supervisor restarts it",
            "Ctrl+1",
            lambda: self.inject("crash"),
        )
        self.burn_button = self._button(
            "burnDishButton",
            "&Burn dish",
            "The barrier action fails while combining; the order is retried",
            "Ctrl+2",
            lambda: self.inject("burn"),
        )
        self.stall_button = self._button(
            "stallChefButton",
            "S&tall chef",
            "The chef outlives the barrier timeout; the others' wait breaks",
            "Ctrl+3",
            lambda: self.inject("stall"),
        )
        self.walkout_button = self._button(
            "walkOutButton",
            "&Walk out",
            "The chef leaves silently; the barrier timeout notices the mismatch",
            "Ctrl+4",
            lambda: self.inject("walkout"),
        )
        self.hire_button = self._button(
            "hireButton", "&Hire", "Bring a walked-out station back", "Ctrl+5", self.hire
        )
        self.stations_spin = QSpinBox(objectName="stationCountSpin", minimum=1, maximum=16, value=3)
        self.stations_spin.setToolTip("Stations in the next kitchen (applies on Restart kitchen)")
        self.seed_spin = QSpinBox(objectName="seedSpin", minimum=0, maximum=999_999, value=0)
        self.seed_spin.setToolTip(
            "Seed for durations (applies on Restart kitchen): the same seed replays a run"
        )

        controls = QHBoxLayout()
        for w in (self.place_button, self.place5_button, self.pause_button):
            controls.addWidget(w)
        controls.addSpacing(12)
        controls.addWidget(QLabel("Speed", buddy=self.speed_slider))
        controls.addWidget(self.speed_slider, 1)
        controls.addWidget(self.speed_label)
        controls.addSpacing(12)
        controls.addWidget(self.shutdown_button)
        controls.addWidget(self.restart_button)

        faults = QHBoxLayout()
        faults.addWidget(QLabel("Faults at", buddy=self.target_combo))
        faults.addWidget(self.target_combo)
        for w in (
            self.crash_button,
            self.burn_button,
            self.stall_button,
            self.walkout_button,
            self.hire_button,
        ):
            faults.addWidget(w)
        faults.addStretch(1)
        faults.addWidget(QLabel("Stations", buddy=self.stations_spin))
        faults.addWidget(self.stations_spin)
        faults.addWidget(QLabel("Seed", buddy=self.seed_spin))
        faults.addWidget(self.seed_spin)

        counters = QGridLayout()
        self.counter_labels: dict[str, QLabel] = {}
        for col, (name, caption) in enumerate(
            (
                ("servedCount", "Served"),
                ("queuedCount", "Queued"),
                ("cancelledCount", "Cancelled"),
                ("restartCount", "Restarts"),
            )
        ):
            value = QLabel("0", objectName=name)
            value.setProperty("role", "counter")
            value.setAlignment(Qt.AlignmentFlag.AlignCenter)
            cap = QLabel(caption)
            cap.setProperty("role", "caption")
            cap.setAlignment(Qt.AlignmentFlag.AlignCenter)
            counters.addWidget(value, 0, col)
            counters.addWidget(cap, 1, col)
            self.counter_labels[name] = value
        self.status_label = QLabel("", objectName="kitchenStatus")
        self.status_label.setWordWrap(True)
        counters.addWidget(self.status_label, 0, 4, 2, 1)
        counters.setColumnStretch(4, 1)

        self.canvas = KitchenCanvas(self)
        self.timeline_view = TimelineView(self)
        self.event_log = EventLog(self)
        bottom = QSplitter(Qt.Orientation.Horizontal, objectName="bottomSplitter")
        tl_box = QWidget()
        tl_layout = QVBoxLayout(tl_box)
        tl_layout.setContentsMargins(0, 0, 0, 0)
        tl_layout.addWidget(QLabel("Timeline", objectName="sectionTitle"))
        tl_layout.addWidget(self.timeline_view)
        bottom.addWidget(tl_box)
        bottom.addWidget(self.event_log)
        bottom.setSizes([600, 400])
        main = QSplitter(Qt.Orientation.Vertical, objectName="mainSplitter")
        main.addWidget(self.canvas)
        main.addWidget(bottom)
        main.setStretchFactor(0, 3)
        main.setStretchFactor(1, 2)

        bar = QFrame(objectName="controlBar")
        bar_layout = QVBoxLayout(bar)
        bar_layout.addLayout(controls)
        bar_layout.addLayout(faults)
        bar_layout.addLayout(counters)
        layout = QVBoxLayout(self)
        layout.addWidget(bar)
        layout.addWidget(main, 1)

    # -- kitchen lifecycle ----------------------------------------------------------------
    @property
    def speed(self) -> float:
        return SPEEDS[self.speed_slider.value()]

    def open_kitchen(self, config: KitchenConfig | None = None) -> None:
        """Start a fresh kitchen with the chosen stations and seed (or ``config``)."""
        recorder = TraceRecorder()
        config = config or KitchenConfig.with_station_count(
            self.stations_spin.value(), seed=self.seed_spin.value(), rehire_after_s=None
        )
        clock = SimClock(self.speed, recorder=recorder)
        self.kitchen = Kitchen(config, clock=clock, recorder=recorder, host=self.host)
        self.view = KitchenView.for_stations(config.stations)
        self.timeline = Timeline()
        self.event_log.clear()
        self.pause_button.setChecked(False)
        self.pause_button.setText("Pa&use")
        self.target_combo.clear()
        self.target_combo.addItem("any chef", None)
        for name in config.stations:
            self.target_combo.addItem(name, name)
        self.bridge.attach(recorder)
        self.kitchen.start()
        self._frame()

    @Slot()
    def restart_kitchen(self, config: KitchenConfig | None = None) -> None:
        self.stop_kitchen()
        self.bridge.detach()
        self.open_kitchen(config if isinstance(config, KitchenConfig) else None)

    def stop_kitchen(self, reason: str = "shutdown") -> list[str]:
        """Forced shutdown from the GUI thread: every chef joined within the deadline."""
        k = self.kitchen
        if k is None or k.stopped:
            return []
        alive = k.stop(reason)
        alive += self.host.join_all(0.05) if alive else []
        if alive:
            log.error("threads still running after shutdown: %s", alive)
        self.bridge.flush()
        self._frame()
        self.kitchenStopped.emit(alive)
        return alive

    def close_scene(self) -> list[str]:
        """Stop the kitchen and every timer; the scene draws nothing more."""
        self.frame_timer.stop()
        alive = self.stop_kitchen("window closed")
        self.bridge.detach()
        return alive

    # -- controls ---------------------------------------------------------------------
    @Slot()
    def place_order(self, count: int = 1) -> None:
        if self.kitchen is None or self.kitchen.shutting_down:
            return
        for _ in range(count if isinstance(count, int) and count > 0 else 1):
            self.kitchen.place_order()

    @Slot()
    def toggle_pause(self) -> None:
        if self.kitchen is None:
            return
        clock = self.kitchen.clock
        if clock.paused:
            clock.resume()
        else:
            clock.pause()
        self.pause_button.setChecked(clock.paused)
        self.pause_button.setText("Res&ume" if clock.paused else "Pa&use")

    @Slot(int)
    def _speed_changed(self, _value: int) -> None:
        self.speed_label.setText(_speed_text(self.speed))
        if self.kitchen is not None:
            self.kitchen.clock.set_speed(self.speed)

    def inject(self, kind: str) -> None:
        if self.kitchen is None:
            return
        target = self.target_combo.currentData()
        try:
            where = self.kitchen.inject(kind, target)
        except ValueError as exc:
            self._say(f"Cannot {kind}: {exc}")
            return
        self._say(f"{kind.capitalize()} injected" + (f" at {where}" if where else ""))

    @Slot()
    def hire(self) -> None:
        if self.kitchen is None:
            return
        try:
            name = self.kitchen.hire(self.target_combo.currentData())
        except ValueError as exc:
            self._say(f"Cannot hire: {exc}")
            return
        self._say(f"Hired a chef for {name}")

    @Slot()
    def force_shutdown(self) -> None:
        self.stop_kitchen("forced shutdown")

    def _say(self, text: str) -> None:
        window = self.window()
        bar = getattr(window, "statusBar", None)
        if callable(bar):
            bar().showMessage(text, 4000)

    # -- trace in, pixels out -------------------------------------------------------------
    @Slot(list)
    def _apply(self, records: list[Record]) -> None:
        escalate = False
        for rec in records:
            self.view.apply(rec)
            self.timeline.apply(rec)
            kind = rec["kind"]
            if kind == "shutdown.requested":
                escalate = True
            elif kind == "order.served":
                self.orderServed.emit(rec["order"])
        self.event_log.add(records)
        self._update_counters()
        self.recordsApplied.emit(records)
        k = self.kitchen
        if escalate and k is not None and not k.stopped:
            # The supervisor asked for the shutdown (restart budget spent): join from here.
            QTimer.singleShot(0, self.stop_kitchen)

    @Slot()
    def _frame(self) -> None:
        k = self.kitchen
        if k is None:
            return
        now = k.recorder.now()
        paused = k.clock.paused
        self.canvas.show_state(self.view, now, self.speed, paused)
        self.timeline.prune(now)
        self.timeline_view.show_state(self.timeline, now)
        self._update_counters()
        self._update_enabled(k)

    def _update_counters(self) -> None:
        v = self.view
        values = {
            "servedCount": v.served,
            "queuedCount": v.queued,
            "cancelledCount": v.cancelled,
            "restartCount": v.restarts,
        }
        for name, value in values.items():
            label = self.counter_labels[name]
            if label.text() != str(value):
                label.setText(str(value))

    def _update_enabled(self, k: Kitchen) -> None:
        running = not k.stopped and self.view.status == "open"
        states = [s.state for s in self.view.stations.values()]
        target = self.target_combo.currentData()
        target_state = self.view.stations[target].state if target in self.view.stations else None
        cooks = [s for s in states if s not in (CRASHED, RESTARTING, WALKED_OUT, STOPPED)]
        can_hit = (
            bool(cooks) if target is None else target_state not in (CRASHED, RESTARTING, WALKED_OUT, STOPPED)
        )
        for w in (
            self.place_button,
            self.place5_button,
            self.pause_button,
            self.shutdown_button,
            self.burn_button,
        ):
            w.setEnabled(running)
        for w in (self.crash_button, self.stall_button, self.walkout_button):
            w.setEnabled(running and can_hit)
        self.hire_button.setEnabled(running and WALKED_OUT in states)
        self.restart_button.setEnabled(not running)
        if running:
            on_duty = len(states) - states.count(WALKED_OUT)
            text = f"Kitchen open: {on_duty} of {len(states)} stations staffed"
            if v_fault := self.view.last_fault:
                text += f"; last fault: {v_fault}"
        else:
            text = f"Kitchen closed ({self.view.reason or 'shutdown'}); Restart kitchen opens a new one"
        if self.status_label.text() != text:
            self.status_label.setText(text)

    # -- export -----------------------------------------------------------------------
    def export_trace(self, path: str | Path, chrome: bool = False) -> int:
        """Write the recorded trace (the newest records the ring holds); returns the count."""
        if self.kitchen is None:
            return 0
        records = self.kitchen.recorder.snapshot()
        writer = ChromeTraceWriter(path) if chrome else JsonlWriter(path)
        try:
            for rec in records:
                writer(rec)
        finally:
            writer.close()
        return len(records)
