"""The row every scene starts with: start, pause, schedule, speed, force shutdown and restart."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

if TYPE_CHECKING:
    from app.gui.scene_base import SceneBase

SHUTDOWN_TIP = "Stop every worker thread now (all joined within 0.5 s); unfinished work is cancelled"


class ControlRow(QHBoxLayout):
    """Lays out a scene's start button, its pause button and speed slider (SceneBase's own),
    a force-shutdown button made here (``forceShutdownButton``, red) and an optional restart
    button; ``extras`` go right after the start button."""

    def __init__(
        self,
        scene: SceneBase,
        start: QPushButton,
        shutdown: Callable[[], object],
        restart: QPushButton | None = None,
        extras: Sequence[QWidget] = (),
        shutdown_tip: str = SHUTDOWN_TIP,
    ) -> None:
        super().__init__()
        self.start_button = start
        self.pause_button = scene.pause_button
        self.speed_slider = scene.speed_slider
        self.shutdown_button = scene.button(
            "forceShutdownButton", "Force &shutdown", shutdown_tip, "Ctrl+Shift+X", shutdown
        )
        self.shutdown_button.setProperty("role", "danger")
        self.restart_button = restart
        space = scene.fontMetrics().averageCharWidth() * 2
        self.addWidget(start)
        for w in extras:
            self.addWidget(w)
        self.addWidget(self.pause_button)
        self.strategy_combo = scene.strategy_combo
        self.addWidget(QLabel("Schedule", buddy=self.strategy_combo))
        self.addWidget(self.strategy_combo)
        self.addSpacing(space)
        self.addWidget(QLabel("Speed", buddy=self.speed_slider))
        self.addWidget(self.speed_slider, 1)
        self.addWidget(scene.speed_label)
        self.addSpacing(space)
        self.addWidget(self.shutdown_button)
        if restart is not None:
            self.addWidget(restart)


__all__ = ["ControlRow"]
