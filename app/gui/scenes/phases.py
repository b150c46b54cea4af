"""The phased computation window: a grid of workers by phases, a gate between the columns,
the active phase's barrier under the grid, the partial results and their aggregate."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import cast

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.engine.clock import SimClock
from app.gui.scene_base import SPEEDS, Check, SceneBase, Wait, set_if_changed
from app.gui.scenes.phases_grid import GateColumn, PhaseCell, PhaseHeader, WaitBars, WorkerHeader
from app.gui.theme import current_theme, seat_colour
from app.gui.widgets.controls import ControlRow
from app.gui.widgets.counters import CounterPanel
from app.gui.widgets.gate import BarrierGate
from app.scenes.phases import SCENE
from app.scenes.phases.model import (
    MAX_RUNS,
    MAX_WORKERS,
    MIN_WORKERS,
    PhasedComputation,
    PhasesConfig,
    worker_label,
)
from app.scenes.phases.view import (
    ALL_DONE,
    BROKE,
    CRASH,
    DONE,
    FAILED,
    READY,
    RUNNING,
    WAIT,
    WORK,
    PhasesView,
)
from app.trace.recorder import Record


class PhasesScene(SceneBase):
    """Owns one PhasedComputation at a time; draws only what the trace says."""

    scene = SCENE

    def __init__(self, parent: QWidget | None = None, speed: float = 1.0) -> None:
        super().__init__(parent, speed)
        self.config = PhasesConfig()
        self.view = PhasesView.for_config(self.config)
        self.cells: dict[tuple[int, int], PhaseCell] = {}
        self.gates: list[GateColumn] = []
        self.headers: list[PhaseHeader] = []
        self.rows: list[WorkerHeader] = []
        self.footers: list[QLabel] = []
        self._grid_shape: tuple[int, tuple[str, ...], str] | None = None
        self._done_handled = False
        self._shown = (0, 0, 0)
        self._build()
        self.load(self.config)

    @property
    def computation(self) -> PhasedComputation | None:
        return cast("PhasedComputation | None", self.sim)

    # -- building -------------------------------------------------------------------------
    def _build(self) -> None:
        b = self.button
        self.start_button = b(
            "startPhasesButton",
            "&Start",
            "A fresh computation with the workers, runs and seed chosen: every worker passes "
            "every phase, and nobody starts a phase before all have finished the last",
            "Ctrl+N",
            self.start_computation,
        )
        self.controls = ControlRow(self, self.start_button, self.force_shutdown)
        self.shutdown_button = self.controls.shutdown_button
        self.workers_spin = QSpinBox(objectName="workersSpin", minimum=MIN_WORKERS, maximum=MAX_WORKERS)
        self.workers_spin.setToolTip("Workers (threads), each a party of every phase's barrier")
        self.runs_spin = QSpinBox(objectName="runsSpin", minimum=1, maximum=MAX_RUNS)
        self.runs_spin.setToolTip("Runs: each is one pass of every worker through every phase")
        self.seed_spin = QSpinBox(objectName="seedSpin", minimum=0, maximum=2**31 - 1)
        self.seed_spin.setToolTip("Seed: work times, partial results and planned faults depend only on it")
        self.worker_combo = QComboBox(objectName="faultWorkerCombo")
        self.worker_combo.setToolTip("The worker a crash or a slowdown is for")
        self.worker_combo.setAccessibleName("Fault worker")
        self.crash_button = b(
            "crashWorkerButton",
            "&Crash worker",
            "The worker raises mid-phase: it aborts the phase's barrier, the others leave it at once, "
            "the worker is restarted and the phase starts over (the phases before it are kept)",
            "Ctrl+1",
            lambda: self.inject("crash"),
        )
        self.slow_button = b(
            "slowWorkerButton",
            "S&low worker",
            "A straggler: the worker's share of the phase takes several times as long, and "
            "everyone else waits for it at the barrier",
            "Ctrl+2",
            lambda: self.inject("slow"),
        )
        setup = QHBoxLayout()
        for text, spin in (
            ("Workers", self.workers_spin),
            ("Runs", self.runs_spin),
            ("Seed", self.seed_spin),
        ):
            setup.addWidget(QLabel(text, buddy=spin))
            setup.addWidget(spin)
        setup.addSpacing(self.fontMetrics().averageCharWidth() * 3)
        setup.addWidget(QLabel("Fault for", buddy=self.worker_combo))
        setup.addWidget(self.worker_combo)
        setup.addWidget(self.crash_button)
        setup.addWidget(self.slow_button)
        setup.addStretch(1)

        self.counters = CounterPanel(
            (
                ("runsCompletedCount", "Runs done"),
                ("phasesCompletedCount", "Phases done"),
                ("retryCount", "Retries"),
                ("restartCount", "Restarts"),
                ("cancelledCount", "Cancelled"),
            ),
            self,
        )
        self.status_label = self.assemble(
            self._build_canvas(), [self.controls, setup], self.counters, "phasesStatus"
        )

    def _build_canvas(self) -> QWidget:
        canvas = QWidget(objectName="phasesCanvas")
        u = self.fontMetrics().height()
        self.run_label = QLabel("", objectName="runLabel")
        self.run_label.setStyleSheet("QLabel#runLabel { font-size: 14pt; font-weight: 600; }")
        self.run_label.setAccessibleName("Run")
        self.grid_box = QWidget(objectName="phaseGrid")
        self.grid = QGridLayout(self.grid_box)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(u // 4)
        self.grid.setVerticalSpacing(u // 4)
        self.gate = BarrierGate(canvas, "phaseBarrierGate")
        left = QVBoxLayout()
        left.addWidget(self.run_label)
        left.addWidget(self.grid_box, 1)
        left.addWidget(self.gate)

        t = current_theme()
        self.aggregate_label = QLabel("", objectName="aggregateLabel")
        self.aggregate_label.setAccessibleName("Aggregate")
        self.aggregate_label.setWordWrap(True)
        self.aggregate_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.aggregate_label.setStyleSheet(
            f"QLabel#aggregateLabel {{ background: {t.accent.name()}; color: #ffffff; font-weight: 600;"
            f" font-size: 13pt; border-radius: {u // 2}px; padding: {u // 4}px {u // 2}px; }}"
        )
        self.aggregate_label.hide()
        self.aggregate_note = QLabel("", objectName="aggregateNote")
        self.aggregate_note.setWordWrap(True)
        self.aggregate_note.setProperty("role", "caption")
        self.partials_label = QLabel("", objectName="partialsLabel")
        self.partials_label.setTextFormat(Qt.TextFormat.RichText)
        self.partials_label.setWordWrap(True)
        self.partials_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.wait_bars = WaitBars(canvas)
        right = QVBoxLayout()
        right.addWidget(QLabel("Partial results → aggregate", objectName="sectionTitle"))
        right.addWidget(self.partials_label)
        right.addWidget(self.aggregate_label)
        right.addWidget(self.aggregate_note)
        right.addSpacing(u // 2)
        waits_title = QLabel("Waiting at the barriers", objectName="sectionTitle")
        waits_title.setToolTip(
            "Simulated seconds every worker spent at each phase's barrier, all runs so far"
        )
        right.addWidget(waits_title)
        right.addWidget(self.wait_bars)
        right.addStretch(1)
        side = QWidget(objectName="phasesSide")
        side.setLayout(right)
        side.setMinimumWidth(u * 14)
        side.setMaximumWidth(u * 18)

        body = QHBoxLayout(canvas)
        body.addLayout(left, 1)
        body.addWidget(side)
        return canvas

    def _build_grid(self, config: PhasesConfig) -> None:
        """Rows of workers, columns of phases, a gate after each phase (rebuilt when the
        shape changes)."""
        shape = (config.workers, config.phase_names, config.aggregate)
        if shape == self._grid_shape:
            return
        self._grid_shape = shape
        for w in [*self.cells.values(), *self.gates, *self.headers, *self.rows, *self.footers]:
            self.grid.removeWidget(w)
            w.setParent(None)
            w.deleteLater()
        self.cells, self.gates, self.headers, self.rows, self.footers = {}, [], [], [], []
        n, names = config.workers, config.phase_names
        for p, name in enumerate(names):
            col = 1 + 2 * p
            header = PhaseHeader(name, p, p == config.aggregate_index, self.grid_box)
            self.grid.addWidget(header, 0, col)
            self.headers.append(header)
            gate = GateColumn(name, self.grid_box)
            self.grid.addWidget(gate, 1, col + 1, n, 1)
            self.gates.append(gate)
            footer = QLabel("", self.grid_box, objectName=f"phaseWait_{name}")
            footer.setProperty("role", "caption")
            footer.setToolTip(f"Simulated seconds all workers spent waiting at the {name} barrier, all runs")
            self.grid.addWidget(footer, n + 1, col)
            self.footers.append(footer)
            self.grid.setColumnStretch(col, 1)
            self.grid.setColumnStretch(col + 1, 0)
        for w in range(1, n + 1):
            row = WorkerHeader(w, self.grid_box)
            self.grid.addWidget(row, w, 0)
            self.rows.append(row)
            self.grid.setRowStretch(w, 1)
            for p, name in enumerate(names):
                cell = PhaseCell(w, name, self.grid_box)
                self.grid.addWidget(cell, w, 1 + 2 * p)
                self.cells[(w, p)] = cell
        self.grid.setRowStretch(0, 0)
        self.grid.setRowStretch(n + 1, 0)
        for p, gate in enumerate(self.gates):
            gate.cells = [self.cells[(w, p)] for w in range(1, n + 1)]

    # -- lifecycle ----------------------------------------------------------------------------
    def load(self, config: PhasesConfig) -> None:
        """A fresh computation from ``config`` (a scenario's, or the controls'), not started."""
        self.stop_simulation("new computation")
        self.config = config
        for spin, value in (
            (self.workers_spin, config.workers),
            (self.runs_spin, max(config.runs, 1)),
            (self.seed_spin, config.seed),
        ):
            spin.setValue(min(value, spin.maximum()))
        self._shown = self._spins()
        recorder = self.new_recorder(config.seed)
        sim = PhasedComputation(
            config, clock=SimClock(self.speed, recorder=recorder), recorder=recorder, host=self.host
        )
        self.view = PhasesView.for_config(config)
        self._build_grid(config)
        self._done_handled = False
        self.aggregate_label.hide()
        self.aggregate_label.setText("")
        self.aggregate_note.setText("")
        current = self.worker_combo.currentData()
        self.worker_combo.clear()
        self.worker_combo.addItem("any worker", None)
        for w in range(1, config.workers + 1):
            self.worker_combo.addItem(worker_label(w), str(w))
        self.worker_combo.setCurrentIndex(max(self.worker_combo.findData(current), 0))
        self.attach(sim)
        self._frame()

    def _spins(self) -> tuple[int, int, int]:
        return self.workers_spin.value(), self.runs_spin.value(), self.seed_spin.value()

    def _chosen_config(self) -> PhasesConfig:
        """The loaded config, with whatever the user changed in the spin boxes since."""
        if self._spins() == self._shown:
            return self.config  # a scenario's seed may be larger than a spin box holds
        workers, runs, seed = self._spins()
        return dataclasses.replace(self.config, workers=workers, runs=runs, seed=seed)

    @Slot()
    def start_computation(self) -> None:
        sim = self.computation
        config = self._chosen_config()
        if sim is None or sim.started or config != self.config:
            self.load(config)
            sim = self.computation
        assert sim is not None
        sim.start()
        self._frame()
        self.say(f"{config.workers} workers start {config.phases[0].name}; run 1 of {config.runs}")

    @Slot()
    def force_shutdown(self) -> None:
        self.stop_simulation("forced shutdown")

    def inject(self, kind: str) -> None:
        sim = self.computation
        if sim is None:
            return
        try:
            who = sim.inject(kind, self.worker_combo.currentData())
        except ValueError as exc:
            self.say(f"Cannot {kind}: {exc}")
            return
        n = int(who[1:])
        working = any(self.view.cells[(n, p)].state == WORK for p in range(len(self.view.phases)))
        self.say(f"{kind.capitalize()}: {who}, {'now' if working else 'in its next phase'}")

    def hint(self) -> str:
        return "Press Start: every worker passes each phase, and each phase's barrier waits for all of them"

    # -- trace in, pixels out -----------------------------------------------------------------
    def apply_record(self, rec: Record) -> None:
        self.view.apply(rec)
        if rec["kind"] == "run.completed" and not self._done_handled:
            QTimer.singleShot(0, self._maybe_done)

    @Slot()
    def _maybe_done(self) -> None:
        """Every run asked for has completed: the workers are idle; join them now."""
        sim = self.computation
        if sim is not None and not sim.stopped and not self._done_handled and sim.finished():
            self._done_handled = True
            self.stop_simulation(sim.end_reason)

    def update_counters(self) -> None:
        v = self.view
        self.counters.set_values(
            {
                "runsCompletedCount": v.served,
                "phasesCompletedCount": v.phases_completed,
                "retryCount": v.retries,
                "restartCount": v.restarts,
                "cancelledCount": v.cancelled,
            }
        )
        set_if_changed(self.run_label, self._run_text())
        self._sync_aggregate()
        self._sync_controls()

    def _run_text(self) -> str:
        v = self.view
        total = max(v.placed, self.config.runs)
        if v.status == READY:
            return f"{total} runs of {len(v.phases)} phases, not started"
        if v.status == ALL_DONE:
            return f"All {v.served} runs done"
        if v.status == FAILED:
            return f"Failed in run {v.run}"
        if not v.run:
            return f"Run 1 of {total}"
        text = f"Run {v.run} of {total}"
        if v.phase >= 0:
            text += f" · {v.phases[v.phase]}"
            if v.attempt > 1:
                text += f" (attempt {v.attempt})"
        return text

    def _sync_aggregate(self) -> None:
        v = self.view
        agg = v.aggregate_index
        rows = []
        for w, wv in v.workers.items():
            if v.aggregate is not None and v.aggregate_run == v.run:
                value = v.partials.get(w)
                parts = ""
            else:
                cells = [v.cells[(w, p)] for p in range(agg)]
                have = [c.partial for c in cells if c.partial is not None and c.state in (WAIT, DONE)]
                value = sum(have) if have else None
                parts = " + ".join(map(str, have)) if len(have) > 1 else ""
            colour = seat_colour(w).name()
            shown = (
                "…"
                if value is None
                else f"{value}" + (f" <span style='color:gray'>({parts})</span>" if parts else "")
            )
            rows.append(
                f"<tr><td><span style='color:{colour}'>●</span> {wv.label}</td>"
                f"<td align='right'>&nbsp;&nbsp;{shown}</td></tr>"
            )
        before = ", ".join(v.phases[:agg])
        head = (
            f"Run {max(v.run, 1)}: each worker's partial from {before}; "
            f"the barrier action of <b>{v.phases[agg]}</b> sums them."
        )
        set_if_changed(self.partials_label, f"{head}<table>{''.join(rows)}</table>")
        if v.aggregate is None:
            return
        ok = "✓" if v.aggregate == v.expected else "✗"
        by = v.threads.get(v.aggregate_thread)
        runner = worker_label(by) if by is not None else v.aggregate_thread
        text = f"Run {v.aggregate_run}: ∑ = {v.aggregate} {ok}"
        set_if_changed(
            self.aggregate_note,
            f"expected {v.expected}; computed once, by {runner}, in the {v.phases[agg]} barrier's action",
        )
        if self.aggregate_label.text() != text:
            self.aggregate_label.setText(text)
            self.aggregate_label.setToolTip(
                "Computed in the barrier action of the aggregate phase: by the last worker to arrive "
                "(index parties - 1), before anyone is released, exactly once per run"
            )
        if not self.aggregate_label.isVisible():
            self.aggregate_label.show()

    def draw(self, now: float) -> None:
        sim = self.computation
        assert sim is not None
        v = self.view
        speed = None if sim.clock.is_max else sim.clock.speed
        parties = self.config.workers
        for (w, p), cell in self.cells.items():
            cell.show_cell(v.cells[(w, p)], now, speed, parties, p == v.aggregate_index, p == v.phase)
        for p, gate in enumerate(self.gates):
            gate.show_state(gate.cells, v.completed[p], p == v.phase)
        for p, header in enumerate(self.headers):
            header.show_status(*self._phase_status(p), active=p == v.phase and v.status == RUNNING)
        for row in self.rows:
            row.show_worker(v.workers[row.worker.n], None)
        for p, footer in enumerate(self.footers):
            retries = v.phase_retries[p]
            text = f"waited {v.waits[p]:.1f} s" + (
                f" · {retries} retr{'y' if retries == 1 else 'ies'}" if retries else ""
            )
            set_if_changed(footer, text)
        self.wait_bars.show_waits(v.phases, v.waits, v.phase_retries)
        self.gate.show_view(
            v.barrier, now, label=self._thread_label, colour=self._thread_colour, title="Active barrier"
        )
        self.update_counters()

    def _phase_status(self, p: int) -> tuple[str, str]:
        v = self.view
        states = [v.cells[(w, p)].state for w in v.workers]
        if v.completed[p]:
            return "complete ✓", "working"
        if any(s in (CRASH, BROKE) for s in states):
            return "broken: retry", "crashed"
        if p == v.phase and v.status == RUNNING:
            waiting = states.count(WAIT)
            attempt = f"try {v.attempt} · " if v.attempt > 1 else ""
            return f"{attempt}{waiting}/{len(states)} at barrier", "waiting" if waiting else "info"
        return ("sums partials" if p == v.aggregate_index else "to come"), "idle"

    def _sync_controls(self) -> None:
        sim = self.computation
        if sim is None:
            return
        running = sim.started and not sim.stopped and not sim.shutting_down
        self.start_button.setEnabled(not running)
        self.start_button.setText("&Start" if not sim.started else "&Start again")
        for w in (self.pause_button, self.shutdown_button):
            w.setEnabled(running)
        self.crash_button.setEnabled(running or not sim.started)
        self.slow_button.setEnabled(running or not sim.started)
        set_if_changed(self.status_label, self._status_text(sim))

    def _thread_label(self, thread: str) -> str:
        n = self.view.threads.get(thread)
        return worker_label(n) if n is not None else thread

    def _thread_colour(self, thread: str) -> QColor | None:
        n = self.view.threads.get(thread)
        return seat_colour(n) if n is not None else None

    def _status_text(self, sim: PhasedComputation) -> str:
        v = self.view
        if v.status == READY:
            return "Not started. Start sends every worker into the first phase; a barrier closes each phase."
        if v.status == ALL_DONE:
            return (
                f"Done: {v.served} runs, {v.phases_completed} phases, {v.retries} retries. The aggregate was "
                "computed once per run, in a barrier action."
            )
        if v.status == FAILED:
            return f"Failed in order: {v.failure}. Every thread has stopped."
        if v.status == RUNNING:
            column = [v.cells[(w, v.phase)] for w in v.workers] if v.phase >= 0 else []
            crashed = [
                worker_label(w) for w in v.workers if v.phase >= 0 and v.cells[(w, v.phase)].state == CRASH
            ]
            if crashed:
                who = " and ".join(crashed)
                return (
                    f"{v.phases[v.phase]} broke: {who} crashed and aborted its barrier. The phase starts "
                    f"over from its start once {who} is restarted; the phases before it are kept."
                )
            if any(c.state == BROKE for c in column):
                return f"{v.phases[v.phase]} broke; it starts over from its start."
            working = sum(c.state == WORK for c in column)
            text = f"{working} working, {v.at_barrier} at the barrier"
            if v.last_fault:
                text += f"; last fault: {v.last_fault}"
            return text
        return f"Stopped ({v.reason or sim.shutdown_reason or 'shutdown'}); Start runs again."

    # -- the README's picture ------------------------------------------------------------------
    def pose(self, spin: Callable[..., None]) -> None:
        """Run 2: load done, a straggler holding everyone at the process barrier while an
        earlier crash's retry shows in the waits and the first aggregate is on the side."""
        self.load(PhasesConfig(workers=5, runs=4, seed=7))
        self.speed_slider.setValue(5)  # 8x
        self.start_computation()
        spin(20.0, lambda: self.view.aggregate is not None and self.view.run >= 2)
        self.speed_slider.setValue(3)  # 2x
        self.worker_combo.setCurrentIndex(self.worker_combo.findData("3"))
        spin(10.0, lambda: self.view.phase == 0 and any(c.state == WORK for c in self._column(0)))
        self.inject("crash")
        spin(10.0, lambda: self.view.retries >= 1 and self.view.phase == 0)
        self.worker_combo.setCurrentIndex(self.worker_combo.findData("2"))
        spin(10.0, lambda: self.view.phase == 1 and self.view.completed[0])
        self.inject("slow")
        spin(15.0, lambda: self.view.phase == 1 and self.view.at_barrier >= 4)
        spin(0.3)

    def _column(self, p: int) -> list:
        return [self.view.cells[(w, p)] for w in self.view.workers]

    # -- selftest (python -m app selftest) -----------------------------------------------------
    def selftest(self, check: Check, wait: Wait) -> None:
        """Run to the aggregate, crash a worker and watch its phase retried, then shut down."""
        self.speed_slider.setValue(len(SPEEDS) - 1)
        self.workers_spin.setValue(3)
        self.runs_spin.setValue(2)
        self.start_button.click()
        check("the aggregate is computed", wait(lambda: bool(self.aggregate_label.text()), 20))
        check("every run completes", wait(lambda: self.view.status == ALL_DONE, 20))
        check("the aggregate equals the sum of the partials", self.view.aggregate == self.view.expected)
        check("each run aggregated once", self.view.aggregations == self.view.served == 2)
        self.runs_spin.setValue(3)
        self.start_button.click()
        self.worker_combo.setCurrentIndex(self.worker_combo.findData("2"))
        self.crash_button.click()
        check("a crash breaks its phase and the phase is retried", wait(lambda: self.view.retries >= 1, 15))
        check("the crashed worker is restarted", wait(lambda: self.view.restarts >= 1, 15))
        check("the runs still complete", wait(lambda: self.view.status == ALL_DONE, 30))
        check("and the aggregate is still right", self.view.aggregate == self.view.expected)
        self.runs_spin.setValue(50)
        self.start_button.click()
        wait(lambda: self.view.status == RUNNING and self.view.phase >= 0, 10)
        t0 = time.monotonic()
        self.shutdown_button.click()
        joined = not self.host.running() and time.monotonic() - t0 < 0.5
        check("force shutdown joins every worker within 0.5 s", joined)
        check("unfinished runs are cancelled", self.view.served + self.view.cancelled == self.view.placed)


__all__ = ["PhasesScene"]
