"""One palette for the whole window, light or dark after the system's colour scheme."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication

from app.engine.timeline import CRASHED, IDLE, STOPPED, WAITING_BARRIER, WAITING_EVENT, WORKING


@dataclass(frozen=True)
class Theme:
    dark: bool
    canvas: QColor
    card: QColor
    card_edge: QColor
    text: QColor
    muted: QColor
    accent: QColor
    #: Shared tones every scene maps its own state names onto (``SceneSpec.tones``).
    tones: dict[str, QColor]
    #: Timeline lane states (the engine's names) -> colour.
    states: dict[str, QColor]
    ticket_fresh: QColor
    ticket_warm: QColor
    ticket_late: QColor


def _c(hex_: str) -> QColor:
    return QColor(hex_)


_TONES = {
    "working": "#2e9d6a",
    "waiting": "#e0a526",
    "event": "#8a7fd6",
    "info": "#3577d4",
    "idle": "#a9b4bf",
    "crashed": "#d64545",
    "restarting": "#e07a2e",
    "gone": "#9aa3ad",
    "stopped": "#6b7682",
}
_LANE_TONES = {
    WORKING: "working",
    WAITING_BARRIER: "waiting",
    WAITING_EVENT: "event",
    IDLE: "idle",
    CRASHED: "crashed",
    STOPPED: "stopped",
}


def tone_of(theme: Theme, tones: Mapping[str, str], state: str) -> QColor:
    """The colour of a scene's own state name, through the scene's state -> tone map."""
    return theme.tones.get(tones.get(state, state), theme.muted)


def current_theme() -> Theme:
    hints = QGuiApplication.styleHints() if QGuiApplication.instance() else None
    dark = bool(hints and hints.colorScheme() == Qt.ColorScheme.Dark)
    tones = {k: _c(v) for k, v in _TONES.items()}
    states = {lane: tones[tone] for lane, tone in _LANE_TONES.items()}
    if dark:
        return Theme(
            True,
            _c("#1f2329"),
            _c("#2a2f37"),
            _c("#3a414b"),
            _c("#e8eaed"),
            _c("#9aa3ad"),
            _c("#e58a3a"),
            tones,
            states,
            _c("#2e9d6a"),
            _c("#e0a526"),
            _c("#d64545"),
        )
    return Theme(
        False,
        _c("#f6f3ee"),
        _c("#ffffff"),
        _c("#ddd6cb"),
        _c("#2b2f36"),
        _c("#6f7781"),
        _c("#c8642a"),
        tones,
        states,
        _c("#cfe9d9"),
        _c("#f7e1a6"),
        _c("#f3b9b2"),
    )


#: One colour per seat (players, workers) that reads on light and dark canvases alike.
SEAT_COLOURS = ("#3577d4", "#d4503f", "#2e9d6a", "#c48a12", "#8a5cc9", "#1a9bb0", "#d0569b", "#6f7f2a")


def seat_colour(seat: int) -> QColor:
    """The colour of seat ``seat`` (1-based; seats past the palette wrap around)."""
    return QColor(SEAT_COLOURS[(seat - 1) % len(SEAT_COLOURS)])
