"""The data pipeline window: three stage columns with their workers and batch barriers, the
queues between them, live plots, and the dead letters."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import cast

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.engine.clock import SimClock
from app.gui.scene_base import SPEEDS, SceneBase, set_if_changed
from app.gui.scenes.pipeline_canvas import EventLight, QueueTube, StageColumn
from app.gui.scenes.pipeline_plots import PlotPanel
from app.gui.theme import current_theme
from app.gui.widgets.controls import ControlRow
from app.gui.widgets.counters import CounterPanel
from app.scenes.pipeline import SCENE
from app.scenes.pipeline.model import MAX_WORKERS, MIN_WORKERS, STAGES, Pipeline, PipelineConfig
from app.scenes.pipeline.view import (
    BLOCKED,
    DRAINING,
    HALTED,
    READY,
    RUNNING,
    STOPPING,
    WORKING,
    PipelineView,
)
from app.trace.recorder import Record

#: The window's own start: small batches, so each barrier round can be watched.
WINDOW_CONFIG = PipelineConfig(items=60, batch_size=8, queue_capacity=16)
PLOT_EVERY_S = 0.5
DEAD_LETTER_ROWS = 200


class PipelineScene(SceneBase):
    """Owns one Pipeline at a time; draws only what the trace says and forwards clicks."""

    scene = SCENE

    def __init__(self, parent: QWidget | None = None, speed: float = 1.0) -> None:
        super().__init__(parent, speed)
        self.config = WINDOW_CONFIG
        self.view = PipelineView.for_config(self.config)
        self.workers = list(self.config.workers)  # what + and - ask for before a start
        self._dead_shown = 0
        self._last_plot = 0.0
        self._build()
        self.load(self.config)

    @property
    def pipeline(self) -> Pipeline | None:
        return cast("Pipeline | None", self.sim)

    # -- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        b = self.button
        self.start_button = b(
            "startPipelineButton",
            "&Start pipeline",
            "A fresh pipeline with the items, workers and seed chosen; items flow Load → Transform → Save",
            "Ctrl+N",
            self.start_pipeline,
        )
        self.items_spin = QSpinBox(objectName="itemsSpin", minimum=1, maximum=100_000)
        self.items_spin.setToolTip("Items the next start feeds (and Add items adds)")
        self.items_spin.setAccessibleName("Items")
        self.feed_button = b(
            "feedItemsButton",
            "&Add items",
            "Feed that many more items into the running pipeline",
            "Ctrl+Shift+N",
            self.feed_items,
        )
        self.graceful_button = b(
            "gracefulShutdownButton",
            "&Graceful shutdown",
            "Stop accepting (items not loaded yet are cancelled), drain every queue and batch, "
            "then stop: the drained Event is set and the workers leave by themselves",
            "Ctrl+Shift+G",
            self.graceful_shutdown,
        )
        items_label = QLabel("Items", buddy=self.items_spin)
        self.controls = ControlRow(
            self,
            self.start_button,
            self.force_shutdown,
            extras=[items_label, self.items_spin, self.feed_button, self.graceful_button],
            shutdown_tip="Stop every worker now (all joined within 0.5 s); unfinished items are "
            "cancelled with the reason and where they were",
        )
        self.shutdown_button = self.controls.shutdown_button
        self.seed_spin = QSpinBox(objectName="seedSpin", minimum=0, maximum=2**31 - 1)
        self.seed_spin.setToolTip("Seed: which items crash, are poison or slow depends only on it")
        self.target_combo = QComboBox(objectName="faultTargetCombo")
        self.target_combo.setAccessibleName("Fault target")
        self.target_combo.setToolTip("Where a crash or a slow worker is injected")
        self.target_combo.addItem("any stage", None)
        for stage in STAGES:
            self.target_combo.addItem(stage, stage)
        self.crash_button = b(
            "crashWorkerButton",
            "&Crash worker",
            "A worker raises mid-item: its item goes back to its stage, it signs off at the batch "
            "barrier, and the monitor restarts it after a backoff (within the restart budget)",
            "Ctrl+1",
            lambda: self.inject("crash"),
        )
        self.poison_button = b(
            "poisonItemButton",
            "&Poison item",
            "The next item loaded fails every attempt and ends in the dead-letter list",
            "Ctrl+2",
            lambda: self.inject("poison"),
        )
        self.slow_button = b(
            "slowWorkerButton",
            "S&low worker",
            "A worker takes six times as long for its next few items: its batch waits for it",
            "Ctrl+3",
            lambda: self.inject("slow"),
        )
        fault_row = QHBoxLayout()
        fault_row.addWidget(QLabel("Seed", buddy=self.seed_spin))
        fault_row.addWidget(self.seed_spin)
        fault_row.addSpacing(self.fontMetrics().averageCharWidth() * 3)
        fault_row.addWidget(QLabel("Faults at", buddy=self.target_combo))
        fault_row.addWidget(self.target_combo)
        for w in (self.crash_button, self.poison_button, self.slow_button):
            fault_row.addWidget(w)
        fault_row.addStretch(1)
        self.lights = {name: EventLight(name, self) for name in ("error", "drained", "shutdown")}
        fault_row.addWidget(QLabel("Events"))
        for light in self.lights.values():
            fault_row.addWidget(light)
        self.counters = CounterPanel(
            (
                ("savedCount", "Saved"),
                ("deadLetterCount", "Dead letters"),
                ("cancelledCount", "Cancelled"),
                ("retriedCount", "Retried"),
                ("restartCount", "Restarts"),
            ),
            self,
        )
        self.status_label = self.assemble(
            self._build_canvas(), [self.controls, fault_row], self.counters, "pipelineStatus"
        )

    def _build_canvas(self) -> QWidget:
        canvas = QWidget(objectName="pipelineCanvas")
        u = self.fontMetrics().height()
        flow = QHBoxLayout()
        flow.setSpacing(u // 3)
        self.columns: dict[str, StageColumn] = {}
        self.tubes: list[QueueTube] = []
        for i, stage in enumerate(STAGES):
            if i:
                tube = QueueTube(f"{STAGES[i - 1]}_{stage}", canvas)
                self.tubes.append(tube)
                flow.addWidget(tube)
            col = StageColumn(
                stage, lambda s=stage: self.scale(s, +1), lambda s=stage: self.scale(s, -1), canvas
            )
            self.columns[stage] = col
            flow.addWidget(col, 1)
        self.plots = PlotPanel(canvas)
        self.dead_list = QTableWidget(0, 4, objectName="deadLetterList")
        self.dead_list.setHorizontalHeaderLabels(["Item", "Stage", "Tries", "Why"])
        self.dead_list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.dead_list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.dead_list.verticalHeader().hide()
        self.dead_list.setWordWrap(False)
        self.dead_list.setAccessibleName("Dead letters: items that failed every attempt")
        head = self.dead_list.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setStretchLastSection(True)
        dead_box = QWidget()
        dead_layout = QVBoxLayout(dead_box)
        dead_layout.setContentsMargins(0, 0, 0, 0)
        dead_layout.addWidget(QLabel("Dead letters", objectName="sectionTitle"))
        dead_layout.addWidget(self.dead_list, 1)
        dead_box.setMinimumWidth(u * 15)
        dead_box.setMaximumWidth(u * 22)
        lower = QHBoxLayout()
        lower.addWidget(self.plots, 4)
        lower.addWidget(dead_box, 1)
        outer = QVBoxLayout(canvas)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(flow, 5)
        outer.addLayout(lower, 4)
        return canvas

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.plots.ensure_built()  # Qt Charts is imported the first time the tab is shown

    # -- lifecycle --------------------------------------------------------------------------
    def load(self, config: PipelineConfig) -> None:
        """A fresh pipeline from ``config`` (a scenario's, or the controls'), not started yet."""
        self.stop_simulation("new pipeline")
        self.config = config
        self.workers = list(config.workers)
        self.items_spin.setValue(min(max(config.items, 1), self.items_spin.maximum()))
        self.seed_spin.setValue(min(config.seed, self.seed_spin.maximum()))
        self._shown = self._spins()
        recorder = self.new_recorder(config.seed)
        pipeline = Pipeline(
            config, clock=SimClock(self.speed, recorder=recorder), recorder=recorder, host=self.host
        )
        self.view = PipelineView.for_config(config)
        self.dead_list.setRowCount(0)
        self._dead_shown = 0
        self.attach(pipeline)
        self._frame()

    def _spins(self) -> tuple[int, int]:
        return self.items_spin.value(), self.seed_spin.value()

    def _chosen_config(self) -> PipelineConfig:
        """The loaded config, with the items, seed and pool sizes chosen since."""
        items, seed = self._spins()
        workers = (self.workers[0], self.workers[1], self.workers[2])
        if (items, seed) != self._shown:
            return dataclasses.replace(self.config, workers=workers, items=items, seed=seed)
        return dataclasses.replace(self.config, workers=workers)

    @Slot()
    def start_pipeline(self) -> None:
        pipeline = self.pipeline
        config = self._chosen_config()
        if pipeline is None or pipeline.started or config != self.config:
            self.load(config)
            pipeline = self.pipeline
        assert pipeline is not None
        pipeline.start()
        self._frame()
        self.say(f"{config.items} items into Load; workers {self._pools()}")

    @Slot()
    def feed_items(self) -> None:
        pipeline = self.pipeline
        if pipeline is None or not self._running():
            return
        pipeline.feed(self.items_spin.value())
        self.say(f"{self.items_spin.value()} more items fed")

    @Slot()
    def graceful_shutdown(self) -> None:
        pipeline = self.pipeline
        if pipeline is None or not self._running():
            return
        pipeline.shutdown_gracefully()
        self.say("Graceful shutdown: no new items are loaded; every queue drains, then the workers stop")
        self._frame()

    @Slot()
    def force_shutdown(self) -> None:
        self.stop_simulation("forced shutdown")

    def scale(self, stage: str, delta: int) -> None:
        i = STAGES.index(stage)
        pipeline = self.pipeline
        running = pipeline is not None and self._running()
        current = self.view.stages[i].target if running else self.workers[i]
        wanted = min(max(current + delta, MIN_WORKERS), MAX_WORKERS)
        if wanted == current:
            self.say(f"The {stage} stage has {MIN_WORKERS} to {MAX_WORKERS} workers")
            return
        self.workers[i] = wanted
        if running and pipeline is not None:
            try:
                pipeline.scale(stage, wanted)
            except ValueError as exc:
                self.say(f"Cannot scale {stage}: {exc}")
                return
            self.say(
                f"{stage}: {current} → {wanted} workers, "
                + ("the new one joins at the next batch" if delta > 0 else "one signs off at this batch")
            )
        else:
            self.view.stages[i].target = wanted
            self.view.stages[i].barrier.parties = wanted
        self._frame()

    def inject(self, kind: str) -> None:
        pipeline = self.pipeline
        if pipeline is None or not self._running():
            return
        target = self.target_combo.currentData() if kind != "poison" else None
        try:
            hit = pipeline.inject(kind, target)
        except ValueError as exc:
            self.say(f"Cannot {kind}: {exc}")
            return
        if kind == "poison":
            self.say("Poison: the next item loaded fails every attempt")
        elif kind == "crash":
            w = self.view.worker(hit)
            when = "now" if w is not None and w.state == WORKING else "on its next item"
            self.say(f"Crash: {hit}, {when}")
        else:
            self.say(f"Slow: {hit} for its next {self.config.slow_items} items")

    def _running(self) -> bool:
        p = self.pipeline
        return p is not None and p.started and not p.stopped and not p.shutting_down

    def _pools(self) -> str:
        return ", ".join(f"{s} {n}" for s, n in zip(STAGES, self.workers, strict=True))

    def hint(self) -> str:
        return (
            "Press Start pipeline: items flow Load → Transform → Save through bounded queues; "
            "+ and − scale a stage while it runs"
        )

    # -- trace in, pixels out ---------------------------------------------------------------
    def apply_record(self, rec: Record) -> None:
        self.view.apply(rec)

    def update_counters(self) -> None:
        v = self.view
        self.counters.set_values(
            {
                "savedCount": v.saved,
                "deadLetterCount": v.dead,
                "cancelledCount": v.cancelled,
                "retriedCount": v.requeued,
                "restartCount": v.restarts,
            }
        )
        for name, light in self.lights.items():
            light.set_lit(v.events.get(name, False))
        self._sync_dead_letters()
        self._sync_controls()

    def draw(self, now: float) -> None:
        v = self.view
        for st in v.stages:
            self.columns[st.name].show_stage(st, v.placed, now)
        for tube, q in zip(self.tubes, v.queues, strict=True):
            tube.show_queue(q)
        if now - self._last_plot >= PLOT_EVERY_S or now < self._last_plot:
            self._last_plot = now
            self.plots.show_metrics(v.metrics, now, self.config.queue_capacity)
        self.update_counters()

    def _sync_dead_letters(self) -> None:
        v = self.view
        fresh = v.dead - self._dead_shown
        if fresh <= 0:
            return
        t = current_theme()
        for d in list(v.dead_letters)[-min(fresh, len(v.dead_letters)) :]:
            row = self.dead_list.rowCount()
            self.dead_list.insertRow(row)
            why = d.reason.split(":")[0] if d.reason.startswith("poison") else "crashed its worker"
            for col, text in enumerate((str(d.item), d.stage, str(d.attempts), why)):
                item = QTableWidgetItem(text)
                item.setToolTip(f"Item {d.item}: {d.reason} (last tried by {d.worker})")
                if col < 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                else:
                    item.setForeground(t.tones["crashed"])
                self.dead_list.setItem(row, col, item)
        while self.dead_list.rowCount() > DEAD_LETTER_ROWS:
            self.dead_list.removeRow(0)
        self._dead_shown = v.dead
        self.dead_list.scrollToBottom()

    def _sync_controls(self) -> None:
        pipeline = self.pipeline
        if pipeline is None:
            return
        running = self._running()
        # A drained pipeline (everything fed has ended) may be replaced by a new one.
        self.start_button.setEnabled(not running or (self.view.open == 0 and not pipeline.draining))
        self.start_button.setText("&Start pipeline" if not pipeline.started else "&New pipeline")
        for w in (
            self.pause_button,
            self.shutdown_button,
            self.feed_button,
            self.crash_button,
            self.poison_button,
            self.slow_button,
        ):
            w.setEnabled(running)
        self.graceful_button.setEnabled(running and not pipeline.draining)
        for i, stage in enumerate(STAGES):
            col = self.columns[stage]
            n = self.view.stages[i].target if running else self.workers[i]
            stopping = (pipeline.started and not running) or self.playback is not None  # a trace plays
            col.add_button.setEnabled(not stopping and n < MAX_WORKERS)
            col.remove_button.setEnabled(not stopping and n > MIN_WORKERS)
        set_if_changed(self.status_label, self._status_text())

    def _status_text(self) -> str:
        v = self.view
        if v.status == READY:
            return f"Not started: {self.items_spin.value()} items, workers {self._pools()}."
        if v.status in (RUNNING, DRAINING):
            busy = sum(st.count(WORKING) for st in v.stages)
            blocked = sum(st.count(BLOCKED) for st in v.stages)
            text = f"{v.saved + v.dead + v.cancelled} of {v.placed} items ended; {busy} working"
            if blocked:
                text += f", {blocked} held back by a full queue"
            if v.status == DRAINING:
                text = "Draining: no new items are loaded. " + text
            elif v.open == 0 and v.placed:
                text = "Drained: every item has ended. Add items, or shut down. " + text
            if v.last_fault:
                text += f"; last fault: {v.last_fault}"
            return text
        if v.status == STOPPING:
            return f"Stopping ({v.reason})…"
        if v.status == HALTED:
            why = v.reason or "shutdown"
            return (
                f"Stopped ({why}): {v.saved} saved, {v.dead} dead-lettered, {v.cancelled} cancelled "
                f"of {v.placed}. New pipeline starts again."
            )
        return ""

    # -- screenshot and selftest -------------------------------------------------------------
    def pose(self, spin: Callable[..., None]) -> None:
        """Back-pressure at a full queue, a crashed worker on its way back, two dead letters,
        a stage scaled up mid-run, and half a minute of plots."""
        self.load(dataclasses.replace(WINDOW_CONFIG, items=600, seed=3, workers=(3, 2, 2)))
        self.speed_slider.setValue(SPEEDS.index(2.0))
        self.start_pipeline()
        spin(6.0, lambda: self.view.saved >= 20)
        pipeline = self.pipeline
        assert pipeline is not None
        pipeline.inject("poison")
        pipeline.inject("poison")
        spin(10.0, lambda: self.view.dead >= 2)
        self.scale("transform", +1)
        spin(6.0)
        pipeline.inject("slow", "save")
        spin(3.0)
        self.target_combo.setCurrentIndex(self.target_combo.findData("transform"))
        self.inject("crash")
        spin(2.0, lambda: self.view.restarts >= 1)
        spin(1.0)

    def selftest(
        self, check: Callable[[str, bool], None], wait: Callable[[Callable[[], bool], float], bool]
    ) -> None:
        """Push items through, scale a stage, crash a worker, drain gracefully, force a stop."""
        self.speed_slider.setValue(len(SPEEDS) - 1)
        self.items_spin.setValue(40)
        self.start_button.click()
        v = lambda: self.view
        ended = lambda: v().saved + v().dead + v().cancelled
        check("every item is saved once", wait(lambda: self.counters.value("savedCount") == 40, 30))
        check("the drained Event is set", wait(lambda: self.lights["drained"].property("lit") is True, 5))
        check("Save's progress bar is full", wait(lambda: self.columns["save"].progress.value() == 40, 2))
        self.columns["transform"].add_button.click()
        self.feed_button.click()
        check(
            "a worker added to Transform joins at a batch",
            wait(lambda: v().stages[1].target == 5 and v().stages[1].alive == 5, 10),
        )
        self.columns["load"].remove_button.click()
        check("a Load worker signs off", wait(lambda: v().stages[0].alive == 1, 10))
        self.target_combo.setCurrentIndex(self.target_combo.findData("transform"))
        self.crash_button.click()
        check("a crashed worker is restarted", wait(lambda: v().restarts >= 1, 15))
        check("fed items end once", wait(lambda: ended() == 80 and v().saved > 40, 30))
        self.items_spin.setValue(400)
        self.speed_slider.setValue(SPEEDS.index(4.0))
        self.start_button.click()
        wait(lambda: v().saved >= 10, 20)
        self.graceful_button.click()
        check(
            "a graceful shutdown drains and stops by itself",
            wait(lambda: v().status == HALTED and not self.host.running(), 30),
        )
        check(
            "what was not loaded is cancelled, the rest ended",
            v().cancelled > 0 and v().open == 0 and "drained" in v().reason,
        )
        self.items_spin.setValue(200)
        self.start_button.click()
        wait(lambda: v().saved >= 5, 20)
        t0 = time.monotonic()
        self.shutdown_button.click()
        check(
            "force shutdown joins every worker within 0.5 s",
            not self.host.running() and time.monotonic() - t0 < 0.5,
        )
        check("unfinished items are cancelled with a reason", v().open == 0 and v().cancelled > 0)


__all__ = ["WINDOW_CONFIG", "PipelineScene"]
