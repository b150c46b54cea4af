"""What every scene tab shares: a simulation in QThreads, the trace bridge, speed and pause,
a frame timer, the timeline and the event log, an orderly stop, and trace export."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Protocol

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.engine.contract import SceneSpec
from app.engine.simulation import Simulation
from app.engine.timeline import Timeline
from app.gui.bridge import TraceBridge
from app.gui.event_log import FLUSH_S, EventLog
from app.gui.live import YOU, LiveControl, scheduler_for, strategy_title
from app.gui.qthreads import QThreadHost
from app.gui.timeline_view import TimelineView
from app.gui.widgets.playback import PlaybackBar
from app.trace.export import ChromeTraceWriter, JsonlWriter
from app.trace.format import trace_header
from app.trace.recorder import Record, TraceRecorder


class Playback(Protocol):
    """What a scene asks of the trace playing back in it (``app.gui.playback.Playback``)."""

    @property
    def config(self) -> Any: ...

    @property
    def records(self) -> list[Record]: ...

    @property
    def header(self) -> dict[str, Any]: ...

    def now(self) -> float: ...

    def sim_now(self) -> float: ...

    def stop(self, live: bool = True) -> None: ...


log = logging.getLogger(__name__)

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
FRAME_MS = 33


#: A scene's scripted checks for ``python -m app selftest``: ``check(name, ok)`` reports one
#: check; ``wait(predicate, timeout_s)`` processes events until it holds (True) or not.
Check = Callable[[str, bool], None]
Wait = Callable[[Callable[[], bool], float], bool]


class SceneBase(QWidget):
    """Owns one simulation at a time; subclasses fold records into their view and draw it.

    A subclass sets ``scene`` (its ``SceneSpec``) and implements ``apply_record``, ``draw``,
    ``load``, ``hint`` and ``selftest``; the window finds it through the registry.
    """

    scene: ClassVar[SceneSpec]

    #: Emitted in the GUI thread after each batch of trace records has been applied, with the
    #: batch (a list; typed ``object`` so the records are not converted to Qt types and back).
    recordsApplied = Signal(object)  # noqa: N815 - Qt naming
    #: Emitted in the GUI thread once the simulation has stopped: names of threads still alive.
    simulationStopped = Signal(list)  # noqa: N815

    def __init__(self, parent: QWidget | None = None, speed: float = 1.0) -> None:
        super().__init__(parent)
        self.setObjectName(f"{self.scene.name}Scene")
        self.sim: Simulation | None = None
        self.host = QThreadHost()
        self.bridge = TraceBridge(self)
        self.bridge.batch.connect(self._apply)
        self.timeline = Timeline(self.scene.lanes)
        self.timeline_view = TimelineView(self)
        self.event_log = EventLog(self, filters=self.scene.log_filters)
        #: The trace being played back in this tab (app/gui/playback.py), else None.
        self.playback: Playback | None = None
        self._live_config: Any = None
        self._build_common(speed)
        self.frame_timer = QTimer(self, objectName="frameTimer")
        self.frame_timer.setInterval(FRAME_MS)
        self.frame_timer.timeout.connect(self._frame)

    # -- common controls ------------------------------------------------------------------
    def button(
        self, name: str, text: str, tip: str, key: str | None, slot: Callable[[], object]
    ) -> QPushButton:
        b = QPushButton(text, objectName=name)
        native = QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText) if key else ""
        b.setToolTip(tip + (f"  ({native})" if key else ""))
        b.clicked.connect(lambda _checked=False: slot())
        if key:
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(b.animateClick)
        return b

    def _build_common(self, speed: float) -> None:
        self.pause_button = self.button(
            "pauseButton",
            "Pa&use",
            "Hold the workers: what is under way finishes, nothing new starts",
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
        self.speed_label = QLabel(f"{self.speed:g}×", objectName="speedLabel")
        self.speed_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("0.25×") + 6)
        # Every scene's watchdog (app/engine/watchdog.py) reports a deadlock here.
        self.watchdog_banner = QLabel("", objectName="watchdogBanner")
        self.watchdog_banner.setWordWrap(True)
        self.watchdog_banner.setAccessibleName("Deadlock named by the watchdog")
        self.watchdog_banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.watchdog_banner.hide()
        # A trace played back: its banner, the way back, and the step / scrub controls.
        self.playback_bar = PlaybackBar(self, self)
        self.step_controls = self.playback_bar.controls
        # The schedule of the next run (strategyCombo) and a controlled run's Threads panel.
        self.live = LiveControl(self, self)
        self.strategy_combo = self.live.combo
        self.threads_panel = self.live.panel
        self.strategy_combo.currentIndexChanged.connect(self._strategy_chosen)
        self.step_controls.stepRequested.connect(self.step_live)

    def bottom_views(self) -> QSplitter:
        bottom = QSplitter(Qt.Orientation.Horizontal, objectName="bottomSplitter")
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Timeline", objectName="sectionTitle"))
        layout.addWidget(self.timeline_view)
        bottom.addWidget(box)
        bottom.addWidget(self.event_log)
        bottom.setSizes([600, 400])
        return bottom

    def assemble(self, canvas: QWidget, rows: list[QLayout], counters: QWidget, status_name: str) -> QLabel:
        """Lay a scene out: control rows, then its counters beside a status line, on top; its
        canvas over the timeline and the event log below. Returns the status label."""
        status = QLabel("", objectName=status_name)
        status.setProperty("role", "status")
        status.setWordWrap(True)
        counter_row = QHBoxLayout()
        counter_row.addWidget(counters)
        counter_row.addWidget(status, 1)
        main = QSplitter(Qt.Orientation.Vertical, objectName="mainSplitter")
        top = QSplitter(Qt.Orientation.Horizontal, objectName="canvasSplitter")
        top.addWidget(canvas)
        top.addWidget(self.threads_panel)
        top.setStretchFactor(0, 4)
        top.setStretchFactor(1, 1)
        top.setCollapsible(0, False)
        top.setSizes([4 * self.threads_panel.minimumWidth(), self.threads_panel.minimumWidth()])
        main.addWidget(top)
        main.addWidget(self.bottom_views())
        main.setStretchFactor(0, 3)
        main.setStretchFactor(1, 2)
        bar = QFrame(objectName="controlBar")
        bar_layout = QVBoxLayout(bar)
        # The rows that drive a live run, in a box of their own: disabled while a trace plays.
        self.live_controls = QWidget(objectName="liveControls")
        live_layout = QVBoxLayout(self.live_controls)
        live_layout.setContentsMargins(0, 0, 0, 0)
        for row in rows:
            live_layout.addLayout(row)
        bar_layout.addWidget(self.live_controls)
        bar_layout.addLayout(counter_row)
        layout = QVBoxLayout(self)
        layout.addWidget(bar)
        layout.addWidget(self.playback_bar)
        layout.addWidget(self.watchdog_banner)
        layout.addWidget(main, 1)
        return status

    @property
    def speed(self) -> float:
        return SPEEDS[self.speed_slider.value()]

    @Slot(int)
    def _speed_changed(self, _value: int) -> None:
        self.speed_label.setText(f"{self.speed:g}×")
        if self.sim is not None:
            self.sim.clock.set_speed(self.speed)

    @Slot()
    def toggle_pause(self) -> None:
        if self.sim is None:
            return
        sched = self.live.live()
        if sched is not None:  # controlled: hold at the next choice, or let the strategy go on
            sched.release() if sched.holding else sched.hold()
            self.live.refresh()
            return
        clock = self.sim.clock
        clock.resume() if clock.paused else clock.pause()
        self.sync_pause_button()

    @property
    def live_paused(self) -> bool:
        """Paused: a free run's gate is shut, or a controlled run holds at its choices."""
        sim = self.sim
        if sim is None:
            return False
        sched = self.live.live()
        return sched.holding if sched is not None else sim.clock.paused

    def sync_pause_button(self) -> None:
        paused = self.live_paused
        if self.pause_button.isChecked() != paused:
            self.pause_button.setChecked(paused)
        text = "Res&ume" if paused else "Pa&use"
        if self.pause_button.text() != text:
            self.pause_button.setText(text)
        tip = (
            "Controlled: Resume lets the strategy pick again; Pause stops at the next choice"
            if self.live.live() is not None
            else "Hold the workers: what is under way finishes, nothing new starts"
        )
        if self.pause_button.toolTip() != tip + "  (Ctrl+P)":
            self.pause_button.setToolTip(tip + "  (Ctrl+P)")

    # -- stepping a live controlled run (app/gui/live.py) ------------------------------------
    def new_recorder(self, seed: int = 0) -> TraceRecorder:
        """The recorder of the scene's next run: it carries a scheduler when the strategy
        combo asks for a controlled run (seeded by ``seed``, the run's own)."""
        recorder = TraceRecorder()
        if self.playback is None:
            recorder.scheduler = scheduler_for(recorder, self.live.chosen, seed)
        return recorder

    @Slot()
    def step_live(self) -> str | None:
        """Next step of a held controlled run: the strategy makes one choice. Returns the
        thread that moves (None: the run is not held at a choice)."""
        sched = self.live.live()
        if sched is None:
            return None
        chosen = sched.step_once()
        if chosen is None and sched.holding:
            self.say("No choice to make yet: the run stops at its next one")
        self.live.refresh()
        return chosen

    @Slot(str)
    def pick_live(self, name: str) -> bool:
        """Let ``name`` take the next step of a held controlled run (True if it could)."""
        sched = self.live.live()
        if sched is None or name not in sched.held:
            return False
        chosen = sched.step_once(pick=name)
        self.live.refresh()
        return chosen == name

    @Slot(int)
    def _strategy_chosen(self, _index: int) -> None:
        """A new schedule: the current run starts again under it, with the same settings."""
        sim = self.sim
        if sim is None or self.playback is not None:
            return
        mode = self.live.chosen
        self.restart_live(sim.config)
        if mode is None:
            self.say("Restarted the run free: the operating system schedules the threads again")
        elif mode == YOU:
            self.say("Restarted the run controlled: it waits at every choice for you to click a thread")
        else:
            self.say(
                f"Restarted the run under {strategy_title(mode)} (seed {sim.config.seed}): "
                "Pause stops at the next choice, Next step makes one"
            )

    def restart_live(self, config: Any) -> None:
        """Start the current run again with ``config`` (a schedule was chosen)."""
        self.load(config)

    def say(self, text: str) -> None:
        """A hint in the status bar; none while a trace plays back (they are about the live run)."""
        if self.playback is not None:
            return
        bar = getattr(self.window(), "statusBar", None)
        if callable(bar):
            bar().showMessage(text, 4000)

    # -- lifecycle --------------------------------------------------------------------
    def attach(self, sim: Simulation) -> None:
        """Show ``sim`` from now on (the previous one must be stopped)."""
        self.bridge.detach()
        self.sim = sim
        self.timeline = Timeline(self.scene.lanes)
        self.event_log.clear()
        self.bridge.attach(sim.recorder)
        self.hide_watchdog_banner()
        self.live.begin(sim.scheduler)
        self.sync_pause_button()
        if not self.frame_timer.isActive():
            self.frame_timer.start()

    def stop_simulation(self, reason: str = "shutdown") -> list[str]:
        """Forced shutdown from the GUI thread: every worker joined within the deadline."""
        sim = self.sim
        if sim is None or sim.stopped:
            return []
        alive = sim.stop(reason)  # its request_shutdown releases a held run first
        self.live.end()
        if alive:
            alive = self.host.join_all(0.05)
            log.error("threads still running after shutdown: %s", alive)
        self.bridge.flush()
        self._frame()
        self.simulationStopped.emit(alive)
        return alive

    def close_scene(self) -> list[str]:
        """Stop the simulation and every timer; the scene draws nothing more."""
        if self.playback is not None:
            self.playback.stop(live=False)
        self.frame_timer.stop()
        alive = self.stop_simulation("window closed")
        self.bridge.detach()
        return alive

    # -- what each scene implements ------------------------------------------------------
    def load(self, config: Any) -> None:
        """Open a fresh simulation from ``config`` (a scenario file's)."""
        raise NotImplementedError

    def hint(self) -> str:
        """A first step for the user, shown in the status bar when the scene comes up."""
        raise NotImplementedError

    def pose(self, spin: Callable[..., None]) -> None:
        """Bring the scene into a telling moment for the README's screenshot.
        ``spin(seconds, until=None)`` processes events for up to ``seconds``."""
        raise NotImplementedError

    def selftest(self, check: Check, wait: Wait) -> None:
        """Drive this scene through work, a fault, recovery and shutdown (``selftest``)."""
        raise NotImplementedError

    # -- trace in, pixels out -------------------------------------------------------------
    def apply_record(self, rec: Record) -> None:
        """Fold one record into the scene's own view-model."""
        raise NotImplementedError

    def draw(self, now: float) -> None:
        """Refresh the scene's own widgets (called per frame and after each batch)."""
        raise NotImplementedError

    @Slot(object)
    def _apply(self, records: list[Record]) -> None:
        if self.playback is not None:
            return  # a trace plays back here: only its records are shown
        stop_requested = self.fold(records)
        sim = self.sim
        if stop_requested and sim is not None and not sim.stopped:
            # A worker asked for the shutdown (e.g. the restart budget is spent): join from here.
            QTimer.singleShot(0, self.stop_simulation)

    def fold(self, records: list[Record]) -> bool:
        """Fold ``records`` into the view, the timeline and the event log, as a live run's
        and a played-back trace's records alike; True if one asked for a shutdown."""
        stop_requested = False
        # Played back, the timeline runs on simulated time: a trace made at speed "max"
        # spans milliseconds of wall clock, and any trace reads best as the scene's own time.
        on_sim = self.playback is not None
        timeline = self.timeline.apply
        for rec in records:
            self.apply_record(rec)
            timeline({**rec, "ts": rec["sim"]} if on_sim else rec)
            kind = rec["kind"]
            if kind == "shutdown.requested":
                stop_requested = True
            elif kind == "watchdog.deadlock":
                self.show_watchdog_banner(rec)
        self.event_log.add(records)
        self.update_counters()
        self.recordsApplied.emit(records)
        return stop_requested

    # -- playing a trace back (app/gui/playback.py drives these) -------------------------------
    def live_widgets(self) -> list[QWidget]:
        """What drives a live run, disabled while a trace plays back: the control rows, and
        whatever else a scene adds."""
        return [self.live_controls]

    def open_for_playback(self, config: Any) -> None:
        """A fresh simulation for ``config`` that is never started, and an empty view: what a
        trace's records fold into. Scenes whose ``load`` starts work override this."""
        self.load(config)

    def begin_playback(self, playback: Playback) -> None:
        """Stop the live run and show ``playback``'s records from now on (an empty view)."""
        if self.playback is not None and self.playback is not playback:
            self.playback.stop()
        sim = self.sim
        if self.playback is None:
            self._live_config = sim.config if sim is not None else None
        self.stop_simulation("trace opened")
        self.playback = playback
        for w in self.live_widgets():
            w.setEnabled(False)
        self.reset_for_playback()

    def reset_for_playback(self) -> None:
        """An empty view for the trace playing back (before folding records 0..k again)."""
        playback = self.playback
        assert playback is not None
        self.open_for_playback(playback.config)
        self.bridge.detach()  # the never-started simulation records nothing worth showing
        self.hide_watchdog_banner()

    def end_playback(self, live: bool = True) -> None:
        """Back to a live scene, with the configuration it had before the trace was opened
        (with ``live`` False, as the window closes, none)."""
        if self.playback is None:
            return
        self.playback = None
        self.playback_bar.close_trace()
        for w in self.live_widgets():
            w.setEnabled(True)
        config, self._live_config = self._live_config, None
        if live:
            self.open_after_playback(config if config is not None else self.scene.default_config())

    def open_after_playback(self, config: Any) -> None:
        """The live scene again (the simulation it had before the trace, afresh)."""
        self.load(config)

    def update_counters(self) -> None:
        """Set the integer counter labels from the view-model."""

    def show_watchdog_banner(self, rec: Record) -> None:
        """A ``watchdog.deadlock`` record: say who waits on what, and who could have woken it."""
        lines = []
        for w in rec.get("waits", ()):
            where = f"{w['on']} '{w['name']}'"
            if w["on"] == "barrier":
                where += f" ({len(w.get('arrived', ()))} of {w.get('parties', '?')} parties)"
            wakers = ", ".join(f"{x['thread']} ({x['state']})" for x in w.get("wakers", ())) or "nobody"
            lines.append(f"{w['thread']} waits on {where}; could have been woken by: {wakers}")
        reason = str(rec.get("reason", "deadlock"))
        text = "Watchdog: " + reason[:1].upper() + reason[1:]
        self.watchdog_banner.setText(text)
        self.watchdog_banner.setToolTip("\n".join(lines))
        self.watchdog_banner.show()
        self.say("The watchdog named a deadlock; Force shutdown wakes every thread")

    def hide_watchdog_banner(self) -> None:
        self.watchdog_banner.hide()
        self.watchdog_banner.setText("")

    @Slot()
    def _frame(self) -> None:
        sim = self.sim
        if sim is None:
            return
        playback = self.playback
        now = playback.now() if playback is not None else sim.recorder.now()
        timeline_now = playback.sim_now() if playback is not None else now
        self.timeline.prune(timeline_now)
        self.timeline_view.show_state(self.timeline, timeline_now)
        self.event_log.flush(FLUSH_S)  # the log scrolls a few times a second, not every batch
        self.draw(now)
        if self.live.live() is not None:
            self.live.tick()

    # -- export -----------------------------------------------------------------------
    def export_trace(self, path: str | Path, chrome: bool = False) -> int:
        """Write the recorded trace (the newest records the ring holds) with its header;
        returns how many records were written."""
        sim = self.sim
        if self.playback is not None:  # the trace playing back, whole
            records, header = self.playback.records, self.playback.header
        elif sim is None:
            return 0
        else:
            records = sim.recorder.snapshot()
            header = trace_header(self.scene.name, sim.config, sim.config.seed)
            if sim.scheduler is not None:
                header["schedule"] = sim.scheduler.describe()
        writer = (
            ChromeTraceWriter(path, spans=self.scene.spans, header=header)
            if chrome
            else JsonlWriter(path, header=header)
        )
        try:
            writer.write_batch(records)
        finally:
            writer.close()
        return len(records)


def set_if_changed(label: QLabel, text: str) -> None:
    if label.text() != text:
        label.setText(text)
