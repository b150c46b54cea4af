"""The restaurant tab: a kitchen of QThread chefs, its controls, counters and views."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import cast

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from app.engine.budget import RestartPolicy
from app.engine.clock import SimClock
from app.gui.scene_base import Check, SceneBase, Wait, set_if_changed
from app.gui.scenes.restaurant_canvas import KitchenCanvas
from app.gui.widgets.controls import ControlRow
from app.gui.widgets.counters import CounterPanel
from app.scenes.restaurant import SCENE
from app.scenes.restaurant.model import MAX_STATIONS, Kitchen, KitchenConfig
from app.scenes.restaurant.view import CRASHED, RESTARTING, STOPPED, WALKED_OUT, KitchenView
from app.trace.recorder import Record


class RestaurantScene(SceneBase):
    """Owns one Kitchen at a time; only draws what the trace says and forwards clicks."""

    scene = SCENE

    #: Emitted in the GUI thread for every order served (its id).
    orderServed = Signal(int)  # noqa: N815 - Qt naming

    def __init__(self, parent: QWidget | None = None, speed: float = 1.0) -> None:
        super().__init__(parent, speed)
        self.view = KitchenView()
        self._build()
        self.open_kitchen()

    @property
    def kitchen(self) -> Kitchen | None:
        return cast("Kitchen | None", self.sim)

    # -- building ---------------------------------------------------------------------
    def _build(self) -> None:
        b = self.button
        self.place_button = b(
            "placeOrderButton",
            "&Place order",
            "A waiter brings one order to the queue",
            "Ctrl+N",
            self.place_order,
        )
        self.place5_button = b(
            "placeFiveButton",
            "Place &5",
            "Five orders arrive at once",
            "Ctrl+Shift+N",
            lambda: self.place_order(5),
        )
        self.restart_button = b(
            "restartKitchenButton",
            "&Restart kitchen",
            "Open a fresh kitchen with the station count and seed below (after a shutdown)",
            "Ctrl+R",
            self.restart_kitchen,
        )
        self.target_combo = QComboBox(objectName="faultTargetCombo")
        self.target_combo.setToolTip("Which chef the crash, stall or walk-out hits")
        self.target_combo.setAccessibleName("Fault target")
        self.crash_button = b(
            "crashChefButton",
            "&Crash chef",
            "The chef's code raises mid-dish; the supervisor restarts it",
            "Ctrl+1",
            lambda: self.inject("crash"),
        )
        self.burn_button = b(
            "burnDishButton",
            "&Burn dish",
            "The barrier action fails while combining; the order is retried",
            "Ctrl+2",
            lambda: self.inject("burn"),
        )
        self.stall_button = b(
            "stallChefButton",
            "S&tall chef",
            "The chef outlives the barrier timeout; the others' wait breaks",
            "Ctrl+3",
            lambda: self.inject("stall"),
        )
        self.walkout_button = b(
            "walkOutButton",
            "&Walk out",
            "The chef leaves silently; the barrier timeout notices the mismatch",
            "Ctrl+4",
            lambda: self.inject("walkout"),
        )
        self.hire_button = b("hireButton", "&Hire", "Bring a walked-out station back", "Ctrl+5", self.hire)
        self.stations_spin = QSpinBox(objectName="stationCountSpin", minimum=1, maximum=MAX_STATIONS, value=3)
        self.stations_spin.setToolTip("Stations in the next kitchen (applies on Restart kitchen)")
        self.seed_spin = QSpinBox(objectName="seedSpin", minimum=0, maximum=999_999, value=0)
        self.seed_spin.setToolTip(
            "Seed for durations (applies on Restart kitchen): the same seed replays a run"
        )

        controls = ControlRow(
            self,
            self.place_button,
            self.force_shutdown,
            restart=self.restart_button,
            extras=[self.place5_button],
            shutdown_tip="Stop every chef thread now (joined within 0.5 s); unfinished orders are cancelled",
        )
        self.shutdown_button = controls.shutdown_button

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

        self.counters = CounterPanel(
            (
                ("servedCount", "Served"),
                ("queuedCount", "Queued"),
                ("cancelledCount", "Cancelled"),
                ("restartCount", "Restarts"),
            ),
            self,
        )
        self.counter_labels = self.counters.labels
        self.canvas = KitchenCanvas(self)
        self.status_label = self.assemble(self.canvas, [controls, faults], self.counters, "kitchenStatus")

    # -- kitchen lifecycle ----------------------------------------------------------------
    def open_kitchen(self, config: KitchenConfig | None = None, start: bool = True) -> None:
        """Start a fresh kitchen with the chosen stations and seed (or ``config``); with
        ``start`` False it stays shut (a trace playing back draws into it)."""
        config = config or KitchenConfig.with_station_count(
            self.stations_spin.value(), seed=self.seed_spin.value(), rehire_after_s=None
        )
        recorder = self.new_recorder(config.seed)
        kitchen = Kitchen(
            config, clock=SimClock(self.speed, recorder=recorder), recorder=recorder, host=self.host
        )
        self.view = KitchenView.for_stations(config.stations)
        self.target_combo.clear()
        self.target_combo.addItem("any chef", None)
        for name in config.stations:
            self.target_combo.addItem(name, name)
        self.attach(kitchen)
        if start:
            kitchen.start()
        self._frame()

    @Slot()
    def restart_kitchen(self, config: KitchenConfig | None = None) -> None:
        self.stop_simulation()
        self.open_kitchen(config if isinstance(config, KitchenConfig) else None)

    def load(self, config: KitchenConfig) -> None:
        self.restart_kitchen(config)

    def open_for_playback(self, config: KitchenConfig) -> None:
        self.stop_simulation()
        self.open_kitchen(config, start=False)

    def hint(self) -> str:
        return "Place an order to start the kitchen"

    def pose(self, spin: Callable[..., None]) -> None:
        """Orders queued, one chef crashed and counting down to its restart, the others at
        the barrier."""
        self.restart_kitchen(KitchenConfig(rehire_after_s=None, restart=RestartPolicy(backoff_s=4.0)))
        self.speed_slider.setValue(3)  # 2x
        self.place_order(6)
        spin(3.0, lambda: self.view.served >= 2)
        self.target_combo.setCurrentIndex(self.target_combo.findData("main"))
        self.inject("crash")
        spin(6.0, lambda: self.view.stations["main"].state == "restarting")
        spin(0.4)

    def selftest(self, check: Check, wait: Wait) -> None:
        count = lambda name: int(self.counter_labels[name].text())
        self.speed_slider.setValue(self.speed_slider.maximum())
        for _ in range(3):
            self.place_button.click()
        check("3 orders served", wait(lambda: count("servedCount") >= 3, 15))
        self.target_combo.setCurrentIndex(2)  # the second station
        self.crash_button.click()
        self.place_button.click()
        check("crashed chef restarted", wait(lambda: count("restartCount") >= 1, 15))
        check("order after the crash served once", wait(lambda: count("servedCount") == 4, 15))
        self.pause_button.click()
        self.place_button.click()
        held = not wait(lambda: count("servedCount") > 4, 0.6)
        check("pause holds new orders", held and count("queuedCount") == 1)
        self.pause_button.click()
        check("resume serves them", wait(lambda: count("servedCount") == 5, 15))
        self.place5_button.click()
        t0 = time.monotonic()
        self.shutdown_button.click()
        stopped_in = time.monotonic() - t0
        alive = self.host.running()
        check(
            f"force shutdown joined every thread in {stopped_in * 1000:.0f} ms",
            not alive and stopped_in < 0.5,
        )
        wait(lambda: False, 0.1)
        served, cancelled = count("servedCount"), count("cancelledCount")
        check(
            f"every order accounted for ({served} served, {cancelled} cancelled)",
            served + cancelled == self.view.placed == 10 and count("queuedCount") == 0,
        )
        check(
            "controls follow the state", not self.place_button.isEnabled() and self.restart_button.isEnabled()
        )
        self.restart_button.click()
        self.place_button.click()
        check("a restarted kitchen serves", wait(lambda: count("servedCount") == 1, 15))

    # -- controls ---------------------------------------------------------------------
    def place_order(self, count: int = 1) -> None:
        k = self.kitchen
        if k is None or k.shutting_down:
            return
        for _ in range(max(count, 1)):
            k.place_order()

    def inject(self, kind: str) -> None:
        if self.kitchen is None:
            return
        try:
            where = self.kitchen.inject(kind, self.target_combo.currentData())
        except ValueError as exc:
            self.say(f"Cannot {kind}: {exc}")
            return
        station = self.view.stations.get(where)
        busy = station is not None and station.state == "preparing"
        if kind == "burn":
            when = "the dish being cooked" if self.view.cooking else "the next dish"
            self.say(f"Burn injected: {when} will burn when combined")
        else:
            when = "now" if busy else "when it starts its next dish"
            self.say(f"{kind.capitalize()} injected at {where}: {when}")

    def hire(self) -> None:
        if self.kitchen is None:
            return
        try:
            name = self.kitchen.hire(self.target_combo.currentData())
        except ValueError as exc:
            self.say(f"Cannot hire: {exc}")
            return
        self.say(f"Hired a chef for {name}")

    def force_shutdown(self) -> None:
        self.stop_simulation("forced shutdown")

    # -- trace in, pixels out -------------------------------------------------------------
    def apply_record(self, rec: Record) -> None:
        self.view.apply(rec)
        if rec["kind"] == "order.served":
            self.orderServed.emit(rec["order"])

    def update_counters(self) -> None:
        v = self.view
        values = {
            "servedCount": v.served,
            "queuedCount": v.queued,
            "cancelledCount": v.cancelled,
            "restartCount": v.restarts,
        }
        for name, value in values.items():
            set_if_changed(self.counter_labels[name], str(value))

    def draw(self, now: float) -> None:
        k = self.kitchen
        assert k is not None
        self.canvas.show_state(self.view, now, self.speed, k.clock.paused)
        self.update_counters()
        self._update_enabled(k)

    def _update_enabled(self, k: Kitchen) -> None:
        running = not k.stopped and self.view.status == "open"
        states = [s.state for s in self.view.stations.values()]
        target = self.target_combo.currentData()
        gone = (CRASHED, RESTARTING, WALKED_OUT, STOPPED)
        if target in self.view.stations:
            can_hit = self.view.stations[target].state not in gone
        else:
            can_hit = any(s not in gone for s in states)
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
            if self.view.last_fault:
                text += f"; last fault: {self.view.last_fault}"
        else:
            text = f"Kitchen closed ({self.view.reason or 'shutdown'}); Restart kitchen opens a new one"
        set_if_changed(self.status_label, text)
