"""Stepping a live run in the window: the schedule combo, Pause as a hold, one choice per step,
"You choose" by clicking a thread, guests while held, and closing a held run."""

from __future__ import annotations

import contextlib
import json
import time

import pytest
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton
from pytestqt.exceptions import TimeoutError

from app.gui.live import STRATEGY_CHOICES, YOU
from app.gui.widgets.threads import ThreadsPanel, row_state
from app.scenes import registry

pytestmark = pytest.mark.timeout(60)


def choices(scene) -> list[dict]:
    return [r for r in scene.sim.recorder.snapshot() if r["kind"] == "sched.choice"]


def held(scene) -> list[str]:
    return list(scene.sim.scheduler.held)


def controlled(qtbot, scene, mode: str, orders: int = 6):
    """Choose ``mode`` in the scene's strategyCombo, place ``orders`` and return the scheduler."""
    scene.window().tabs.setCurrentWidget(scene)  # shown, as a user sees it (settings may differ)
    combo = scene.findChild(QComboBox, "strategyCombo")
    combo.setCurrentIndex(combo.findData(mode))
    sched = scene.sim.scheduler
    assert sched is not None, "choosing a strategy restarts the run controlled"
    scene.place_order(orders)
    return sched


def hold(qtbot, scene) -> None:
    """Pause a controlled run and wait until it is held at a choice."""
    scene.findChild(QPushButton, "pauseButton").click()
    qtbot.waitUntil(lambda: bool(held(scene)), timeout=10000)
    # The window learns of the held choice through a queued signal: Next step is then offered.
    qtbot.waitUntil(scene.findChild(QPushButton, "stepButton").isEnabled, timeout=5000)


def test_every_scene_has_a_strategy_combo_that_offers_control(main_window):
    assert [name for _text, name, _tip in STRATEGY_CHOICES] == [None, "random", "pct", "pos", YOU]
    for spec in registry.SCENES:
        combo = main_window.scene(spec.name).findChild(QComboBox, "strategyCombo")
        assert combo is not None, spec.name
        assert [combo.itemText(i) for i in range(combo.count())] == [
            "Free",
            "Random",
            "PCT",
            "POS",
            "You choose",
        ]
        assert combo.isEnabled(), spec.name
        assert combo.toolTip()
    assert main_window.scene("restaurant").findChild(QComboBox, "strategyCombo").isEnabled()


def test_a_free_run_has_no_scheduler_and_no_threads_panel(scene):
    assert scene.sim.scheduler is None
    assert not scene.findChild(ThreadsPanel, "threadsPanel").isVisibleTo(scene)
    assert not scene.findChild(QPushButton, "stepButton").isVisibleTo(scene)


@pytest.mark.parametrize("mode", ["random", "pct", "pos"])
def test_choosing_a_strategy_restarts_the_run_controlled(qtbot, scene, mode):
    first = scene.sim
    sched = controlled(qtbot, scene, mode)
    assert scene.sim is not first and first.stopped, "the current run was restarted under it"
    assert sched.describe()["strategy"] == mode
    qtbot.waitUntil(lambda: len(choices(scene)) >= 3, timeout=10000)
    qtbot.waitUntil(lambda: int(scene.findChild(QLabel, "servedCount").text()) >= 2, timeout=15000)
    panel = scene.findChild(ThreadsPanel, "threadsPanel")
    assert panel.isVisibleTo(scene)  # (the window may show another scene: settings)
    qtbot.waitUntil(lambda: {"chef-appetizer", "chef-main", "chef-dessert"} <= set(panel.rows), timeout=5000)
    step_back = scene.findChild(QPushButton, "stepBackButton")
    assert not step_back.isEnabled() and "cannot step back" in step_back.toolTip()
    # Back to Free: a free run again, the panel and the step bar gone.
    scene.findChild(QComboBox, "strategyCombo").setCurrentIndex(0)
    assert scene.sim.scheduler is None
    assert not panel.isVisibleTo(scene)
    assert not scene.findChild(QPushButton, "stepButton").isVisibleTo(scene)


