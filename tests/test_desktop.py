"""Desktop comforts: remembered settings, icon and About, logs and the error dialog."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QApplication, QMessageBox, QSlider

from app.gui.application import (
    APP_NAME,
    ORG_NAME,
    ErrorReporter,
    app_icon,
    create_window,
    ensure_app,
    log_dir,
)
from app.gui.settings import settings


def test_geometry_scene_and_speed_are_remembered(qtbot):
    first = create_window()
    qtbot.addWidget(first)
    first.show()
    first.tabs.setCurrentIndex(1)
    first.scene("orchestrator").findChild(QSlider, "speedSlider").setValue(5)
    first.close()
    saved = settings().value("window/geometry")
    assert saved == first.saveGeometry()
    second = create_window()
    qtbot.addWidget(second)
    assert second.tabs.currentIndex() == 1
    assert second.scene("orchestrator").speed == 8.0
    # The offscreen screen is 800x600, smaller than the window, so Qt refits the restored
    # rectangle; what can be checked here is that the saved geometry is valid to restore.
    assert second.restoreGeometry(saved)
    second.close()
    settings().clear()


def test_window_icon_and_title(qapp):
    icon = app_icon()
    assert not icon.isNull() and len(icon.availableSizes()) >= 6
    window = create_window()
    assert window.windowTitle().endswith("— Kitchen Sync")
    assert not QApplication.windowIcon().isNull()
    window.close()


def test_about_names_the_version(qtbot, monkeypatch):
    from app.version import version

    window = create_window()
    qtbot.addWidget(window)
    seen: list[str] = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: seen.append(text))
    window.about()
    assert version() in seen[0] and version()[0].isdigit()
    window.close()


def test_an_unexpected_error_is_logged_and_reported_on_the_gui_thread(qtbot, tmp_path):
    reporter = ErrorReporter(tmp_path / "kitchen-sync.log")
    reporter.quiet = True
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError as exc:
        reporter._excepthook(type(exc), exc, exc.__traceback__)
    qtbot.waitUntil(lambda: len(reporter.shown) == 1, timeout=2000)
    assert "boom in a slot" in reporter.shown[0]


def test_errors_from_worker_threads_reach_the_dialog(qtbot, tmp_path):
    import threading

    reporter = ErrorReporter(tmp_path / "k.log")
    reporter.quiet = True
    old = threading.excepthook
    reporter.install()
    try:
        t = threading.Thread(target=lambda: 1 / 0)
        t.start()
        t.join(5)
        qtbot.waitUntil(lambda: len(reporter.shown) == 1, timeout=2000)
        assert "ZeroDivisionError" in reporter.shown[0]
    finally:
        threading.excepthook = old
        import sys

        sys.excepthook = sys.__excepthook__


def test_logs_go_to_the_user_log_folder():
    """The folder is the platform's per-user data folder for this app (named after it,
    so the names were set first), and it is made when missing."""
    ensure_app()
    assert QStandardPaths.isTestModeEnabled()  # conftest: the folders below are Qt's test ones
    base = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation))
    assert base.parts[-2:] == (ORG_NAME, APP_NAME)
    shutil.rmtree(base / "logs", ignore_errors=True)  # Qt's test-mode folder, never the user's
    assert not (base / "logs").exists()
    assert log_dir() == base / "logs" and (base / "logs").is_dir()
