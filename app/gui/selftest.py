"""``python -m app selftest``: drive the real window offscreen through orders, a fault,
recovery, pause and shutdown; exit 0 only if every check held."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable


def _wait(app, predicate: Callable[[], bool], timeout: float) -> bool:
    """Process events until ``predicate()`` holds or ``timeout`` passes."""
    from PySide6.QtCore import QEventLoop

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    return predicate()


def _count(scene, name: str) -> int:
    from PySide6.QtWidgets import QLabel

    return int(scene.findChild(QLabel, name).text())


def run_checks(window, app, report: Callable[[str], None]) -> list[str]:
    """The scripted session; returns the names of the checks that failed."""
    from PySide6.QtWidgets import QPushButton, QSlider

    failed: list[str] = []

    def check(name: str, ok: bool) -> None:
        report(("ok   " if ok else "FAIL ") + name)
        if not ok:
            failed.append(name)

    scene = window.restaurant
    click = lambda name: scene.findChild(QPushButton, name).click()
    scene.findChild(QSlider, "speedSlider").setValue(6)  # 16x
    for _ in range(3):
        click("placeOrderButton")
    check("3 orders served", _wait(app, lambda: _count(scene, "servedCount") >= 3, 15))
    scene.target_combo.setCurrentIndex(2)  # the main station
    click("crashChefButton")
    click("placeOrderButton")
    check("crashed chef restarted", _wait(app, lambda: _count(scene, "restartCount") >= 1, 15))
    check("order after the crash served once", _wait(app, lambda: _count(scene, "servedCount") == 4, 15))
    click("pauseButton")
    click("placeOrderButton")
    held = not _wait(app, lambda: _count(scene, "servedCount") > 4, 0.6)
    check("pause holds new orders", held and _count(scene, "queuedCount") == 1)
    click("pauseButton")
    check("resume serves them", _wait(app, lambda: _count(scene, "servedCount") == 5, 15))
    click("placeFiveButton")
    t0 = time.monotonic()
    click("forceShutdownButton")
    stopped_in = time.monotonic() - t0
    alive = scene.host.running()
    check(f"force shutdown joined every thread in {stopped_in * 1000:.0f} ms", not alive and stopped_in < 0.5)
    _wait(app, lambda: False, 0.1)
    served, cancelled = _count(scene, "servedCount"), _count(scene, "cancelledCount")
    check(
        f"every order accounted for ({served} served, {cancelled} cancelled)",
        served + cancelled == scene.view.placed == 10 and _count(scene, "queuedCount") == 0,
    )
    check(
        "controls follow the state", not scene.place_button.isEnabled() and scene.restart_button.isEnabled()
    )
    click("restartKitchenButton")
    click("placeOrderButton")
    check("a restarted kitchen serves", _wait(app, lambda: _count(scene, "servedCount") == 1, 15))
    _orchestrator_checks(window, app, check)
    window.close()
    check(
        "closing the window stops every thread",
        window.closed_cleanly is True and not any(s.host.running() for s in window.scenes()),
    )
    return failed


def _orchestrator_checks(window, app, check: Callable[[str, bool], None]) -> None:
    from PySide6.QtWidgets import QLabel, QPushButton, QSlider, QWidget

    scene = window.orchestrator
    window.tabs.setCurrentWidget(scene)
    scene.findChild(QSlider, "speedSlider").setValue(6)
    state = lambda: scene.findChild(QLabel, "systemState").text()
    lit = lambda s: bool(scene.findChild(QWidget, f"stateLight_{s}").property("lit"))
    scene.findChild(QPushButton, "startSystemButton").click()
    check("system reaches PROCESSING", _wait(app, lambda: state() == "PROCESSING" and lit("PROCESSING"), 15))
    scene.component_combo.setCurrentIndex(scene.component_combo.findData("Database"))
    scene.kind_combo.setCurrentIndex(scene.kind_combo.findData("crash"))
    scene.findChild(QPushButton, "failComponentButton").click()
    check(
        "a failed component turns the system to ERROR", _wait(app, lambda: "ERROR" in scene.view.history, 15)
    )
    check(
        "and it recovers to PROCESSING",
        _wait(app, lambda: scene.view.history[-1] == "PROCESSING" and state() == "PROCESSING", 15),
    )
    t0 = time.monotonic()
    scene.findChild(QPushButton, "forceShutdownButton").click()
    took = time.monotonic() - t0
    check(
        f"force shutdown reaches SHUTDOWN in {took * 1000:.0f} ms",
        state() == "SHUTDOWN" and lit("SHUTDOWN") and not scene.host.running() and took < 0.5,
    )


def selftest() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QStandardPaths

    from app.gui.application import ErrorReporter, create_window, ensure_app, setup_logging

    QStandardPaths.setTestModeEnabled(True)  # never read or write the user's own settings

    app, _ = ensure_app()
    reporter = ErrorReporter(setup_logging())
    reporter.quiet = True
    reporter.install()
    window = create_window()
    window.show()
    lines: list[str] = []
    out = sys.stdout
    try:
        failed = run_checks(window, app, lines.append)
    except Exception as exc:  # a broken selftest is a failed selftest, with a reason
        failed = [f"selftest raised {exc!r}"]
        window.close()
    if reporter.shown:
        failed.append(f"{len(reporter.shown)} unexpected error(s)")
    total = len(lines)
    if out is not None:
        if failed:
            out.write("\n".join(lines) + "\n")
            out.write(f"selftest: FAILED {len(failed)} of {total} checks: {'; '.join(failed)}\n")
        else:
            out.write(f"selftest: ok, {total} checks held: " + "; ".join(line[5:] for line in lines) + "\n")
    return 1 if failed else 0