def test_pause_holds_a_controlled_run(qtbot, scene):
    controlled(qtbot, scene, "pos")
    qtbot.waitUntil(lambda: len(choices(scene)) >= 2, timeout=10000)
    hold(qtbot, scene)
    assert scene.findChild(QPushButton, "pauseButton").isChecked()
    n = len(scene.sim.recorder.snapshot())
    for _ in range(3):  # the event loop turns and nothing more is recorded
        qtbot.wait(150)
        assert len(scene.sim.recorder.snapshot()) == n
    panel = scene.findChild(ThreadsPanel, "threadsPanel")
    qtbot.waitUntil(lambda: {n for n, row in panel.rows.items() if row.isEnabled()} == set(held(scene)))
    assert scene.findChild(QPushButton, "stepButton").isEnabled()
    scene.findChild(QPushButton, "pauseButton").click()  # Resume: the strategy goes on
    qtbot.waitUntil(lambda: len(scene.sim.recorder.snapshot()) > n, timeout=10000)


def test_each_step_makes_exactly_one_choice(qtbot, scene):
    sched = controlled(qtbot, scene, "random", orders=10)
    hold(qtbot, scene)
    step = scene.findChild(QPushButton, "stepButton")
    for _ in range(8):
        qtbot.waitUntil(step.isEnabled, timeout=10000)  # the held choice has reached the window
        before, counted = len(choices(scene)), sched.choices
        step.click()
        qtbot.waitUntil(lambda: bool(held(scene)), timeout=10000)
        assert sched.choices == counted + 1
        assert len(choices(scene)) == before + 1


def test_you_choose_moves_the_thread_clicked(qtbot, scene):
    sched = controlled(qtbot, scene, YOU, orders=10)
    assert sched.holding, "You choose holds the run at every choice from its start"
    # The watchdog stays on: its thread enters as a guest (alive_workers takes the scene's
    # lock) while the run is held, and must never leave the baton with an ended guest.
    panel = scene.findChild(ThreadsPanel, "threadsPanel")
    picked = []
    for i in range(8):
        qtbot.waitUntil(lambda: len(held(scene)) >= 2, timeout=10000)
        could = held(scene)
        name = could[(i + 1) % len(could)]  # not always the first: a real choice
        qtbot.waitUntil(lambda n=name: n in panel.rows and panel.rows[n].isEnabled(), timeout=5000)
        qtbot.waitUntil(lambda n=name: panel.ensure_visible(n), timeout=5000)  # scrolled to it
        before = len(choices(scene))
        panel.rows[name].click()
        # A guest (the watchdog looking at the workers) may hold the baton at the click:
        # the pick is then made as it leaves.
        qtbot.waitUntil(lambda b=before: len(choices(scene)) > b, timeout=5000)
        last = choices(scene)[before]
        # Who could move may change while a guest is in; the pick is made all the same.
        assert last["chose"] == name and name in last["of"]
        picked.append(name)
    assert len(set(picked)) >= 2


def test_a_guest_action_while_held_does_not_freeze_the_window(qtbot, scene):
    controlled(qtbot, scene, "pct", orders=4)
    hold(qtbot, scene)
    queued = lambda: int(scene.findChild(QLabel, "queuedCount").text())
    place = scene.findChild(QPushButton, "placeOrderButton")
    t0 = time.monotonic()
    for _ in range(5):
        place.click()
    scene.findChild(QPushButton, "crashChefButton").click()
    took = time.monotonic() - t0
    assert took < 0.5, f"guest calls took {took:.3f} s while the run was held"
    placed = [r for r in scene.sim.recorder.snapshot() if r["kind"] == "order.placed"]
    assert len(placed) == 9
    qtbot.waitUntil(lambda: queued() >= 5, timeout=5000)
    qtbot.waitUntil(lambda: bool(held(scene)), timeout=5000)  # still held: guests never step it


@pytest.mark.parametrize("mode", ["pos", YOU])
def test_closing_the_window_during_a_held_run_stops_every_thread(qtbot, main_window, mode):
    scene = main_window.scene("restaurant")
    main_window.tabs.setCurrentWidget(scene)
    controlled(qtbot, scene, mode, orders=6)
    if mode != YOU:
        hold(qtbot, scene)
    qtbot.waitUntil(lambda: len(held(scene)) >= 2, timeout=10000)
    t0 = time.monotonic()
    main_window.close()
    took = time.monotonic() - t0
    assert main_window.closed_cleanly
    assert scene.host.running() == []
    assert took < 0.5, f"closing took {took:.3f} s"


