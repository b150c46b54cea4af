"""Playing a trace file back in the scene it came from.

``open_trace`` reads and checks a file (a one-line ``PlaybackError`` if it is not a trace
this app can show); ``Playback`` drives one scene tab through it. No simulation runs: the
scene gets a fresh, never-started one for the trace's configuration (so it can draw), and
its view folds the file's records exactly as it folds a live run's (``SceneBase.fold``).

Moving forward folds the records in between. Moving back refolds from an empty view: a
scene's view is many small objects and widgets, and a refold is quick (README, "Playing a
trace back", has the figures). A slider drag is coalesced: only the latest position asked
for is folded, once the event loop is free.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from app.engine.contract import SceneSpec
from app.engine.faults import SpecError
from app.gui.scene_base import FRAME_MS, SceneBase
from app.gui.widgets.playback import speed_text
from app.scenes import registry
from app.trace.format import TraceFormatError
from app.trace.playback import Cursor, Trace, from_plain, load_trace
from app.trace.recorder import Record

#: Records folded per frame at speed "max": fast, but the view still moves.
MAX_CHUNK = 2000


class PlaybackError(ValueError):
    """A file that cannot be played back; the message is one line naming the file."""


def _one_line(text: str) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@dataclass(frozen=True)
class OpenedTrace:
    """A trace file read and checked: its records, its scene and that scene's config."""

    trace: Trace
    spec: SceneSpec
    config: Any

    @property
    def name(self) -> str:
        return self.trace.path.name

    @property
    def records(self) -> list[Record]:
        return self.trace.records


def open_trace(path: str | Path) -> OpenedTrace:
    """Read ``path`` for playback. Raises ``PlaybackError`` with one line for a missing or
    unreadable file, one that is not a trace, a trace without a header, a scene this app
    does not have, or a configuration the scene cannot take."""
    p = Path(path)
    try:
        if p.is_dir():
            raise PlaybackError(_one_line(f"{p}: is a folder, not a trace file"))
        if not p.exists():
            raise PlaybackError(_one_line(f"{p}: no such trace file"))
        trace = load_trace(p)
    except TraceFormatError as exc:
        raise PlaybackError(_one_line(str(exc))) from None
    except OSError as exc:
        raise PlaybackError(_one_line(f"{p}: cannot read: {exc.strerror or exc}")) from None
    try:
        spec = registry.get(trace.scene)
    except SpecError as exc:
        raise PlaybackError(_one_line(f"{p}:1: {exc}")) from None
    try:
        config = from_plain(type(spec.default_config()), trace.header["config"])
    except ValueError as exc:
        raise PlaybackError(_one_line(f"{p}:1: the header's {exc}")) from None
    return OpenedTrace(trace, spec, config)


