"""The pitfalls lab's window: pick an experiment, run it wrong and right, watch each thread's
marker move through the real code, and read the verdict (the watchdog names deadlocks)."""

from __future__ import annotations

import dataclasses
import html
import time
from collections.abc import Callable, Sequence
from typing import cast

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.engine.clock import SimClock
from app.gui.scene_base import SPEEDS, SceneBase, set_if_changed
from app.gui.scenes.lab_code import CodeView, Mark
from app.gui.theme import current_theme, seat_colour
from app.gui.widgets.controls import ControlRow
from app.gui.widgets.counters import CounterPanel
from app.scenes.lab import SCENE
from app.scenes.lab.experiment import DEADLOCK, ERROR, OK, RIGHT, WRONG, WRONG_RESULT, Experiment, sources
from app.scenes.lab.experiments import EXPERIMENTS
from app.scenes.lab.model import LabBench, LabConfig, by_role
from app.scenes.lab.view import (
    AT_BARRIER,
    DONE,
    FAILED,
    HELD,
    ON_EVENT,
    ON_LOCK,
    RUNNING,
    SLEEPING,
    STUCK,
    WORKING,
    LabView,
    Marker,
    RunView,
)
from app.trace.recorder import Record

_VERB = {
    RUNNING: "",
    WORKING: "working",
    SLEEPING: "sleeping",
    HELD: "held",
    AT_BARRIER: "waits at",
    ON_EVENT: "waits on",
    ON_LOCK: "waits for lock",
    DONE: "done",
    FAILED: "error",
    STUCK: "deadlocked",
}
_OUTCOME_TONE = {DEADLOCK: "crashed", ERROR: "crashed", WRONG_RESULT: "restarting", OK: "working"}


#: Seat colours for markers, without the red that means "deadlocked" here.
_SEATS = (1, 3, 5, 6, 4, 7, 8)


def _colour(seat: int) -> QColor:
    return seat_colour(_SEATS[(seat - 1) % len(_SEATS)])


def marker_text(m: Marker) -> str:
    """What a thread's tag says: its state and the detail (``waits on 'ready'``)."""
    if m.state == WORKING:
        return m.detail
    if m.state == HELD:
        return "held by the lab: " + m.detail.removeprefix("held ")
    if m.state == FAILED:
        return m.detail.split(":", 1)[0]  # the exception's name; the verdict says the rest
    verb = _VERB.get(m.state, m.state)
    return " ".join(x for x in (verb, m.detail) if x)


def next_step_line(lines: Sequence[tuple[int, str]], at: int, step: str) -> int | None:
    """The file line of ``step("<step>")`` that a thread at file line ``at`` reaches next:
    the first such line at or after ``at``, else the first (a loop goes round); None if the
    code shown has no such step."""
    calls = (f'step("{step}")', f"step('{step}')")
    found = [n for n, text in lines if any(c in text for c in calls)]
    return next((n for n in found if n >= at), found[0] if found else None)


