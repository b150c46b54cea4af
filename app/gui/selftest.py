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


def run_checks(window, app, report: Callable[[str], None]) -> list[str]:
    """Every scene's scripted session, then closing; returns the names of failed checks."""
    failed: list[str] = []

    def check(name: str, ok: bool) -> None:
        report(("ok   " if ok else "FAIL ") + name)
        if not ok:
            failed.append(name)

    wait = lambda predicate, timeout: _wait(app, predicate, timeout)
    for scene in window.scenes():
        window.tabs.setCurrentWidget(scene)
        n = len(failed)
        try:
            scene.selftest(lambda name, ok, s=scene: check(f"{s.scene.name}: {name}", ok), wait)
        except Exception as exc:  # one scene's broken script must not hide the others' checks
            check(f"{scene.scene.name}: selftest raised {exc!r}", False)
        if len(failed) > n:
            scene.stop_simulation("selftest failed")
    _controlled_checks(window, check, wait)
    window.close()
    check(
        "closing the window stops every thread",
        window.closed_cleanly is True and not any(s.host.running() for s in window.scenes()),
    )
    return failed


def _controlled_checks(window, check: Callable[[str, bool], None], wait) -> None:
    """The restaurant in controlled mode: its run takes turns, Pause holds it at a choice,
    Next step makes one choice, and a forced shutdown of the held run stops every thread."""
    from PySide6.QtWidgets import QComboBox, QPushButton

    scene = window.scene("restaurant")
    window.tabs.setCurrentWidget(scene)
    combo = scene.findChild(QComboBox, "strategyCombo")
    combo.setCurrentIndex(combo.findData("pos"))
    sched = scene.sim.scheduler if scene.sim is not None else None
    check("controlled: choosing POS restarts the run controlled", sched is not None)
    if sched is None:
        return
    scene.place_order(3)
    check("controlled: the threads take turns under POS", wait(lambda: sched.choices >= 3, 10))
    scene.findChild(QPushButton, "pauseButton").click()
    check("controlled: Pause holds the run at a choice", wait(lambda: bool(sched.held), 10))
    step = scene.findChild(QPushButton, "stepButton")
    check("controlled: Next step is offered at the held choice", wait(step.isEnabled, 5))
    before = sched.choices
    step.click()
    check("controlled: Next step makes a choice", wait(lambda: sched.choices > before, 10))
    sim = scene.sim
    t0 = time.monotonic()
    alive = sim.stop("selftest")
    check("controlled: a forced shutdown of a held run stops every thread in 0.5 s", not alive)
    check("controlled: ... within the bar", time.monotonic() - t0 < 0.5)
    combo.setCurrentIndex(combo.findData(None))  # the window as the user left it: free


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