def test_force_shutdown_of_a_held_run_and_export_names_the_schedule(qtbot, scene, tmp_path):
    controlled(qtbot, scene, "pos", orders=4)
    hold(qtbot, scene)
    t0 = time.monotonic()
    scene.findChild(QPushButton, "forceShutdownButton").click()
    assert time.monotonic() - t0 < 0.5
    assert scene.host.running() == []
    path = tmp_path / "live.jsonl"
    assert scene.export_trace(path) > 0
    header = json.loads(path.read_text().splitlines()[0])
    assert header["schedule"] == {"strategy": "pos", "seed": 0}
    panel = scene.findChild(ThreadsPanel, "threadsPanel")
    assert "ended" in panel.hint_label.text()


def test_row_states():
    held = ["a"]
    assert row_state({"name": "a", "state": "blocked"}, held) == "can move"
    assert row_state({"name": "b", "state": "run", "current": True}, held) == "running"
    assert row_state({"name": "b", "state": "run"}, held) == "ready"
    assert row_state({"name": "b", "state": "blocked", "deadline": 3.0}, held) == "sleeping"
    assert row_state({"name": "b", "state": "blocked", "deadline": None}, held) == "blocked"
    assert row_state({"name": "a", "state": "done"}, held) == "done"


def test_the_lab_finds_the_line_of_a_threads_next_named_step():
    from app.gui.scenes.lab import next_step_line

    lines = [
        (30, "    with lock:"),
        (34, '        step("checked")  # empty'),
        (40, '    step("plate")'),
        (52, '    step("checked")'),
    ]
    assert next_step_line(lines, 30, "checked") == 34
    assert next_step_line(lines, 35, "checked") == 52
    assert next_step_line(lines, 60, "checked") == 34  # round a loop
    assert next_step_line(lines, 30, "served") is None


@pytest.mark.parametrize("spec", registry.SCENES, ids=lambda s: s.name)
def test_every_scene_runs_controlled_in_the_window_and_stops_in_time(qtbot, main_window, spec):
    scene = main_window.scene(spec.name)
    main_window.tabs.setCurrentWidget(scene)
    combo = scene.findChild(QComboBox, "strategyCombo")
    combo.setCurrentIndex(combo.findData("pos"))

    def spin(seconds: float, until=None) -> None:
        if until is None:
            qtbot.wait(int(seconds * 1000))
        else:
            qtbot.waitUntil(lambda: bool(until()), timeout=int(seconds * 1000) + 15000)

    scene.pose(spin)  # the scene's own way to start work, as for its screenshot
    sim = scene.sim
    assert sim.scheduler is not None and sim.scheduler.describe()["strategy"] == "pos"
    if spec.name == "lab":
        # The lab forces its interleaving (its gate holds tasks at their steps): the pose's
        # lost wake-up deadlocked as taught under the scheduler; it has few choices to step.
        assert scene.view.last is not None and scene.view.last.outcome == "deadlock"
        t0 = time.monotonic()
        assert sim.stop("test") == [] and time.monotonic() - t0 < 0.5
        return
    qtbot.waitUntil(lambda: len(choices(scene)) >= 3, timeout=20000)
    hold(qtbot, scene)
    before = len(choices(scene))
    step = scene.findChild(QPushButton, "stepButton")
    # A step asked for while a guest (the watchdog) is in waits for the next choice; the run
    # may have none to make yet, as a user sees: they click again.
    for _ in range(5):
        step.click()
        with contextlib.suppress(TimeoutError):
            qtbot.waitUntil(lambda: len(choices(scene)) > before, timeout=2000)
            break
    assert len(choices(scene)) > before, "Next step never moved the held run"
    t0 = time.monotonic()
    alive = sim.stop("test")
    assert alive == [] and time.monotonic() - t0 < 0.5
