"""Opening a trace in the window (File, Open trace, ``kitchen-sync FILE.jsonl``): it plays
back in the scene it came from, through the same fold the live run uses, and scrubbing or
stepping to any record shows what folding the records up to it from scratch shows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QSlider, QToolButton
from scene_driver import some_faults

from app.gui.playback import open_trace
from app.gui.widgets.playback import PLAYBACK_SPEEDS
from app.scenes import registry

ROOT = Path(__file__).resolve().parents[1]
SCENES = [spec.name for spec in registry.SCENES]


def headless_run(out: Path, scene: str, *flags: str) -> tuple[Path, dict[str, Any]]:
    """A real headless run writing ``--trace``; its trace's path and its JSON summary."""
    path = out / f"{scene}.jsonl"
    args = [sys.executable, "-m", "app", "run", scene, "--trace", str(path), "--json", *flags]
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode in (0, 1), proc.stderr
    return path, json.loads(proc.stdout)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[Path, dict[str, Any]]]:
    """One headless run of every scene in the registry, with a few faults, traced."""
    out = tmp_path_factory.mktemp("traces")
    done = {}
    for spec in registry.SCENES:
        flags = ["--seed", "3", "--faults", some_faults(spec, 0.03)]
        if spec.name == "lab":
            flags = ["--experiment", "lost-wakeup", "--variant", "wrong"]  # a deadlock, named
        done[spec.name] = headless_run(out, spec.name, *flags)
    return done


def snapshot(value: Any) -> Any:
    """A scene's view-model as plain, comparable data (objects by their fields)."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, dict):
        return {str(k): snapshot(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset) or type(value).__name__ == "deque":
        items = [snapshot(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    fields = getattr(value, "__dict__", None)
    if fields is None:
        slots = getattr(type(value), "__slots__", ())
        fields = {s: getattr(value, s) for s in slots if hasattr(value, s)}
    return {type(value).__name__: snapshot(dict(fields))}


def shown(scene) -> dict[str, Any]:
    """What a scene tab shows: its view-model, its counters, its timeline and its log."""
    lanes = {name: [(s.start, s.state) for s in lane.segments] for name, lane in scene.timeline.lanes.items()}
    from PySide6.QtWidgets import QLabel

    counters = {
        label.objectName(): label.text()
        for label in scene.findChildren(QLabel)
        if label.property("role") == "counter" and label.objectName()
    }
    return {
        "view": snapshot(scene.view),
        "counters": counters,
        "lanes": lanes,
        "log": scene.event_log.model.rowCount(),
        "banner": scene.watchdog_banner.isVisibleTo(scene),
    }


def folded_from_scratch(playback, k: int) -> Any:
    """The scene's own view-model (Qt-free) folding records 0..k-1 directly."""
    view = playback.opened.spec.view_model(playback.config)
    for rec in playback.records[:k]:
        view.apply(rec)
    return snapshot(view)


def play_to_end(qtbot, playback) -> None:
    playback.controls.set_speed(None)  # max
    if not playback.playing:
        playback.controls.play_button.click()
    qtbot.waitUntil(lambda: playback.cursor.at_end and not playback.playing, timeout=10000)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", SCENES)
def test_a_headless_runs_trace_plays_back_in_its_own_scene(qtbot, main_window, runs, name):
    path, summary = runs[name]
    other = next(s for s in main_window.scenes() if s.scene.name != name)
    main_window.tabs.setCurrentWidget(other)
    playback = main_window.open_trace(str(path))
    assert playback is not None
    scene = main_window.scene(name)
    assert main_window.current_scene() is scene
    n = sum(1 for _ in path.open()) - 1
    assert len(playback.records) == n
    bar = scene.playback_bar
    assert bar.isVisible() and bar.banner.text() == f"Playing back {path.name} — {n:,} records"
    assert scene.live_widgets() and not any(w.isEnabled() for w in scene.live_widgets())
    play_to_end(qtbot, playback)
    assert scene.host.running() == []  # no simulation ran
    totals = scene.view.totals()
    assert totals == {k: summary[k] for k in totals}, (totals, summary)
    # The fold the live run uses, records and all: the same as the view-model alone.
    assert snapshot(scene.view) == folded_from_scratch(playback, n)
    assert scene.event_log.model.rowCount() == min(n, scene.event_log.model.capacity)
    assert scene.timeline.lanes
    if name == "pipeline":  # the pool buttons on the stage cards drive a live run too
        assert not any(scene.findChild(QToolButton, f"addWorker_{s}").isEnabled() for s in ("load", "save"))
    if name == "lab":  # the run's deadlock, named by the watchdog at the time
        assert scene.watchdog_banner.isVisibleTo(scene)
        assert "deadlock" in scene.watchdog_banner.text().lower()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", SCENES)
