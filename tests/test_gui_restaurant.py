"""The restaurant window driven through its object names, as a user (or a test robot) would."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QSlider

from app.engine.budget import RestartPolicy
from app.engine.faults import FaultPlan
from app.gui.navigator import SceneNavigator
from app.gui.theme import tone_of
from app.scenes.restaurant import SCENE
from app.scenes.restaurant.model import FAULT_KINDS, KitchenConfig


def count(scene, name: str) -> int:
    return int(scene.findChild(QLabel, name).text())


def click(scene, name: str) -> None:
    button = scene.findChild(QPushButton, name)
    assert button is not None, name
    assert button.isEnabled(), f"{name} is disabled"
    button.click()


def test_window_has_the_automation_names(main_window):
    assert main_window.objectName() == "mainWindow"
    tabs = main_window.findChild(SceneNavigator, "sceneTabs")
    assert tabs.widget(0).objectName() == "restaurantScene"
    scene = tabs.widget(0)
    for name in (
        "placeOrderButton",
        "crashChefButton",
        "burnDishButton",
        "stallChefButton",
        "forceShutdownButton",
        "restartKitchenButton",
        "pauseButton",
    ):
        button = scene.findChild(QPushButton, name)
        assert button is not None and button.toolTip(), name
    assert scene.findChild(QSlider, "speedSlider") is not None
    for name in ("servedCount", "queuedCount", "cancelledCount", "restartCount"):
        assert count(scene, name) == 0


def test_orders_are_served(qtbot, scene):
    for _ in range(3):
        click(scene, "placeOrderButton")

    def served() -> None:
        assert count(scene, "servedCount") == 3

    qtbot.waitUntil(served, timeout=15000)
    assert count(scene, "queuedCount") == 0


def test_a_crash_is_recovered_and_the_order_served_once(qtbot, scene):
    scene.target_combo.setCurrentIndex(scene.target_combo.findData("main"))
    click(scene, "crashChefButton")
    with qtbot.waitSignal(scene.orderServed, timeout=15000) as blocker:
        click(scene, "placeOrderButton")
    assert blocker.args == [1]
    assert count(scene, "restartCount") == 1 and count(scene, "servedCount") == 1
    served = scene.kitchen.recorder.of_kind("order.served")
    assert [r["order"] for r in served] == [1]
    assert scene.kitchen.recorder.of_kind("order.requeued")
    assert "chef-main#2" in scene.timeline.lanes


def test_force_shutdown_is_clean_and_accounts_for_every_order(qtbot, scene):
    click(scene, "placeFiveButton")
    qtbot.waitUntil(lambda: scene.view.cooking != 0, timeout=5000)
    with qtbot.waitSignal(scene.simulationStopped, timeout=2000) as blocker:
        click(scene, "forceShutdownButton")
    assert blocker.args == [[]]  # no thread still alive
    # Timed by the kitchen itself, so the test's own event-loop latency does not count.
    assert scene.kitchen.recorder.of_kind("shutdown.completed")[-1]["elapsed_ms"] < 500
    assert not scene.host.running()
    assert count(scene, "servedCount") + count(scene, "cancelledCount") == 5
    assert count(scene, "queuedCount") == 0
    assert not scene.findChild(QPushButton, "placeOrderButton").isEnabled()
    assert scene.findChild(QPushButton, "restartKitchenButton").isEnabled()


def chefs_held_at_the_gate(kitchen) -> set[str]:
    """Chefs whose last word in the trace is "waiting at the pause gate": blocked there."""
    held: set[str] = set()
    for r in kitchen.recorder.of_kind("event.wait"):
        if r["event"] == "pause_gate" and r["phase"] == "begin":
            held.add(r["thread"])
        elif r["event"] == "pause_gate":
            held.discard(r["thread"])
    return held


def test_pause_holds_and_resume_serves(qtbot, scene):
    click(scene, "pauseButton")
    assert scene.kitchen.clock.paused and scene.pause_button.text() == "Res&ume"
    click(scene, "placeOrderButton")
    chefs = {st.chef for st in scene.kitchen.stations.values()}
    # Every chef has seen the order and is blocked at the gate: nothing can start.
    qtbot.waitUntil(lambda: chefs_held_at_the_gate(scene.kitchen) == chefs, timeout=5000)
    assert not scene.kitchen.recorder.of_kind("order.started")
    qtbot.waitUntil(lambda: count(scene, "queuedCount") == 1, timeout=2000)
    with qtbot.waitSignal(scene.orderServed, timeout=10000):
        click(scene, "pauseButton")


def test_speed_slider_sets_the_clock(scene):
    slider = scene.findChild(QSlider, "speedSlider")
    slider.setValue(0)
    assert scene.kitchen.clock.speed == 0.25 and scene.speed_label.text() == "0.25×"
    slider.setValue(6)
    assert scene.kitchen.clock.speed == 16.0


def part_spans(kitchen, order: int) -> list[tuple[float, float]]:
    """(wall seconds, simulated seconds planned) of each part of one order, from the trace."""
    records = kitchen.recorder.snapshot()
    started = {r["thread"]: r for r in records if r["kind"] == "part.started" and r["order"] == order}
    done = {r["thread"]: r for r in records if r["kind"] == "part.done" and r["order"] == order}
    return [(done[t]["ts"] - r["ts"], r["duration"]) for t, r in started.items()]


def test_speed_changes_durations(qtbot, scene):
    """Load can only make a part take longer, never shorter, so the bound that shows the
    speed took effect is a lower one: at 4x a part takes at least a quarter of its
    simulated time, which at 16x it would not."""
    for order, value, speed in ((1, 6, 16.0), (2, 4, 4.0)):
        scene.findChild(QSlider, "speedSlider").setValue(value)
        with qtbot.waitSignal(scene.orderServed, timeout=20000):
            click(scene, "placeOrderButton")
        spans = part_spans(scene.kitchen, order)
        assert len(spans) == 3
        assert all(wall >= sim / speed * 0.98 for wall, sim in spans), (speed, spans)


def test_walkout_enables_hire_and_hire_brings_the_station_back(qtbot, scene):
    scene.target_combo.setCurrentIndex(scene.target_combo.findData("dessert"))
    click(scene, "walkOutButton")
    click(scene, "placeOrderButton")
    qtbot.waitUntil(lambda: scene.view.stations["dessert"].state == "walked out", timeout=10000)
    qtbot.waitUntil(lambda: scene.findChild(QPushButton, "hireButton").isEnabled(), timeout=2000)
    qtbot.waitUntil(lambda: count(scene, "servedCount") == 1, timeout=15000)
    click(scene, "hireButton")
    qtbot.waitUntil(lambda: scene.view.stations["dessert"].state != "walked out", timeout=5000)
    with qtbot.waitSignal(scene.orderServed, timeout=15000):
        click(scene, "placeOrderButton")
    assert scene.kitchen.recorder.of_kind("order.started")[-1]["stations"] == ["appetizer", "dessert", "main"]


def test_burn_and_stall_are_recovered(qtbot, scene):
    click(scene, "burnDishButton")
    scene.target_combo.setCurrentIndex(scene.target_combo.findData("appetizer"))
    click(scene, "stallChefButton")
    click(scene, "placeOrderButton")
    click(scene, "placeOrderButton")
    qtbot.waitUntil(lambda: count(scene, "servedCount") == 2, timeout=20000)
    causes = {r["cause"] for r in scene.kitchen.recorder.of_kind("order.requeued")}
    assert "burn" in causes and "timeout" in causes


def test_an_exhausted_restart_budget_stops_the_kitchen_by_itself(qtbot, scene):
    config = KitchenConfig(faults=FaultPlan.parse("crash=1.0", FAULT_KINDS), rehire_after_s=None)
    scene.restart_kitchen(config)
    with qtbot.waitSignal(scene.simulationStopped, timeout=20000) as blocker:
        click(scene, "placeFiveButton")
    assert blocker.args == [[]]
    assert scene.view.status == "closed" and "restart budget" in scene.view.reason
    assert count(scene, "cancelledCount") + count(scene, "servedCount") == 5


def test_restart_kitchen_uses_the_station_count(qtbot, scene):
    click(scene, "forceShutdownButton")
    scene.stations_spin.setValue(8)
    click(scene, "restartKitchenButton")
    assert len(scene.view.stations) == 8
    with qtbot.waitSignal(scene.orderServed, timeout=15000):
        click(scene, "placeOrderButton")
    assert count(scene, "servedCount") == 1  # counters start again with the new kitchen


def test_timeline_and_event_log_follow_the_trace(qtbot, scene):
    with qtbot.waitSignal(scene.orderServed, timeout=15000):
        click(scene, "placeOrderButton")
    qtbot.waitUntil(lambda: scene.event_log.model.rowCount() > 10, timeout=2000)
    assert {"chef-appetizer", "chef-main", "chef-dessert", "supervisor"} <= set(scene.timeline.lanes)
    scene.event_log.filter.setCurrentIndex(scene.event_log.filter.findText("barrier.*"))
    model = scene.event_log.model
    kinds = {model.index(r, 2).data() for r in range(model.rowCount())}
    assert kinds and all(k.startswith("barrier.") for k in kinds)


def test_trace_export_from_the_scene(qtbot, scene, tmp_path):
    with qtbot.waitSignal(scene.orderServed, timeout=15000):
        click(scene, "placeOrderButton")
    n = scene.export_trace(tmp_path / "t.jsonl")
    lines = (tmp_path / "t.jsonl").read_text().splitlines()
    header = json.loads(lines[0])
    assert header["kind"] == "trace.header" and header["scene"] == "restaurant"
    assert n == len(lines) - 1 > 10 and all(json.loads(line)["kind"] for line in lines[1:])
    scene.export_trace(tmp_path / "c.json", chrome=True)
    assert json.loads((tmp_path / "c.json").read_text())["traceEvents"]


def pixels_like(image: QImage, colour: QColor, tolerance: int = 3) -> int:
    """How many pixels have (nearly) this colour."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB32)
    data = bytes(rgb.constBits())  # B, G, R, 0xff per pixel
    seen = Counter(zip(data[2::4], data[1::4], data[0::4], strict=True))
    want = (colour.red(), colour.green(), colour.blue())
    return sum(
        n for px, n in seen.items() if all(abs(a - b) <= tolerance for a, b in zip(px, want, strict=True))
    )


