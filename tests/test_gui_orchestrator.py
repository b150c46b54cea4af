"""The orchestrator window, driven through its object names."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton, QSlider, QWidget

from app.engine.states import STATES


def ui(main_window):
    scene = main_window.findChild(QWidget, "sceneTabs").findChild(QWidget, "orchestratorScene")
    scene.findChild(QSlider, "speedSlider").setValue(6)
    return scene


def state(scene) -> str:
    return scene.findChild(QLabel, "systemState").text()


def lit(scene) -> list[str]:
    return [s for s in STATES if scene.findChild(QWidget, f"stateLight_{s}").property("lit")]


def click(scene, name: str) -> None:
    button = scene.findChild(QPushButton, name)
    assert button.isEnabled(), f"{name} is disabled"
    button.click()


def test_lights_and_state_follow_the_system(qtbot, main_window):
    scene = ui(main_window)
    assert state(scene) == "not started" and lit(scene) == []
    click(scene, "startSystemButton")

    def processing() -> None:
        assert state(scene) == "PROCESSING"
        assert lit(scene) == ["PROCESSING"]

    qtbot.waitUntil(processing, timeout=10000)
    assert scene.view.history[:2] == ["READY", "PROCESSING"]


def test_fail_a_component_then_recover_then_shut_down(qtbot, main_window):
    scene = ui(main_window)
    click(scene, "startSystemButton")
    qtbot.waitUntil(lambda: state(scene) == "PROCESSING", timeout=10000)
    scene.component_combo.setCurrentIndex(scene.component_combo.findData("Cache"))
    scene.kind_combo.setCurrentIndex(scene.kind_combo.findData("crash"))
    click(scene, "failComponentButton")
    qtbot.waitUntil(lambda: "ERROR" in scene.view.history, timeout=10000)
    qtbot.waitUntil(lambda: scene.view.history[-1] == "PROCESSING", timeout=10000)
    assert int(scene.findChild(QLabel, "restartCount").text()) == 2  # Cache and the API server
    with qtbot.waitSignal(scene.simulationStopped, timeout=2000) as blocker:
        click(scene, "forceShutdownButton")
    assert blocker.args == [[]]
    # Timed by the system itself, so the test's own event-loop latency does not count.
    assert scene.system.recorder.of_kind("shutdown.completed")[-1]["elapsed_ms"] < 500
    assert state(scene) == "SHUTDOWN" and lit(scene) == ["SHUTDOWN"]
    stopped = [
        r["component"]
        for r in scene.system.recorder.of_kind("component.stopped")
        if r["thread"].endswith("#2") or r["component"] == "Database"
    ]
    assert stopped.index("API server") < stopped.index("Database")
    assert scene.findChild(QPushButton, "startSystemButton").isEnabled()


def test_a_hang_is_caught_by_its_timeout_in_the_window(qtbot, main_window):
    scene = ui(main_window)
    click(scene, "startSystemButton")
    qtbot.waitUntil(lambda: state(scene) == "PROCESSING", timeout=10000)
    scene.kind_combo.setCurrentIndex(scene.kind_combo.findData("hang"))
    click(scene, "failComponentButton")
    qtbot.waitUntil(lambda: bool(scene.system.recorder.of_kind("component.timeout")), timeout=10000)
    qtbot.waitUntil(
        lambda: scene.view.history[-1] == "PROCESSING" and "ERROR" in scene.view.history, timeout=15000
    )


def test_start_after_shutdown_gives_a_fresh_system(qtbot, main_window):
    scene = ui(main_window)
    click(scene, "startSystemButton")
    qtbot.waitUntil(lambda: state(scene) == "PROCESSING", timeout=10000)
    click(scene, "forceShutdownButton")
    click(scene, "startSystemButton")
    qtbot.waitUntil(lambda: state(scene) == "PROCESSING", timeout=10000)
    assert scene.view.history == ["READY", "PROCESSING"]


def test_a_bad_scenario_file_shows_a_dialog_naming_the_problem(qtbot, main_window, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('scene = "orchestrator"\n[[component]]\nname = "A"\ndepends_on = ["B"]\n')
    assert main_window.open_scenario(str(bad)) is False
    box = main_window.findChild(QMessageBox, "scenarioErrorDialog")
    assert box is not None and "depends on 'B', which does not exist" in box.text()
    box.close()


def test_a_good_scenario_file_loads_into_its_tab(qtbot, main_window):
    from app.resources import resource_path

    assert main_window.open_scenario(str(resource_path("scenarios", "flaky-microservices.toml")))
    scene = ui(main_window)
    assert main_window.tabs.currentWidget() is scene
    assert list(scene.view.components) == ["Database", "Queue", "Auth", "Worker", "API server"]
    assert main_window.open_scenario(str(resource_path("scenarios", "busy-kitchen.toml")))
    assert len(main_window.scene("restaurant").view.stations) == 6