class Playback(QObject):
    """One trace playing back in one scene tab: a cursor, a clock, and the tab's controls.

    ``play`` paces the records by their ``sim`` time at the chosen speed (None: max, as
    fast as frames allow); ``seek``, ``step`` and ``step_back`` move and pause. ``stop``
    ends it and returns the tab to a live scene.
    """

    #: The number of records applied, after every move.
    positionChanged = Signal(int)  # noqa: N815 - Qt naming
    #: Playing reached the last record.
    finished = Signal()
    #: The playback was closed; the tab is live again.
    closed = Signal()

    def __init__(self, scene: SceneBase, opened: OpenedTrace) -> None:
        super().__init__(scene)
        self.setObjectName("playback")
        self.scene = scene
        self.opened = opened
        self.cursor = Cursor(opened.records)
        self.controls = scene.step_controls
        self.timer = QTimer(self, objectName="playbackTimer")
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self._tick)
        self._anchor_wall = 0.0
        self._anchor_sim = 0.0
        self._pending_seek: int | None = None
        self.active = False

    # -- what the scene asks --------------------------------------------------------------
    @property
    def config(self) -> Any:
        return self.opened.config

    @property
    def records(self) -> list[Record]:
        return self.opened.records

    @property
    def header(self) -> dict[str, Any]:
        return self.opened.trace.header

    @property
    def pos(self) -> int:
        return self.cursor.pos

    @property
    def playing(self) -> bool:
        return self.timer.isActive()

    @property
    def speed(self) -> float | None:
        return self.controls.speed

    def now(self) -> float:
        """The wall-clock ``ts`` the scene draws at (between records while playing)."""
        if self.playing and self.speed is not None:
            return self.cursor.ts_at(self._sim_target())
        return self.cursor.ts_now()

    def sim_now(self) -> float:
        """The simulated time shown (the timeline's "now" while a trace plays back)."""
        if self.playing and self.speed is not None:
            return min(self._sim_target(), self.cursor.sim_end)
        return self.cursor.sim_now()

    # -- starting and stopping ----------------------------------------------------------------
    def start(self, play: bool = True) -> None:
        """Take over the scene (its live run stops) and, with ``play``, start playing."""
        scene = self.scene
        scene.begin_playback(self)
        self.active = True
        c = self.controls
        c.stepRequested.connect(self.step)
        c.stepBackRequested.connect(self.step_back)
        c.seekRequested.connect(self._seek_requested)
        c.playToggled.connect(self._play_toggled)
        c.speedChanged.connect(self._speed_changed)
        scene.playback_bar.closeRequested.connect(self.stop)
        h = self.header
        detail = f"{self.opened.spec.title} · seed {h.get('seed', '?')}"
        if h.get("created"):
            detail += f" · recorded {str(h['created']).replace('T', ' ')[:16]}"
        if h.get("app_version"):
            detail += f" · Kitchen Sync {h['app_version']}"
        scene.playback_bar.show_trace(self.opened.name, len(self.cursor), detail)
        c.set_speed(scene.speed)
        self._show()
        if play:
            self.play()

    @Slot()
    def stop(self, live: bool = True) -> None:
        """Stop playing and give the scene back to a live run (with ``live`` False, as the
        window closes, leave it without one)."""
        if not self.active:
            return
        self.active = False
        self.timer.stop()
        c = self.controls
        for signal, slot in (
            (c.stepRequested, self.step),
            (c.stepBackRequested, self.step_back),
            (c.seekRequested, self._seek_requested),
            (c.playToggled, self._play_toggled),
            (c.speedChanged, self._speed_changed),
            (self.scene.playback_bar.closeRequested, self.stop),
        ):
            signal.disconnect(slot)
        self.scene.end_playback(live=live)
        self.closed.emit()

    # -- moving -------------------------------------------------------------------------------
    @Slot()
    def play(self) -> None:
        if not self.active:
            return
        if self.cursor.at_end:
            self.seek(0)  # play again from the start
        self._anchor()
        self.timer.start()
        self.controls.set_playing(True)

    @Slot()
    def pause(self) -> None:
        self.timer.stop()
        self.controls.set_playing(False)

    def seek(self, k: int) -> None:
        """Show the scene as it was after the first ``k`` records."""
        if not self.active:
            return
        self._pending_seek = None
        refold, records = self.cursor.seek(k)
        if refold:
            self.scene.reset_for_playback()
        if records:
            self.scene.fold(list(records))
        self._after_move()
        if self.playing:
            self._anchor()
        else:
            self._mark_current()

    @Slot()
    def step(self) -> None:
        """One record forward (and pause)."""
        self.pause()
        self.seek(self.cursor.pos + 1)

    @Slot()
    def step_back(self) -> None:
        """One record back (and pause)."""
        self.pause()
        self.seek(self.cursor.pos - 1)

    def to_end(self) -> None:
        self.seek(len(self.cursor))

    # -- the clock ----------------------------------------------------------------------------
    def _anchor(self) -> None:
        self._anchor_wall = time.monotonic()
        self._anchor_sim = self.cursor.sim_now()

    def _sim_target(self) -> float:
        speed = self.speed or 1.0
        return self._anchor_sim + (time.monotonic() - self._anchor_wall) * speed

    @Slot()
    def _tick(self) -> None:
        speed, cursor = self.speed, self.cursor
        k = cursor.pos + MAX_CHUNK if speed is None else cursor.due(self._sim_target())
        if k != self.cursor.pos:
            refold, records = self.cursor.seek(k)
            assert not refold
            self.scene.fold(list(records))
            self._after_move()
        if self.cursor.at_end:
            self.pause()
            self.scene.event_log.flush()
            self.finished.emit()

    def _after_move(self) -> None:
        scene = self.scene
        scene.event_log.flush()
        scene._frame()  # draw now, not at the next frame
        self._show()
        self.positionChanged.emit(self.cursor.pos)

    def _mark_current(self) -> None:
        """Select the last record applied in the event log (when the log shows it)."""
        log = self.scene.event_log
        rows = log.model.rowCount()
        current = self.records[self.cursor.pos - 1] if self.cursor.pos else None
        if rows and current is not None and log.model.record(rows - 1) is current:
            log.table.selectRow(rows - 1)
            log.table.scrollToBottom()
        else:
            log.table.clearSelection()

    def _show(self) -> None:
        c = self.cursor
        elapsed = c.sim_now() - c.sim_start
        self.controls.set_position(c.pos, len(c), f"{c.pos:,} / {len(c):,}  ·  {elapsed:.1f} s")

    # -- the controls -------------------------------------------------------------------------
    @Slot(int)
    def _seek_requested(self, k: int) -> None:
        """The slider moved: fold the latest position asked for once events are processed,
        so a fast drag does not queue a refold per pixel."""
        first = self._pending_seek is None
        self._pending_seek = k
        if first:
            QTimer.singleShot(0, self, self._seek_pending)

    @Slot()
    def _seek_pending(self) -> None:
        k = self._pending_seek
        if k is not None:
            self.seek(k)

    @Slot(bool)
    def _play_toggled(self, playing: bool) -> None:
        self.play() if playing else self.pause()

    @Slot(object)
    def _speed_changed(self, speed: float | None) -> None:
        if self.playing:
            self._anchor()
        bar = getattr(self.scene.window(), "statusBar", None)
        if callable(bar):
            bar().showMessage(f"Playback at {speed_text(speed)}", 3000)


__all__ = ["MAX_CHUNK", "OpenedTrace", "Playback", "PlaybackError", "open_trace"]
