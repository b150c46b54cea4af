"""Starting the GUI: one QApplication (reused if one exists), logging, error dialogs."""

from __future__ import annotations

import faulthandler
import logging
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal, Slot
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from app.resources import resource_path

log = logging.getLogger("kitchen_sync")
APP_NAME, ORG_NAME = "Kitchen Sync", "KitchenSync"


def ensure_app() -> tuple[QApplication, bool]:
    """The running QApplication, or a new one; True when this call created it."""
    existing = QApplication.instance()
    if existing is not None:
        return existing, False  # type: ignore[return-value]
    QApplication.setOrganizationName(ORG_NAME)
    QApplication.setApplicationName(APP_NAME)
    app = QApplication(sys.argv[:1])
    app.setDesktopFileName("kitchen-sync")
    return app, True


def log_dir() -> Path:
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
            "Something went wrong. The kitchen keeps running where it can.",
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
    icon = resource_path("icons", "kitchen-sync.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    return MainWindow()


def run_gui() -> int:
    app, _created = ensure_app()
    log_path = setup_logging()
    reporter = ErrorReporter(log_path)
    reporter.install()
    window = create_window()
    window.show()
    log.info("window shown")
    code = app.exec()
    for scene in window.scenes():
        scene.close_scene()
    return code