class LabScene(SceneBase):
    """Owns one LabBench at a time; runs queue on it one after the other."""

    scene = SCENE

    def __init__(self, parent: QWidget | None = None, speed: float = 1.0) -> None:
        super().__init__(parent, speed)
        self.config = LabConfig(runs=0)
        self.view = LabView()
        self.experiment: Experiment = EXPERIMENTS[0]
        self._build()
        self.load(self.config)

    @property
    def bench(self) -> LabBench | None:
        return cast("LabBench | None", self.sim)

    # -- building -----------------------------------------------------------------------------
    def _build(self) -> None:
        b = self.button
        self.run_wrong_button = b(
            "runWrongButton",
            "Run &wrong",
            "Run the mistake under the interleaving chosen: it fails the same way every time",
            "Ctrl+1",
            lambda: self.run_variant(WRONG),
        )
        self.run_right_button = b(
            "runRightButton",
            "Run &right",
            "Run the fix under the same interleaving: it holds",
            "Ctrl+2",
            lambda: self.run_variant(RIGHT),
        )
        self.controls = ControlRow(
            self, self.run_wrong_button, self.force_shutdown, extras=[self.run_right_button]
        )
        self.shutdown_button = self.controls.shutdown_button
        self.counters = CounterPanel(
            (
                ("runsCount", "Runs"),
                ("asTaughtCount", "As taught"),
                ("deadlockCount", "Deadlocks"),
                ("wrongResultCount", "Wrong results"),
                ("errorCount", "Errors"),
            ),
            self,
        )
        self.status_label = self.assemble(self._build_bench(), [self.controls], self.counters, "labStatus")
        main = self.findChild(QSplitter, "mainSplitter")
        if main is not None:  # the code is what the lab is about: it gets the room
            main.setStretchFactor(0, 5)
            main.setStretchFactor(1, 2)

    def _build_bench(self) -> QWidget:
        bench = QWidget(objectName="labBench")
        u = self.fontMetrics().height()
        # Left: the experiments and what to watch.
        self.experiment_list = QListWidget(objectName="experimentList")
        self.experiment_list.setAccessibleName("Experiments")
        for exp in EXPERIMENTS:
            item = QListWidgetItem(f"{exp.title}\n{exp.name} · wrong: {exp.teaches}")
            item.setData(Qt.ItemDataRole.UserRole, exp.name)
            item.setToolTip(exp.lesson)
            self.experiment_list.addItem(item)
        self.experiment_list.currentRowChanged.connect(self._experiment_chosen)
        self.watch_label = QLabel("", objectName="watchNotes", wordWrap=True)
        self.watch_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.lesson_label = QLabel("", objectName="lessonLabel", wordWrap=True)
        self.lesson_label.setStyleSheet("font-weight: 600;")
        self.interleaving_combo = QComboBox(objectName="interleavingCombo")
        self.interleaving_combo.setAccessibleName("Forced interleaving")
        self.interleaving_combo.setToolTip("The order the lab forces on the threads' steps")
        self.interleaving_combo.currentIndexChanged.connect(self._interleaving_chosen)
        self.interleaving_label = QLabel("", objectName="interleavingNotes", wordWrap=True)
        left = QVBoxLayout()
        left.addWidget(QLabel("Experiments", objectName="sectionTitle"))
        left.addWidget(self.experiment_list, 4)
        left.addWidget(QLabel("What to watch", objectName="sectionTitle"))
        left.addWidget(self.watch_label, 1)
        left.addWidget(self.lesson_label)
        left.addWidget(QLabel("Forced interleaving", objectName="sectionTitle"))
        left.addWidget(self.interleaving_combo)
        left.addWidget(self.interleaving_label)
        side = QWidget()
        side.setLayout(left)
        side.setMinimumWidth(u * 16)
        side.setMaximumWidth(u * 22)
        # Right: the verdict over the code, wrong and right side by side.
        self.outcome_label = QLabel("", objectName="outcomeLabel", wordWrap=True)
        self.outcome_label.setTextFormat(Qt.TextFormat.RichText)
        self.outcome_label.setAccessibleName("Outcome of the latest run")
        self.outcome_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.code_views = {WRONG: CodeView(self, "codeWrong"), RIGHT: CodeView(self, "codeRight")}
        pane = QWidget(objectName="codePane")
        pane.setAccessibleName("The experiment's code, wrong and right")
        column = QVBoxLayout(pane)
        column.setContentsMargins(0, 0, 0, 0)
        t = current_theme()
        self.code_tabs = QTabWidget(objectName="codeTabs")
        self.code_tabs.setDocumentMode(True)
        for variant, tone, mark, tip in (
            (WRONG, "crashed", "✗", "The mistake; a bar in the margin marks what the right variant changes"),
            (RIGHT, "working", "✓", "The fix; a bar in the margin marks the lines that fix it"),
        ):
            self.code_views[variant].change_colour = t.tones[tone]
            index = self.code_tabs.addTab(self.code_views[variant], f"{mark}  {variant}")
            self.code_tabs.setTabToolTip(index, tip)
            self.code_tabs.tabBar().setTabTextColor(index, t.tones[tone])
        column.addWidget(self.code_tabs, 1)
        right = QVBoxLayout()
        right.addWidget(self.outcome_label)
        right.addWidget(pane, 1)
        self.code_pane = pane
        outer = QHBoxLayout(bench)
        outer.addWidget(side)
        outer.addLayout(right, 1)
        return bench

    # -- choosing ---------------------------------------------------------------------------------
    def select_experiment(self, name: str) -> None:
        row = next(i for i, e in enumerate(EXPERIMENTS) if e.name == name)
        if self.experiment_list.currentRow() != row:
            self.experiment_list.setCurrentRow(row)  # shows it through _experiment_chosen
        else:
            self._show_experiment(EXPERIMENTS[row])

    @Slot(int)
    def _experiment_chosen(self, row: int) -> None:
        if 0 <= row < len(EXPERIMENTS):
            self._show_experiment(EXPERIMENTS[row])

    def _show_experiment(self, exp: Experiment) -> None:
        self.experiment = exp
        shown = {variant: sources(exp.variant(variant)) for variant in self.code_views}
        for variant, code in self.code_views.items():
            code.show_sources(shown[variant])
            code.mark_changes(shown[RIGHT if variant == WRONG else WRONG], code.change_colour)
        self.watch_label.setText(exp.watch)
        self.lesson_label.setText(exp.lesson)
        self.interleaving_combo.blockSignals(True)
        self.interleaving_combo.clear()
        for i, il in enumerate(exp.interleavings):
            self.interleaving_combo.addItem(il.name + (" (the lesson's)" if i == 0 else ""), i)
        self.interleaving_combo.blockSignals(False)
        self._interleaving_chosen(0)
        self._draw_run()

    @Slot(int)
    def _interleaving_chosen(self, index: int) -> None:
        il = self.experiment.interleaving(max(index, 0))
        text = il.says + ("" if il.edges else ".")
        if il.edges:
            text += ". The lab holds: " + "; ".join(str(e) for e in il.edges) + "."
        self.interleaving_label.setText(text)

    # -- running ----------------------------------------------------------------------------------
    def load(self, config: LabConfig) -> None:
        """A fresh bench from ``config``; a scenario's runs (``runs`` > 0) start at once."""
        self.stop_simulation("new lab")
        self.config = config
        recorder = self.new_recorder(config.seed)
        bench = LabBench(
            config, clock=SimClock(self.speed, recorder=recorder), recorder=recorder, host=self.host
        )
        self.view = LabView()
        self.select_experiment(config.experiment)
        self.interleaving_combo.setCurrentIndex(config.interleaving)
        self.attach(bench)
        if config.runs:
            bench.start()
        self._frame()

    def live_widgets(self) -> list[QWidget]:
        # The experiment shown follows the trace's lab.run records while it plays back.
        return [*super().live_widgets(), self.experiment_list, self.interleaving_combo]

    def open_for_playback(self, config: LabConfig) -> None:
        self.load(dataclasses.replace(config, runs=0))  # a bench that runs nothing by itself

    def open_after_playback(self, config: LabConfig) -> None:
        self.load(dataclasses.replace(config, runs=0))

    def run_variant(self, variant: str) -> None:
        bench = self.bench
        if bench is None or bench.stopped or bench.shutting_down:
            self.load(dataclasses.replace(self.config, runs=0))
            bench = self.bench
        assert bench is not None
        bench.start()
        index = max(self.interleaving_combo.currentIndex(), 0)
        ahead = bench.queue(self.experiment.name, variant, index)
        later = f" after {ahead} more" if ahead else ""
        self.say(f"{self.experiment.name}, {variant}: queued{later}")
        self._frame()

    @Slot()
    def force_shutdown(self) -> None:
        self.stop_simulation("forced shutdown")

    def hint(self) -> str:
        return "Pick an experiment, then Run wrong and Run right: a marker shows the line each thread is at"

    # -- trace in, pixels out -------------------------------------------------------------------
    def apply_record(self, rec: Record) -> None:
        self.view.apply(rec)
        if rec["kind"] == "lab.run":
            self.hide_watchdog_banner()
            if rec["experiment"] != self.experiment.name:
                self.select_experiment(rec["experiment"])
            self.code_tabs.setCurrentWidget(self.code_views[rec["variant"]])

    def show_watchdog_banner(self, rec: Record) -> None:
        """The watchdog's words, with each thread called by its role (``Basil``, not ``Basil#2``)."""
        run = self.view.current
        roles = {t: m.role for t, m in run.markers.items()} if run is not None else {}
        if roles:
            rec = {
                **rec,
                "reason": by_role(str(rec.get("reason", "")), roles),
                "waits": [{**w, "thread": roles.get(w["thread"], w["thread"])} for w in rec.get("waits", ())],
            }
        super().show_watchdog_banner(rec)

    def update_counters(self) -> None:
        v = self.view
        self.counters.set_values(
            {
                "runsCount": v.served,
                "asTaughtCount": v.as_taught,
                "deadlockCount": v.outcomes[DEADLOCK],
                "wrongResultCount": v.outcomes[WRONG_RESULT],
                "errorCount": v.outcomes[ERROR],
            }
        )

    def draw(self, now: float) -> None:
        self._draw_run()
        self.update_counters()

    def _shown_run(self) -> RunView | None:
        run = self.view.current
        return run if run is not None and run.experiment == self.experiment.name else None

    def _draw_run(self) -> None:
        run = self._shown_run()
        for variant, code in self.code_views.items():
            marks: list[Mark] = []
            if run is not None and run.variant == variant:
                for m in run.markers.values():
                    if not m.line:
                        continue
                    alarm = m.state in (STUCK, FAILED)
                    colour = current_theme().tones["stopped"] if m.state == DONE else _colour(m.seat)
                    marks.append(Mark(m.line, m.role, colour, marker_text(m), alarm))
                marks += self._next_step_marks(run, code)
            code.set_marks(marks)
        set_if_changed(self.outcome_label, self._outcome_html(run))
        bench = self.bench
        busy = bench is not None and bench.active is not None
        status = "Idle: Run wrong shows the mistake, Run right the fix, under the same interleaving."
        if busy and run is not None:
            status = f"Run {run.run}: {run.experiment}, {run.variant}; forced: {run.says}"
        set_if_changed(self.status_label, status)
        self.pause_button.setEnabled(busy)

    def _next_step_marks(self, run: RunView, code: CodeView) -> list[Mark]:
        """A held controlled run: the line of each thread's next named step (``step NAME``
        in the scheduler is ``step("NAME")`` in the experiment's code), tagged "next"."""
        sched = self.live.live()
        if sched is None or not sched.held:
            return []
        lines = [
            (n, text) for n, text in zip(code.file_lines, code.toPlainText().split("\n"), strict=False) if n
        ]
        marks = []
        for task in sched.tasks():
            m = run.markers.get(task["name"])
            label = str(task["label"])
            if m is None or not label.startswith("step "):
                continue
            line = next_step_line(lines, m.line, label.removeprefix("step "))
            if line is not None:
                movable = task["name"] in sched.held
                marks.append(
                    Mark(line, m.role, _colour(m.seat), f"next: {label}" + (" (can move)" if movable else ""))
                )
        return marks

    def _outcome_html(self, run: RunView | None) -> str:
        t = current_theme()
        if run is None:
            return f"<span style='color:{t.muted.name()}'>Not run yet: press Run wrong or Run right.</span>"
        head = f"<b>Run {run.run}</b> · {html.escape(run.variant)} · {html.escape(run.interleaving)}"
        if not run.outcome:
            return f"{head} · <i>running…</i> {html.escape(run.says)}"
        colour: QColor = t.tones[_OUTCOME_TONE.get(run.outcome, "info")]
        pill = (
            f"<span style='background:{colour.name()}; color:#ffffff; font-weight:600;'>"
            f"&nbsp;{run.outcome.upper()}&nbsp;</span>"
        )
        taught = (
            "as the lesson says" if run.as_taught else f"<b>not</b> what the lesson expects ({run.expected})"
        )
        given = ""
        if run.given_up:
            given = (
                f"<br><span style='color:{t.muted.name()}'>The lab could not force: "
                f"{html.escape('; '.join(run.given_up))} — this code does not let it happen.</span>"
            )
        return f"{pill} {head} · {taught}<br>{html.escape(run.explanation)}{given}"

    def pose(self, spin: Callable[..., None]) -> None:
        """The lost wake-up, deadlocked: the worker's marker stuck on its wait() with the
        order in the queue, the producer done, the watchdog's banner naming it."""
        self.select_experiment("lost-wakeup")
        self.speed_slider.setValue(SPEEDS.index(4.0))
        self.run_variant(WRONG)
        spin(10.0, lambda: self.view.last is not None and self.view.last.outcome == DEADLOCK)
        spin(0.3)

    # -- selftest (python -m app selftest) ------------------------------------------------------
    def selftest(
        self, check: Callable[[str, bool], None], wait: Callable[[Callable[[], bool], float], bool]
    ) -> None:
        """Party mismatch wrong (the watchdog names it) and right; the made-up exception as the
        experiment's error; the real source in the pane; a forced shutdown mid-run."""
        import inspect

        from app.scenes.lab.experiments import party_mismatch

        self.speed_slider.setValue(len(SPEEDS) - 1)
        self.select_experiment("party-mismatch")
        shown = self.code_views[WRONG].toPlainText()
        check(
            "the code pane shows the real source",
            inspect.getsource(party_mismatch.guest_wrong).strip() in shown,
        )

        def outcome(n: int) -> str:
            last = self.view.last
            return last.outcome if last is not None and self.view.served >= n else ""

        self.run_wrong_button.click()
        check(
            "the wrong variant deadlocks and the watchdog says so", wait(lambda: outcome(1) == DEADLOCK, 10)
        )
        check("the watchdog's banner names the barrier", "table" in self.watchdog_banner.text())
        line = party_mismatch.guest_wrong.__code__.co_firstlineno + 3  # k.table.wait()

        def stuck() -> list[str]:
            return sorted(m.label for m in self.code_views[WRONG].marks_on(line) if m.alarm)

        check(
            "both guests' markers sit on the wait, deadlocked", wait(lambda: stuck() == ["Ada", "Basil"], 5)
        )
        self.run_right_button.click()
        check("the right variant holds", wait(lambda: outcome(2) == OK, 10))
        check("the banner is gone for the new run", self.watchdog_banner.isHidden())
        self.select_experiment("no-timeout-error")
        self.run_wrong_button.click()
        check("a made-up exception is the experiment's error", wait(lambda: outcome(3) == ERROR, 10))
        check("the error does not stop the lab", self.bench is not None and not self.bench.shutting_down)
        self.speed_slider.setValue(SPEEDS.index(1.0))
        self.select_experiment("sleep-as-sync")
        self.run_right_button.click()
        wait(lambda: self.view.current is not None and self.view.current.experiment == "sleep-as-sync", 5)
        t0 = time.monotonic()
        self.shutdown_button.click()
        check(
            "force shutdown joins every thread within 0.5 s",
            not self.host.running() and time.monotonic() - t0 < 0.5,
        )
        check("the run cut short is cancelled", self.view.served + self.view.cancelled == self.view.placed)


__all__ = ["LabScene", "marker_text"]
