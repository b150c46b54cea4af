"""The orchestrator tab: state lights, component cards, and controls to start, fail and stop."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import cast

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from app.engine.clock import SimClock
from app.engine.states import STATES
from app.gui.scene_base import Check, SceneBase, Wait, set_if_changed
from app.gui.scenes.orchestrator_canvas import StateLight, SystemCanvas
from app.gui.widgets.controls import ControlRow
from app.gui.widgets.counters import CounterPanel
from app.scenes.orchestrator import SCENE
from app.scenes.orchestrator.model import FAULT_KINDS, Orchestrator, SystemConfig
from app.scenes.orchestrator.view import SystemView
from app.trace.recorder import Record

FAULT_LABELS = {
    "crash": "crash while processing",
    "hang": "hang (misses its timeout)",
    "init": "fail to initialise",
}


class OrchestratorScene(SceneBase):
    scene = SCENE

    def __init__(self, parent: QWidget | None = None, speed: float = 1.0) -> None:
        super().__init__(parent, speed)
        self.config = SystemConfig(requests=None)
        self.view = SystemView()
        self._build()
        self.new_system()

    @property
    def system(self) -> Orchestrator | None:
        return cast("Orchestrator | None", self.sim)

    def _build(self) -> None:
        b = self.button
        self.start_button = b(
            "startSystemButton",
            "&Start system",
            "Start every component in dependency order (a fresh system after a shutdown)",
            "Ctrl+N",
            self.start_system,
        )
        self.restart_button = b(
            "restartSystemButton",
            "&Restart system",
            "Shut the system down and start a fresh one",
            "Ctrl+R",
            self.restart_system,
        )
        controls = ControlRow(
            self,
            self.start_button,
            self.force_shutdown,
            restart=self.restart_button,
            shutdown_tip="Go to SHUTDOWN now: components stop in reverse dependency order within 0.5 s",
        )
        self.shutdown_button = controls.shutdown_button
        self.component_combo = QComboBox(objectName="componentCombo")
        self.component_combo.setToolTip("The component the fault hits")
        self.component_combo.setAccessibleName("Component")
        self.kind_combo = QComboBox(objectName="faultKindCombo")
        for kind in FAULT_KINDS:
            self.kind_combo.addItem(FAULT_LABELS[kind], kind)
        self.kind_combo.setCurrentIndex(1)  # crash
        self.kind_combo.setToolTip(
            "What goes wrong: init failures apply while starting, crashes while working"
        )
        self.kind_combo.setAccessibleName("Fault kind")
        self.fail_button = b(
            "failComponentButton",
            "&Fail component",
            "Inject the chosen fault into the chosen component",
            "Ctrl+1",
            self.fail_component,
        )
        faults = QHBoxLayout()
        faults.addWidget(QLabel("Make", buddy=self.component_combo))
        faults.addWidget(self.component_combo)
        faults.addWidget(self.kind_combo)
        faults.addWidget(self.fail_button)
        faults.addStretch(1)
        lights = QHBoxLayout()
        self.lights: dict[str, StateLight] = {}
        for state in STATES:
            light = StateLight(state, self)
            self.lights[state] = light
            lights.addWidget(light)
        self.counters = CounterPanel(
            (("processedCount", "Processed"), ("restartCount", "Restarts"), ("faultCount", "Faults")), self
        )
        self.state_label = self.counters.add_text("systemState", "System state")
        self.canvas = SystemCanvas(self)
        self.status_label = self.assemble(
            self.canvas, [controls, faults, lights], self.counters, "orchestratorStatus"
        )

    # -- lifecycle ----------------------------------------------------------------------
    def new_system(self, config: SystemConfig | None = None) -> None:
        """A fresh, not yet started system (``config`` from a scenario file, or the last one)."""
        if config is not None:
            self.config = config
        recorder = self.new_recorder(self.config.seed)
        system = Orchestrator(
            self.config, clock=SimClock(self.speed, recorder=recorder), recorder=recorder, host=self.host
        )
        self.view = SystemView.for_components([(c.name, c.depends_on) for c in self.config.components])
        current = self.component_combo.currentText()
        self.component_combo.clear()
        for c in self.config.components:
            self.component_combo.addItem(c.name, c.name)
        self.component_combo.setCurrentIndex(max(self.component_combo.findText(current), 0))
        self.attach(system)
        self._frame()

    @Slot()
    def start_system(self) -> None:
        s = self.system
        if s is None or s.stopped or s.shutting_down:
            self.stop_simulation()
            self.new_system()
            s = self.system
        assert s is not None
        s.start()

    @Slot()
    def restart_system(self) -> None:
        self.stop_simulation("restart")
        self.new_system()
        self.start_system()

    def load(self, config: SystemConfig) -> None:
        """Replace the system with one from a scenario file (not started)."""
        self.stop_simulation("scenario loaded")
        self.new_system(config)

    @Slot()
    def force_shutdown(self) -> None:
        self.stop_simulation("forced shutdown")

    def hint(self) -> str:
        return "Start the system to bring its components up in dependency order"

    def pose(self, spin: Callable[..., None]) -> None:
        """The system processing, then a crash that sends it to ERROR and a restart under way."""
        self.load(SystemConfig(requests=None))
        self.speed_slider.setValue(4)  # 4x
        self.start_system()
        spin(8.0, lambda: self.view.state == "PROCESSING")
        spin(1.0)
        self.component_combo.setCurrentIndex(self.component_combo.findData("Cache"))
        self.kind_combo.setCurrentIndex(self.kind_combo.findData("crash"))
        self.fail_component()
        spin(4.0, lambda: any(c.status == "restarting" for c in self.view.components.values()))
        spin(0.3)

    def selftest(self, check: Check, wait: Wait) -> None:
        state = lambda: self.state_label.text()
        lit = lambda s: self.lights[s].property("lit") is True
        self.speed_slider.setValue(self.speed_slider.maximum())
        self.start_button.click()
        check("system reaches PROCESSING", wait(lambda: state() == "PROCESSING" and lit("PROCESSING"), 15))
        self.component_combo.setCurrentIndex(self.component_combo.findData(self.config.components[0].name))
        self.kind_combo.setCurrentIndex(self.kind_combo.findData("crash"))
        self.fail_button.click()
        check("a failed component turns the system to ERROR", wait(lambda: "ERROR" in self.view.history, 15))
        check(
            "and it recovers to PROCESSING",
            wait(lambda: self.view.history[-1] == "PROCESSING" and state() == "PROCESSING", 15),
        )
        t0 = time.monotonic()
        self.shutdown_button.click()
        took = time.monotonic() - t0
        check(
            f"force shutdown reaches SHUTDOWN in {took * 1000:.0f} ms",
            state() == "SHUTDOWN" and lit("SHUTDOWN") and not self.host.running() and took < 0.5,
        )

    @Slot()
    def fail_component(self) -> None:
        s = self.system
        if s is None:
            return
        kind = self.kind_combo.currentData()
        try:
            name = s.inject(kind, self.component_combo.currentData())
        except ValueError as exc:
            self.say(f"Cannot fail: {exc}")
            return
        self.say(f"{name}: {FAULT_LABELS[kind]}")

    # -- trace in, pixels out -------------------------------------------------------------
    def apply_record(self, rec: Record) -> None:
        self.view.apply(rec)

    def update_counters(self) -> None:
        v = self.view
        self.counters.set_values(
            {"processedCount": v.processed, "restartCount": v.restarts, "faultCount": v.faults}
        )
        set_if_changed(self.state_label, v.state if v.started else "not started")
        for state, lit in v.lit.items():
            self.lights[state].set_lit(lit)

    def draw(self, now: float) -> None:
        s = self.system
        assert s is not None
        self.canvas.show_state(self.view, now)
        for light in self.lights.values():
            light.pulse(now)
        self.update_counters()
        running = s.started and not s.stopped and not s.shutting_down
        self.start_button.setEnabled(not running)
        self.start_button.setText("&Start system" if not s.started else "&Start a new system")
        for w in (self.fail_button, self.shutdown_button, self.pause_button, self.restart_button):
            w.setEnabled(running)
        if not self.view.started:
            text = "Not started: Start system brings the components up in dependency order"
        elif running:
            text = f"{self.view.state}" + (f": {self.view.last_reason}" if self.view.last_reason else "")
        else:
            text = f"Stopped ({s.shutdown_reason or 'shutdown'}); Start a new system to run again"
        set_if_changed(self.status_label, text)
