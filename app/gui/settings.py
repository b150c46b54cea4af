"""Where the app remembers the user's choices: an INI file in the user's config folder."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths


def settings() -> QSettings:
    """KITCHEN_SYNC_CONFIG_DIR, if set, is used instead (tests give each run its own).
    The organisation and application names must be set first (``ensure_app`` does)."""
    base = os.environ.get("KITCHEN_SYNC_CONFIG_DIR") or QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppConfigLocation
    )
    return QSettings(str(Path(base) / "kitchen-sync.ini"), QSettings.Format.IniFormat)
