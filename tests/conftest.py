"""Test configuration: offscreen Qt, and no test may leave a thread running."""

from __future__ import annotations

import os
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHONFAULTHANDLER", "1")

import pytest

from app.trace.recorder import TraceRecorder, set_default_recorder


@pytest.fixture(autouse=True, scope="session")
def isolated_user_folders(tmp_path_factory):
    """Settings and logs written by tests go to Qt's test folders, never the user's own;
    settings get a folder of this run's own, so concurrent runs cannot see each other's."""
    from PySide6.QtCore import QStandardPaths

    QStandardPaths.setTestModeEnabled(True)
    os.environ["KITCHEN_SYNC_CONFIG_DIR"] = str(tmp_path_factory.mktemp("config"))
    yield


@pytest.fixture(autouse=True)
def no_thread_left_behind():
    """Fail a test that leaves a worker thread running (a leak would hang CI later)."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 2.0
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    for t in leftover:
        t.join(max(deadline - time.monotonic(), 0))
    leftover = [t.name for t in leftover if t.is_alive()]
    assert not leftover, f"threads left running: {leftover}"


@pytest.fixture
def recorder():
    """A fresh recorder that is also the default, so primitives made in a test use it."""
    rec = TraceRecorder()
    previous = set_default_recorder(rec)
    yield rec
    set_default_recorder(previous)


@pytest.fixture
def main_window(qtbot):
    """The real main window; at teardown it must close with no QThread or QTimer running."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QStatusBar

    from app.gui.application import create_window
    from app.gui.qthreads import RoleThread

    window = create_window()
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()
    running = [t.objectName() for t in list(RoleThread.instances) if t.isRunning()]
    # Qt's own widgets keep private timers (the status bar's message timeout): not ours.
    timers = [
        t.objectName() or repr(t)
        for t in window.findChildren(QTimer)
        if t.isActive() and not isinstance(t.parent(), QStatusBar)
    ]
    assert not running, f"QThreads left running: {running}"
    assert not timers, f"QTimers left running: {timers}"


@pytest.fixture
def scene(main_window):
    from PySide6.QtWidgets import QSlider

    s = main_window.scene("restaurant")
    s.findChild(QSlider, "speedSlider").setValue(6)  # 16x keeps tests short
    return s
