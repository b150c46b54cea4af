"""The main window: scene tabs, menus, status bar."""

from __future__ import annotations

import logging

from PySide6.QtCore import Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QTabWidget

from app.engine.faults import SpecError
from app.gui.scene_base import SceneBase
from app.gui.scenes.orchestrator import OrchestratorScene
from app.gui.scenes.restaurant import RestaurantScene
from app.resources import resource_path
from app.scenes.scenario import load_scenario

log = logging.getLogger(__name__)
APP_TITLE = "Kitchen Sync"


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_TITLE)
        self.tabs = QTabWidget(objectName="sceneTabs")
        self.tabs.setDocumentMode(True)
        self.restaurant = RestaurantScene(self)
        self.tabs.addTab(self.restaurant, "&Restaurant")
        self.orchestrator = OrchestratorScene(self)
        self.tabs.addTab(self.orchestrator, "&Orchestrator")
        self.setCentralWidget(self.tabs)
        self._menus()
        self.resize(1280, 820)
        self.closed_cleanly: bool | None = None
        self.restore_settings()
        self.tabs.currentChanged.connect(self._hint)
        self._hint()

    @Slot()
    def _hint(self) -> None:
        """A first step for the scene on show, in the status bar."""
        hint = (
            "Place an order to start the kitchen"
            if self.tabs.currentWidget() is self.restaurant
            else ("Start the system to bring its components up in dependency order")
        )
        self.statusBar().showMessage(hint, 5000)

    def restore_settings(self) -> None:
        """Window geometry, the last scene and each scene's speed, as the user left them."""
        from app.gui.application import settings

        s = settings()
        geometry = s.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        tab = s.value("window/scene", 0, type=int)
        if 0 <= tab < self.tabs.count():
            self.tabs.setCurrentIndex(tab)
        for scene in self.scenes():
            speed = s.value(f"{scene.objectName()}/speed", -1, type=int)
            if 0 <= speed <= scene.speed_slider.maximum():
                scene.speed_slider.setValue(speed)

    def save_settings(self) -> None:
        from app.gui.application import settings

        s = settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/scene", self.tabs.currentIndex())
        for scene in self.scenes():
            s.setValue(f"{scene.objectName()}/speed", scene.speed_slider.value())
        s.sync()

    def scenes(self) -> list[SceneBase]:
        return [self.tabs.widget(i) for i in range(self.tabs.count())]  # type: ignore[misc]

    def _menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        open_action = QAction("&Open scenario…", self, objectName="openScenarioAction")
        open_action.setShortcut(QKeySequence.StandardKey.Open)
        open_action.setToolTip("Load a scenario file (TOML) into its scene")
        open_action.triggered.connect(self._open_scenario)
        file_menu.addAction(open_action)
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
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About Kitchen Sync", self, objectName="aboutAction")
        about.triggered.connect(self.about)
        help_menu.addAction(about)

    def _export(self, chrome: bool) -> None:
        scene = self.tabs.currentWidget()
        suffix, kind = ("json", "Chrome trace (*.json)") if chrome else ("jsonl", "Trace (*.jsonl)")
        path, _ = QFileDialog.getSaveFileName(self, "Export trace", f"kitchen-sync-trace.{suffix}", kind)
        if not path:
            return
        try:
            n = scene.export_trace(path, chrome=chrome)  # type: ignore[attr-defined]
        except OSError as exc:
            QMessageBox.warning(self, "Export failed", f"Could not write {path}:\n{exc.strerror or exc}")
            return
        self.statusBar().showMessage(f"Wrote {n} records to {path}", 6000)

    def _open_scenario(self) -> None:
        start = str(resource_path("scenarios"))
        path, _ = QFileDialog.getOpenFileName(self, "Open scenario", start, "Scenario (*.toml)")
        if path:
            self.open_scenario(path)

    def open_scenario(self, path: str) -> bool:
        """Load a scenario into its tab; a bad file gets a dialog naming the key and problem."""
        try:
            scenario = load_scenario(path)
        except SpecError as exc:
            box = QMessageBox(QMessageBox.Icon.Warning, "Scenario not loaded", str(exc), parent=self)
            box.setObjectName("scenarioErrorDialog")
            box.open()
            return False
        if scenario.scene == "restaurant":
            self.restaurant.restart_kitchen(scenario.config)  # type: ignore[arg-type]
            self.tabs.setCurrentWidget(self.restaurant)
        else:
            self.orchestrator.load(scenario.config)  # type: ignore[arg-type]
            self.tabs.setCurrentWidget(self.orchestrator)
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