def banner_colour(theme) -> QColor:
    """The pause / closed banner: the text colour at alpha 215 over the canvas."""
    a = 215 / 255
    mix = [
        round(t * a + c * (1 - a))
        for t, c in zip(theme.text.getRgb()[:3], theme.canvas.getRgb()[:3], strict=True)
    ]
    return QColor(*mix)


@pytest.mark.parametrize("action", ["crash", "walkout", "pause", "shutdown"])
def test_every_state_paints_what_it_is(qtbot, scene, action):
    """Render each scene state offscreen and find it in the pixels: the affected chef's
    state chip in its state's colour, the banner of a paused or closed kitchen, and the
    labels that name the state. (States that last: no restart, no hire.)"""
    scene.restart_kitchen(KitchenConfig(restart=RestartPolicy(backoff_s=600.0), rehire_after_s=None))
    canvas, theme = scene.canvas, scene.canvas.theme
    before = canvas.grab().toImage()
    scene.target_combo.setCurrentIndex(scene.target_combo.findData("main"))
    if action == "pause":
        click(scene, "pauseButton")
        qtbot.waitUntil(lambda: canvas.paused, timeout=5000)
        colour, label, text = banner_colour(theme), scene.pause_button, "Res&ume"
    elif action == "shutdown":
        click(scene, "forceShutdownButton")
        qtbot.waitUntil(lambda: canvas.view.status == "closed", timeout=5000)
        colour, label, text = theme.states["stopped"], scene.status_label, "Kitchen closed"
    else:
        state = "restarting" if action == "crash" else "walked out"
        click(scene, "crashChefButton" if action == "crash" else "walkOutButton")
        click(scene, "placeOrderButton")
        qtbot.waitUntil(lambda: canvas.view.stations["main"].state == state, timeout=10000)
        colour, label = tone_of(theme, SCENE.tones, state), scene.status_label
        text = "Kitchen open" if action == "crash" else "2 of 3 stations staffed"
    qtbot.waitUntil(lambda: text in label.text(), timeout=5000)
    after = canvas.grab().toImage()
    chip = 200  # pixels: a state chip or a banner is far larger
    assert pixels_like(before, colour) < chip <= pixels_like(after, colour) - pixels_like(before, colour)


def test_main_reuses_the_running_application(qapp):
    import app

    seen: list[str] = []

    def close_it() -> None:
        for w in QApplication.topLevelWidgets():
            if w.objectName() == "mainWindow" and w.isVisible():
                seen.append(w.objectName())
                w.close()

    QTimer.singleShot(300, close_it)
    assert app.main([]) == 0
    assert seen == ["mainWindow"]
