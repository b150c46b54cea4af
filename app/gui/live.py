"""Stepping a live run: the schedule a scene's next run takes, and the controls of a controlled one.

``Free`` leaves the threads to the operating system, as ever. ``Random``, ``PCT`` and ``POS``
run the scene in controlled mode (app/sync/control.py): its threads take turns and the
strategy, seeded by the scene's seed, picks who moves at every choice. ``You choose`` is
controlled too, and held at every choice: the user clicks the thread that moves next.

In controlled mode Pause holds the run at its next choice (``Scheduler.hold``), Resume lets
the strategy go on (``release``), Next step makes one choice (``step_once``) and a click on
a thread that could move makes that choice (``step_once(pick=...)``). The window's own
calls (place an order, inject a fault, stop) enter the run as guests, between two steps:
they never wait for one. A live run cannot step back: the trace, exported and opened, can.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QSizePolicy

from app.engine.contract import SceneSpec
from app.engine.simulation import Simulation
from app.gui.widgets.playback import LIVE, OFF, PlaybackBar, StepControls
from app.gui.widgets.threads import ThreadsPanel
from app.sync.control import RandomStrategy, Scheduler, make_strategy
from app.trace.recorder import TraceRecorder

#: Seconds between two looks at the tasks while a controlled run goes on.
TICK_S = 0.25


class LiveScene(Protocol):
    """What LiveControl asks of its scene (a ``SceneBase``; named so, the two modules would
    import each other)."""

    scene: SceneSpec
    sim: Simulation | None
    playback: Any
    playback_bar: PlaybackBar
    step_controls: StepControls

    def pick_live(self, name: str) -> bool: ...

    def sync_pause_button(self) -> None: ...


#: "You choose": controlled, held at every choice (Next step and Resume pick at random).
YOU = "you"

#: (what the combo says, the strategy's name or None for a free run, its tooltip)
STRATEGY_CHOICES: tuple[tuple[str, str | None, str], ...] = (
    ("Free", None, "The operating system picks which thread runs next, as in production: no two runs alike"),
    (
        "Random",
        "random",
        "Controlled: threads take turns; at every choice one of those that can move is picked "
        "at random, seeded by the scene's seed (the same seed, the same interleaving)",
    ),
    (
        "PCT",
        "pct",
        "Controlled: probabilistic concurrency testing, random priorities with a few priority "
        "drops (depth 3): long runs of one thread, switches where bugs of small depth hide",
    ),
    (
        "POS",
        "pos",
        "Controlled: partial order sampling, operations racing on the same lock, barrier or "
        "event are reordered fairly",
    ),
    (
        "You choose",
        YOU,
        "Controlled and held at every choice: click the thread that moves next "
        "(Next step or Resume let a seeded random pick)",
    ),
)

COMBO_TIP = (
    "Who picks the thread that runs next. Choosing one restarts this scene's run under it, with "
    "the same settings (and so does every later run). Controlled: Pause stops at the next choice, "
    "Next step makes one, a click on a thread makes it move."
)
STEP_TIP = "Make one choice: the strategy picks one of the threads that could move  (.)"
NO_STEP_BACK_TIP = (
    "A live run cannot step back: its future is not made yet and its past is not kept. "
    "Export the trace (File) and open it (File › Open trace) to scrub back and forth."
)


def scheduler_for(recorder: TraceRecorder, mode: str | None, seed: int) -> Scheduler | None:
    """The scheduler a run in ``mode`` (a ``STRATEGY_CHOICES`` name) needs; None: free."""
    if mode is None:
        return None
    strategy = RandomStrategy(seed) if mode == YOU else make_strategy(mode, seed)
    return Scheduler(strategy, recorder=recorder)


def strategy_title(mode: str | None) -> str:
    return next(text for text, name, _tip in STRATEGY_CHOICES if name == mode)


class LiveControl(QObject):
    """One scene's schedule combo (``strategyCombo``), Threads panel (``threadsPanel``) and
    the live use of the step controls; the scene calls ``begin``/``end`` around each run."""

    #: ``Scheduler.on_held``, carried to the GUI thread (it is called from any thread, under
    #: the scheduler's lock: the slot must run later, so the connection is always queued).
    held = Signal(list)

    def __init__(self, scene: LiveScene, parent: QObject) -> None:
        super().__init__(parent)
        self._ticked = 0.0
        self.scene = scene
        self.combo = QComboBox(objectName="strategyCombo")
        self.combo.setAccessibleName("Schedule")
        for i, (text, name, tip) in enumerate(STRATEGY_CHOICES):
            self.combo.addItem(text, name)
            self.combo.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
        self.combo.setToolTip(COMBO_TIP)
        self.panel = ThreadsPanel()
        self.panel.hide()
        self.panel.picked.connect(scene.pick_live)
        self.held.connect(self._on_held, Qt.ConnectionType.QueuedConnection)
        self.scheduler: Scheduler | None = None
        self.mode: str | None = None

    @property
    def chosen(self) -> str | None:
        """The schedule the combo asks for (None: free)."""
        return self.combo.currentData()

    def choose(self, mode: str | None) -> None:
        """Select ``mode`` in the combo (as a user would: the scene restarts its run)."""
        self.combo.setCurrentIndex(self.combo.findData(mode))

    # -- a run's life ---------------------------------------------------------------------------
    def begin(self, sched: Scheduler | None) -> None:
        """A run is shown from now on; ``sched`` is its scheduler (None: a free run)."""
        self.scheduler = sched
        if sched is None or self.scene.playback is not None:
            self.scheduler = None
            self._hide()
            return
        self.mode = self.chosen
        sched.on_held = self.held.emit
        if self.mode == YOU:
            sched.hold()
        controls = self.scene.step_controls
        bar = self.scene.playback_bar
        controls.set_mode(LIVE)
        controls.step_back_button.setVisible(True)
        controls.step_back_button.setEnabled(False)
        controls.step_back_button.setToolTip(NO_STEP_BACK_TIP)
        controls.step_button.setToolTip(STEP_TIP)
        for b in (controls.step_back_button, controls.step_button):  # no slider to take the room
            b.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        bar.close_button.hide()
        bar.banner.setText(f"Controlled run · {strategy_title(self.mode)}")
        bar.detail.setText("")
        bar.show()
        self.panel.show()
        self.refresh()

    def end(self) -> None:
        """The run has stopped (its threads joined): no more callbacks, the panel says so."""
        sched = self.scheduler
        if sched is not None:
            sched.on_held = None
            self.refresh()

    def _hide(self) -> None:
        """A free run (or a trace playing back): no panel, the step controls are playback's."""
        self.panel.hide()
        self.panel.clear()
        controls = self.scene.step_controls
        controls.step_back_button.setToolTip("Show the state one record earlier  (,)")
        controls.step_button.setToolTip("Apply one more record  (.)")
        for b in (controls.step_back_button, controls.step_button):
            b.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self.scene.playback_bar.close_button.show()
        if self.scene.playback is None:
            controls.set_mode(OFF)
            self.scene.playback_bar.hide()

    # -- stepping ------------------------------------------------------------------------------
    def live(self) -> Scheduler | None:
        """The scheduler of the controlled run shown, while it runs (else None)."""
        sim = self.scene.sim
        sched = self.scheduler
        if sched is None or sim is None or sim.stopped or self.scene.playback is not None:
            return None
        return sched

    @Slot(list)
    def _on_held(self, _held: list[str]) -> None:
        self.refresh()

    def tick(self) -> None:
        """The frame timer's look: at most four refreshes a second (a row of text per thread
        each frame cost the GUI thread about 5 ms at p99 with 32 stations); a held choice
        and a step refresh at once through ``_on_held`` and the step slots."""
        now = time.monotonic()
        if now - self._ticked >= TICK_S:
            self._ticked = now
            self.refresh()

    def refresh(self) -> None:
        """Show the tasks, the choice the run is held at and what the user can do."""
        sched = self.scheduler
        if sched is None:
            return
        running = self.live() is not None
        held = list(sched.held) if running else []
        tasks = sched.tasks() if running else []
        title = strategy_title(self.mode)
        describe: dict[str, Any] = sched.describe()
        schedule = f"{title} · seed {describe.get('seed', 0)} · {sched.choices:,} choices"
        if not running:
            hint = "The run has ended. Restart it, or choose another schedule."
        elif held:
            who = f"{len(held)} threads could move"
            if self.mode == YOU:
                hint = f"Your move: {who}. Click one to run it to its next step."
            else:
                hint = f"Paused at a choice: {who}. Next step lets {title} pick; or click one."
        elif sched.holding:
            hint = "Pausing: the run stops at its next choice (nothing to choose while one thread can run)."
        else:
            hint = f"Running under {title}. Pause stops it at the next choice."
        self.panel.show_tasks(tasks, held, schedule, hint)
        controls = self.scene.step_controls
        if controls.mode == LIVE:
            controls.step_button.setEnabled(bool(held))
            state = "held" if held else ("pausing" if running and sched.holding else "running")
            controls.position_label.setText(
                f"step {sched.steps:,} · {sched.choices:,} choices · {state}" if running else "ended"
            )
        self.scene.sync_pause_button()


__all__ = ["STRATEGY_CHOICES", "YOU", "LiveControl", "scheduler_for", "strategy_title"]