def test_scrub_then_step_shows_what_folding_from_scratch_shows(qtbot, main_window, runs, name):
    path, _ = runs[name]
    playback = main_window.open_trace(str(path), play=False)
    scene = playback.scene
    slider = scene.findChild(QSlider, "scrubSlider")
    step = scene.findChild(QPushButton, "stepButton")
    back = scene.findChild(QPushButton, "stepBackButton")
    n = len(playback.records)
    assert slider.maximum() == n and slider.value() == 0
    for k in (n // 3, (2 * n) // 3, 1, n - 1):
        slider.setValue(k)  # what a drag does: coalesced, folded once events are processed
        qtbot.waitUntil(lambda k=k: playback.pos == k, timeout=5000)
        at_k = shown(scene)
        assert at_k["view"] == folded_from_scratch(playback, k)
        step.click()
        assert playback.pos == k + 1 and slider.value() == k + 1
        forward = shown(scene)
        assert forward["view"] == folded_from_scratch(playback, k + 1)
        back.click()
        back.click()
        assert playback.pos == k - 1 and slider.value() == k - 1
        assert shown(scene)["view"] == folded_from_scratch(playback, k - 1)
        step.click()
        assert shown(scene) == at_k  # back and forth: exactly the state scrubbing showed
        # And from scratch through the window: a fresh playback stepped to k + 1.
        playback.seek(0)
        playback.seek(k + 1)
        assert shown(scene) == forward


@pytest.mark.timeout(60)
def test_playback_is_paced_by_sim_time_and_max_plays_at_once(qtbot, main_window, runs):
    path, _ = runs["orchestrator"]
    playback = main_window.open_trace(str(path), play=False)
    n = len(playback.records)
    span = playback.cursor.sim_end - playback.cursor.sim_start
    assert span > 20  # simulated seconds: at 1x, far more than this test waits
    playback.controls.set_speed(1.0)
    playback.controls.play_button.click()
    assert playback.playing
    qtbot.waitUntil(lambda: playback.pos > 0, timeout=5000)
    assert playback.pos < n  # 20+ simulated seconds at 1x do not fold in one go
    assert playback.cursor.sim_now() - playback.cursor.sim_start < span
    speeds = playback.controls.speed_combo
    assert [speeds.itemData(i) for i in range(speeds.count())] == list(PLAYBACK_SPEEDS)
    assert speeds.itemText(speeds.count() - 1) == "max"
    with qtbot.waitSignal(playback.finished, timeout=10000):
        playback.controls.set_speed(None)
    assert playback.pos == n and not playback.playing
    assert playback.controls.play_button.text().endswith("Play")
    playback.controls.play_button.click()  # at the end, Play starts again from the top
    assert playback.playing and playback.pos < n
    playback.pause()


@pytest.mark.timeout(60)
def test_closing_the_playback_returns_a_live_scene(qtbot, main_window, runs):
    scene = main_window.scene("restaurant")
    scene.place_order(3)
    qtbot.waitUntil(lambda: scene.view.served >= 1, timeout=10000)
    live_config = scene.sim.config
    playback = main_window.open_trace(str(runs["restaurant"][0]), play=False)
    assert scene.host.running() == []  # the live kitchen was stopped
    playback.seek(len(playback.records) // 2)
    assert main_window.findChild(type(main_window.close_trace_action), "closeTraceAction").isEnabled()
    scene.findChild(QPushButton, "closePlaybackButton").click()
    assert main_window.playback is None and scene.playback is None
    assert not scene.playback_bar.isVisibleTo(scene) and all(w.isEnabled() for w in scene.live_widgets())
    assert scene.sim.config == live_config and scene.view.served == 0
    scene.place_order(1)  # live again
    qtbot.waitUntil(lambda: scene.view.served == 1, timeout=10000)


@pytest.mark.timeout(60)
def test_opening_another_trace_closes_the_first(qtbot, main_window, runs):
    first = main_window.open_trace(str(runs["dice"][0]), play=False)
    second = main_window.open_trace(str(runs["phases"][0]), play=False)
    assert main_window.playback is second and not first.active
    assert main_window.scene("dice").playback is None
    assert main_window.current_scene() is main_window.scene("phases")


def bad_files(tmp: Path, good: Path) -> dict[str, tuple[Path, str]]:
    lines = good.read_text(encoding="utf-8").splitlines(keepends=True)
    out: dict[str, tuple[Path, str]] = {}

    def make(name: str, text: str | bytes, message: str) -> None:
        p = tmp / f"{name}.jsonl"
        p.write_bytes(text if isinstance(text, bytes) else text.encode())
        out[name] = (p, message)

    out["missing"] = (tmp / "missing.jsonl", "no such trace file")
    make("not-json", "this is not a trace\n", "not JSON")
    make("binary", b"\x00\xff\xfe\x01" * 40, "not JSON")
    make("empty", "", "empty, not a trace")
    make("no-header", "".join(lines[1:]), "no trace header")
    make(
        "unknown-scene",
        lines[0].replace('"scene":"dice"', '"scene":"casino"') + "".join(lines[1:]),
        "unknown scene 'casino'",
    )
    make("bad-config", lines[0].replace('"players":', '"players":"x","was":') + "".join(lines[1:]), "config")
    make("torn", "".join(lines[:5]) + lines[5][:20] + "\n", ":6: not JSON")
    folder = tmp / "folder.jsonl"
    folder.mkdir()
    out["folder"] = (folder, "is a folder")
    return out


@pytest.fixture
def bad(tmp_path, runs):
    return bad_files(tmp_path, runs["dice"][0])


BAD = ["missing", "not-json", "binary", "empty", "no-header", "unknown-scene", "bad-config", "torn", "folder"]


@pytest.mark.parametrize("kind", BAD)
def test_a_bad_file_is_one_line_in_a_dialog(qtbot, main_window, bad, kind):
    path, message = bad[kind]
    before = main_window.current_scene()
    assert main_window.open_trace(str(path)) is None
    box = main_window.findChild(QMessageBox, "traceErrorDialog")
    assert box is not None and box.isVisible()
    assert message in box.text() and "\n" not in box.text() and path.name in box.text()
    assert main_window.playback is None and main_window.current_scene() is before
    box.close()


@pytest.mark.parametrize("kind", BAD)
def test_a_bad_file_on_the_command_line_is_one_line_and_exit_2(capsys, bad, kind):
    import app

    path, message = bad[kind]
    assert app.main([str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("kitchen-sync: error: ")
    assert message in err and path.name in err


def test_a_trace_file_takes_no_more_arguments(capsys, runs):
    import app

    assert app.main([str(runs["dice"][0]), "--speed", "4"]) == 2
    assert "takes no other arguments" in capsys.readouterr().err


@pytest.mark.timeout(60)
def test_kitchen_sync_file_jsonl_opens_the_window_playing_it(qapp, runs):
    import app

    path = runs["phases"][0]
    seen: list[tuple[str, str, bool] | None] = []
    tries = iter(range(100))

    def look() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow"]
        for w in windows:
            if w.isVisible() and (w.playback is not None or next(tries, None) is None):
                pb = w.playback  # the trace opens in the same turn the window shows
                seen.append(pb and (w.current_scene().scene.name, pb.opened.name, pb.playing))
                w.close()
                return
        QTimer.singleShot(50, look)

    QTimer.singleShot(0, look)
    assert app.main([str(path)]) == 0
    assert seen == [("phases", path.name, True)]


def test_object_names_and_shortcuts(main_window):
    action = main_window.findChild(type(main_window.close_trace_action), "openTraceAction")
    assert action is not None and action.shortcut() == QKeySequence("Ctrl+O")
    scenario = main_window.findChild(type(action), "openScenarioAction")
    assert scenario.shortcut() != action.shortcut()
    for scene in main_window.scenes():
        for cls, name in (
            (QSlider, "scrubSlider"),
            (QPushButton, "stepButton"),
            (QPushButton, "stepBackButton"),
            (QPushButton, "playButton"),
            (QPushButton, "closePlaybackButton"),
        ):
            assert scene.findChild(cls, name) is not None, (scene.scene.name, name)
        assert not scene.playback_bar.isVisibleTo(scene)  # only while a trace is open


@pytest.mark.timeout(60)
def test_keyboard_steps_and_escape_closes(qtbot, main_window, runs):
    playback = main_window.open_trace(str(runs["dice"][0]), play=False)
    scene = playback.scene
    main_window.activateWindow()
    scene.findChild(QSlider, "scrubSlider").setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=2000)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Period)
    qtbot.waitUntil(lambda: playback.pos == 1, timeout=2000)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Period)
    qtbot.waitUntil(lambda: playback.pos == 2, timeout=2000)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Comma)
    qtbot.waitUntil(lambda: playback.pos == 1, timeout=2000)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: main_window.playback is None, timeout=2000)


