"""The main window: a scene per registry entry in a sidebar, menus, status bar."""

from __future__ import annotations

import importlib
import logging

from PySide6.QtCore import Slot
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from app.engine.faults import SpecError
from app.gui.navigator import SceneNavigator
from app.gui.playback import OpenedTrace, Playback, PlaybackError, open_trace
from app.gui.scene_base import SceneBase
from app.gui.settings import settings
from app.resources import resource_path
from app.scenes import registry
from app.scenes.scenario import load_scenario

log = logging.getLogger(__name__)
APP_TITLE = "Kitchen Sync"


def view_class(view: str) -> type[SceneBase]:
    """The window tab a ``SceneSpec.view`` ("module:Class") names."""
    module, _, name = view.partition(":")
    cls = getattr(importlib.import_module(module), name)
    if not (isinstance(cls, type) and issubclass(cls, SceneBase)):
        raise TypeError(f"{view} is not a SceneBase")
    return cls


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_TITLE)
        self.tabs = SceneNavigator(self)
        self._by_name: dict[str, SceneBase] = {}
        for spec in registry.SCENES:
            scene = view_class(spec.view)(self)
            self._by_name[spec.name] = scene
            self.tabs.addTab(scene, spec.title, spec.summary)
        self.setCentralWidget(self.tabs)
        self._menus()
        self.resize(1280, 820)
        self.closed_cleanly: bool | None = None
        #: The trace playing back, if any (one at a time, in the tab of its scene).
        self.playback: Playback | None = None
        self.restore_settings()
        self.tabs.currentChanged.connect(self._scene_changed)
        self._scene_changed()

    def scene(self, name: str) -> SceneBase:
        """The tab of the scene called ``name`` (its ``SceneSpec.name``)."""
        return self._by_name[name]

    def scenes(self) -> list[SceneBase]:
        return list(self._by_name.values())

    def current_scene(self) -> SceneBase:
        return self.scenes()[self.tabs.currentIndex()]

    @Slot()
    def _scene_changed(self) -> None:
        """The title says where the user is; the status bar suggests a first step."""
        scene = self.current_scene()
        self.setWindowTitle(f"{scene.scene.title} — {APP_TITLE}")
        self.statusBar().showMessage(scene.hint(), 5000)
        for action in self._scene_actions.actions():
            action.setChecked(action.data() == scene.scene.name)

    def restore_settings(self) -> None:
        """Window geometry, the last scene (by name) and each scene's speed."""
        s = settings()
        geometry = s.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        name = s.value("window/scene", "", type=str)
        if name in self._by_name:
            self.tabs.setCurrentWidget(self._by_name[name])
        for scene in self.scenes():
            speed = s.value(f"{scene.scene.name}/speed", -1, type=int)
            if 0 <= speed <= scene.speed_slider.maximum():
                scene.speed_slider.setValue(speed)

    def save_settings(self) -> None:
        s = settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/scene", self.current_scene().scene.name)
        for scene in self.scenes():
            s.setValue(f"{scene.scene.name}/speed", scene.speed_slider.value())
        s.sync()

    def _menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        trace_action = QAction("&Open trace…", self, objectName="openTraceAction")
        trace_action.setShortcut(QKeySequence.StandardKey.Open)
        trace_action.setToolTip("Play a trace file (JSONL, from run --trace or Export) back in its scene")
        trace_action.triggered.connect(self._open_trace)
        open_action = QAction("Open &scenario…", self, objectName="openScenarioAction")
        open_action.setShortcut(QKeySequence("Ctrl+Shift+O"))
        open_action.setToolTip("Load a scenario file (TOML) into its scene")
        open_action.triggered.connect(self._open_scenario)
        self.close_trace_action = QAction("&Close trace", self, objectName="closeTraceAction")
        self.close_trace_action.setToolTip("Leave the trace and return to the live scene")
        self.close_trace_action.setEnabled(False)
        self.close_trace_action.triggered.connect(self.close_playback)
        file_menu.addActions([trace_action, open_action, self.close_trace_action])
        file_menu.addSeparator()
        jsonl = QAction("Export trace as &JSONL…", self, objectName="exportJsonlAction")
        jsonl.triggered.connect(lambda: self._export(chrome=False))
        chrome = QAction("Export &Chrome trace…", self, objectName="exportChromeAction")
        chrome.setToolTip("A track per thread; opens in Perfetto or chrome://tracing")
        chrome.triggered.connect(lambda: self._export(chrome=True))
        quit_action = QAction("&Quit", self, objectName="quitAction")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addActions([jsonl, chrome])
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        scene_menu = self.menuBar().addMenu("&Scenes")
        self._scene_actions = QActionGroup(self)
        for i, scene in enumerate(self.scenes()):
            spec = scene.scene
            action = QAction(spec.title, self, objectName=f"goto_{spec.name}", checkable=True)
            action.setData(spec.name)
            action.setToolTip(spec.summary)
            if i < 9:
                action.setShortcut(QKeySequence(f"Alt+{i + 1}"))
            action.triggered.connect(lambda _checked=False, w=scene: self.tabs.setCurrentWidget(w))
            self._scene_actions.addAction(action)
            scene_menu.addAction(action)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About Kitchen Sync", self, objectName="aboutAction")
        about.triggered.connect(self.about)
        help_menu.addAction(about)

    def _export(self, chrome: bool) -> None:
        scene = self.current_scene()
        suffix, kind = ("json", "Chrome trace (*.json)") if chrome else ("jsonl", "Trace (*.jsonl)")
        path, _ = QFileDialog.getSaveFileName(self, "Export trace", f"kitchen-sync-trace.{suffix}", kind)
        if not path:
            return
        try:
            n = scene.export_trace(path, chrome=chrome)
        except OSError as exc:
            QMessageBox.warning(self, "Export failed", f"Could not write {path}:\n{exc.strerror or exc}")
            return
        self.statusBar().showMessage(f"Wrote {n} records to {path}", 6000)

    def _open_scenario(self) -> None:
        start = str(resource_path("scenarios"))
        path, _ = QFileDialog.getOpenFileName(self, "Open scenario", start, "Scenario (*.toml)")
        if path:
            self.open_scenario(path)

    def _open_trace(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open trace", "", "Trace (*.jsonl);;All files (*)")
        if path:
            self.open_trace(path)

    def open_trace(self, path: str | OpenedTrace, play: bool = True) -> Playback | None:
        """Play a trace back in its scene's tab (a file's path, or one already read); a bad
        file gets a dialog with one line naming the problem, and None is returned."""
        if isinstance(path, OpenedTrace):
            opened = path
        else:
            try:
                opened = open_trace(path)
            except PlaybackError as exc:
                self._refused("Trace not opened", str(exc), "traceErrorDialog")
                return None
        self.close_playback()
        scene = self._by_name[opened.spec.name]
        self.tabs.setCurrentWidget(scene)
        playback = Playback(scene, opened)
        playback.closed.connect(self._playback_closed)
        self.playback = playback
        playback.start(play=play)
        self.close_trace_action.setEnabled(True)
        self.statusBar().showMessage(
            f"Playing back {opened.name}: drag the slider to any record, or step with , and .", 6000
        )
        return playback

    @Slot()
    def close_playback(self) -> None:
        """Return the tab playing a trace back to its live scene."""
        if self.playback is not None:
            self.playback.stop()

    @Slot()
    def _playback_closed(self) -> None:
        playback, self.playback = self.playback, None
        self.close_trace_action.setEnabled(False)
        if playback is not None:
            playback.deleteLater()
            self.statusBar().showMessage(f"Closed {playback.opened.name}; the scene is live again", 4000)

    def _refused(self, title: str, message: str, name: str) -> None:
        """A file the window cannot take: one line naming the problem, in a dialog."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, parent=self)
        box.setObjectName(name)
        box.open()

    def open_scenario(self, path: str) -> bool:
        """Load a scenario into its tab; a bad file gets a dialog naming the key and problem."""
        try:
            scenario = load_scenario(path)
        except SpecError as exc:
            self._refused("Scenario not loaded", str(exc), "scenarioErrorDialog")
            return False
        scene = self._by_name[scenario.scene]
        if scene.playback is not None:
            self.close_playback()
        scene.load(scenario.config)
        self.tabs.setCurrentWidget(scene)
        self.statusBar().showMessage(f"Loaded scenario '{scenario.title}'", 5000)
        return True

    @Slot()
    def about(self) -> None:
        from app.version import version

        QMessageBox.about(
            self,
            "About Kitchen Sync",
            f"<h3>Kitchen Sync {version()}</h3>"
            "<p>Thread synchronisation made visible: worker threads meeting at barriers and "
            "signalling through events, under faults, live.</p>",
        )

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.save_settings()
        alive: list[str] = []
        for scene in self.scenes():
            alive += scene.close_scene()
        self.closed_cleanly = not alive
        if alive:
            log.error("threads still running at close: %s", alive)
        super().closeEvent(event)
