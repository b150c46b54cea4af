"""Refresh the README's screenshots: ``python -m app.gui.screenshot [OUT_DIR]``.

Drives the real window offscreen, each scene into a telling moment of its own choosing
(``SceneBase.pose``), and saves one PNG per scene, named after it.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def _spin(app, seconds: float, until=None) -> None:
    from PySide6.QtCore import QEventLoop

    end = time.monotonic() + seconds
    while time.monotonic() < end and not (until and until()):
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else Path(__file__).resolve().parents[2] / "resources" / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QStandardPaths

    from app.gui.application import create_window, ensure_app

    QStandardPaths.setTestModeEnabled(True)  # never read or write the user's own settings

    app, _ = ensure_app()
    window = create_window()
    window.resize(1280, 820)
    window.show()
    for scene in window.scenes():
        window.tabs.setCurrentWidget(scene)
        scene.pose(lambda seconds, until=None: _spin(app, seconds, until))
        path = out / f"{scene.scene.name}.png"
        window.grab().save(str(path))
        print(f"wrote {path}")
        scene.stop_simulation("screenshot taken")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
