"""Refresh the README's screenshots: ``python -m app.gui.screenshot [OUT_DIR]``.

Drives the real window offscreen into a telling moment (orders queued, one chef crashed and
counting down to its restart, the others waiting at the barrier) and saves PNGs.
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

    from app.engine.budget import RestartPolicy
    from app.gui.application import create_window, ensure_app
    from app.scenes.restaurant.model import KitchenConfig

    QStandardPaths.setTestModeEnabled(True)  # never read or write the user's own settings

    app, _ = ensure_app()
    window = create_window()
    window.resize(1280, 820)
    window.show()
    scene = window.restaurant
    window.tabs.setCurrentWidget(scene)
    scene.restart_kitchen(KitchenConfig(rehire_after_s=None, restart=RestartPolicy(backoff_s=4.0)))
    scene.speed_slider.setValue(3)  # 2x
    scene.place_order(6)
    _spin(app, 3.0, lambda: scene.view.served >= 2)
    scene.target_combo.setCurrentIndex(scene.target_combo.findData("main"))
    scene.inject("crash")
    _spin(app, 6.0, lambda: scene.view.stations["main"].state == "restarting")
    _spin(app, 0.4)
    window.grab().save(str(out / "restaurant.png"))
    window.close()
    print(f"wrote {out / 'restaurant.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
