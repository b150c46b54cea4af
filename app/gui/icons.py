"""Render the app icon's PNG sizes and Windows .ico from the SVG: ``python -m app.gui.icons``.

The outputs are committed; the running app loads PNGs, so the bundle needs no SVG plugin.
"""

from __future__ import annotations

import os
import sys

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    from app.resources import resource_path

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(resource_path("icons", "kitchen-sync.svg")))
    if not renderer.isValid():
        print("the SVG icon does not render", file=sys.stderr)
        return 1
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        image.save(str(resource_path("icons", f"kitchen-sync-{size}.png")))
        if size == 256:
            image.save(str(resource_path("icons", "kitchen-sync.ico")), "ICO")
    print(f"wrote {len(SIZES)} PNG sizes and kitchen-sync.ico")
    return 0


if __name__ == "__main__":
    sys.exit(main())