def test_export_while_playing_back_writes_the_trace_played(qtbot, main_window, runs, tmp_path):
    path = runs["dice"][0]
    playback = main_window.open_trace(str(path), play=False)
    n = playback.scene.export_trace(tmp_path / "again.jsonl")
    assert n == len(playback.records)
    again = open_trace(tmp_path / "again.jsonl")
    assert again.records == playback.records and again.config == playback.config


@pytest.mark.timeout(60)
def test_live_shortcuts_do_nothing_while_a_trace_plays_back(qtbot, main_window, runs):
    playback = main_window.open_trace(str(runs["restaurant"][0]), play=False)
    scene = playback.scene
    playback.seek(3)
    main_window.activateWindow()
    scene.findChild(QSlider, "scrubSlider").setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=2000)
    before = shown(scene)
    buttons = scene.live_controls.findChildren(QPushButton)
    for key in ("Ctrl+N", "Ctrl+1", "Ctrl+R", "Ctrl+P"):
        qtbot.keySequence(QApplication.focusWidget(), QKeySequence(key))
        # A shortcut that fired would hold its button down now and click it 100 ms later.
        assert not any(b.isDown() for b in buttons), key
    assert scene.host.running() == [] and playback.pos == 3 and shown(scene) == before
    table = scene.event_log.table
    assert [i.row() for i in table.selectionModel().selectedRows()] == [2]  # the record shown last


@pytest.mark.timeout(60)
def test_a_trace_of_no_records_opens_and_plays_to_its_end(qtbot, main_window, tmp_path):
    from app.scenes.dice.model import DiceConfig
    from app.trace.export import JsonlWriter
    from app.trace.format import trace_header

    path = tmp_path / "nothing.jsonl"
    JsonlWriter(path, header=trace_header("dice", DiceConfig(players=6), 0)).close()
    playback = main_window.open_trace(str(path), play=False)
    scene = playback.scene
    assert scene.playback_bar.banner.text() == "Playing back nothing.jsonl — 0 records"
    assert len(scene.view.players) == 6  # the trace's configuration, not the tab's
    with qtbot.waitSignal(playback.finished, timeout=5000):
        playback.controls.play_button.click()
    assert playback.pos == 0 and scene.view.totals() == {"placed": 0, "served": 0, "cancelled": 0}
