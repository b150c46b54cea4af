"""Starting the GUI: one QApplication (reused if one exists), logging, error dialogs."""

from __future__ import annotations

import faulthandler
import logging
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from types import TracebackType
from typing import cast

from PySide6.QtCore import QEvent, QObject, QStandardPaths, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from app.resources import resource_path

log = logging.getLogger("kitchen_sync")
APP_NAME, ORG_NAME = "Kitchen Sync", "KitchenSync"


def ensure_app() -> tuple[QApplication, bool]:
    """The running QApplication, or a new one; True when this call created it."""
    QApplication.setOrganizationName(ORG_NAME)  # before any QSettings or QStandardPaths use
    QApplication.setApplicationName(APP_NAME)
    existing = QApplication.instance()
    if existing is not None:
        return cast(QApplication, existing), False
    app = QApplication(sys.argv[:1])
    app.setDesktopFileName("kitchen-sync")  # matches resources/kitchen-sync.desktop
    return app, True


def log_dir() -> Path:
    """The user's log folder for this app (Linux ~/.local/share/KitchenSync/Kitchen Sync/logs,
    Windows %LOCALAPPDATA%, macOS ~/Library/Application Support)."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    path = Path(base or Path.home() / ".kitchen-sync") / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def setup_logging() -> Path:
    """Log to a file in the user's log folder (stdout may not exist in a frozen app)."""
    path = log_dir() / "kitchen-sync.log"
    root = logging.getLogger()
    if not any(isinstance(h, logging.FileHandler) for h in root.handlers):
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
        )
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        crash_file = open(log_dir() / "crash.log", "a", encoding="utf-8")  # noqa: SIM115 - kept for the process
        faulthandler.enable(file=crash_file)
    return path


class ErrorReporter(QObject):
    """Unexpected errors from any thread end up here, in the GUI thread, as a dialog."""

    _report = Signal(str)

    def __init__(self, log_path: Path) -> None:
        super().__init__()
        self.log_path = log_path
        self.shown: list[str] = []
        self.quiet = False  # the selftest counts errors instead of showing dialogs
        self._report.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_hook

    def _excepthook(self, etype: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(etype, value, tb))
        log.error("unexpected error:\n%s", text)
        self._report.emit(text)

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        text = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
        log.error("unexpected error in thread %s:\n%s", args.thread.name if args.thread else "?", text)
        self._report.emit(text)

    @Slot(str)
    def _show(self, text: str) -> None:
        self.shown.append(text)
        if self.quiet:
            return
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            "Kitchen Sync: unexpected error",
            "Something went wrong. The app keeps running where it can.",
        )
        box.setInformativeText(f"The details are also in the log:\n{self.log_path}")
        box.setDetailedText(text)
        box.setObjectName("errorDialog")
        box.exec()


def create_window():  # -> MainWindow, imported lazily so start-up paints sooner
    app, _ = ensure_app()
    from app.gui.main_window import MainWindow

    style = resource_path("style.qss")
    if style.exists() and not app.styleSheet():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    app.setWindowIcon(app_icon())
    return MainWindow()


def app_icon() -> QIcon:
    """PNG sizes (no SVG image plugin is needed in the bundle)."""
    icon = QIcon()
    for png in sorted(resource_path("icons").glob("kitchen-sync-*.png")):
        icon.addFile(str(png))
    return icon


class FirstPaintProbe(QObject):
    """For the start-up benchmark: on the window's first paint, print the monotonic clock
    and quit (enabled by KITCHEN_SYNC_EXIT_AFTER_PAINT=1)."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint:
            obj.removeEventFilter(self)
            if sys.stdout is not None:
                print(f"first-paint {time.monotonic():.6f}", flush=True)
            QTimer.singleShot(0, QApplication.quit)
        return False


def run_gui_with_trace(args: list[str]) -> int:
    """``kitchen-sync FILE.jsonl``: the window, playing that trace back in its scene. A file
    that cannot be played back is one line on stderr and exit code 2, before any window."""
    from app.gui.playback import PlaybackError, open_trace

    def fail(message: str) -> int:
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
        print(f"kitchen-sync: error: {text}", file=sys.stderr)
        return 2

    if len(args) > 1:
        return fail(f"a trace file takes no other arguments, got {' '.join(args[1:])}")
    try:
        opened = open_trace(args[0])
    except PlaybackError as exc:
        return fail(str(exc))
    return run_gui(trace=opened)


def run_gui(trace: object = None) -> int:
    """The window; with ``trace`` (an ``app.gui.playback.OpenedTrace``) playing it back."""
    app, _created = ensure_app()
    log_path = setup_logging()
    reporter = ErrorReporter(log_path)
    reporter.install()
    window = create_window()
    if os.environ.get("KITCHEN_SYNC_EXIT_AFTER_PAINT") == "1":
        probe = FirstPaintProbe(window)
        window.installEventFilter(probe)
    window.show()
    log.info("window shown")
    if trace is not None:
        window.open_trace(trace)
    code = app.exec()
    for scene in window.scenes():
        scene.close_scene()
    return code
