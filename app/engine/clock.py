"""Simulated time: a speed factor, a pause gate and sleeps that end at once on shutdown."""

from __future__ import annotations

import threading
import time
from typing import Any

from app.sync import Event
from app.sync.control import scheduler_of
from app.trace.recorder import TraceRecorder

MIN_SPEED, MAX_SPEED = 0.25, 16.0
#: Simulated seconds per wall second when running at "max": used only to convert the
#: few wall-clock bounds (barrier timeouts, restart windows) into simulated time.
MAX_NOMINAL = 1000.0
#: Longest single wall-clock wait inside a sleep, so speed changes apply promptly.
_SLICE = 0.05


class ShutdownRequested(Exception):
    """Raised inside a worker when the shutdown event ends what it was doing."""


def parse_speed(text: str) -> float | None:
    """``"max"`` -> ``None``; a number in [0.25, 16] -> that float; anything else -> ValueError."""
    if text.strip().lower() == "max":
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(
            f"speed must be a number from {MIN_SPEED} to {MAX_SPEED:g} or 'max', got {text!r}"
        ) from None
    if not MIN_SPEED <= value <= MAX_SPEED:
        raise ValueError(f"speed must be from {MIN_SPEED} to {MAX_SPEED:g} or 'max', got {text}")
    return value


class SimClock:
    """Simulated time shared by one scene's workers.

    ``speed`` is simulated seconds per wall second; ``None`` means "max": sleeps return at
    once, so a headless run goes as fast as the threads can meet.

    In controlled mode (the recorder carries a scheduler) simulated time is the scheduler's:
    it moves only when every task waits, sleeps are waits with a simulated deadline, and the
    speed only paces idle time for a watching window. Timeouts the scenes hand to primitives
    (``to_wall``) are then simulated seconds too.
    """

    def __init__(self, speed: float | None = 1.0, *, recorder: TraceRecorder | None = None) -> None:
        self._lock = threading.Lock()
        self._speed = speed
        # (wall0, sim0, factor): the line simulated time is on, replaced on a speed change.
        self._base = (time.monotonic(), 0.0, self._factor())
        self._recorder = recorder
        if recorder is not None and scheduler_of(recorder) is None:
            recorder.set_sim_time(0.0, self._factor())  # records carry this clock's time
        self.shutdown = Event(name="shutdown", recorder=recorder)
        #: Set means running; cleared means paused (workers wait on it between tasks).
        self.pause_gate = Event(name="pause_gate", recorder=recorder)
        self.pause_gate.set()
        # The hot path's two questions, asked of the plain events (no wrapper call).
        self._shutdown_set = self.shutdown._event.is_set
        self._running = self.pause_gate._event.is_set
        self.scheduler = scheduler_of(recorder)
        if self.scheduler is not None:
            self.scheduler.pace = lambda: self._speed  # records carry the scheduler's time

    @property
    def speed(self) -> float | None:
        return self._speed

    @property
    def is_max(self) -> bool:
        return self._speed is None

    @property
    def timeless(self) -> bool:
        """True at "max" in a free run: sleeps return at once and simulated time hardly
        moves, so scenes bound their waits in wall time (their ``max_speed_*`` settings).
        Never in controlled mode: simulated time costs nothing there (the scheduler jumps
        to the next deadline), so scenes keep their simulated durations and timeouts."""
        return self._speed is None and self.scheduler is None

    def set_speed(self, speed: float | None) -> None:
        if self.scheduler is not None:
            self._speed = speed
            self.scheduler.nudge()
            return
        with self._lock:
            now = time.monotonic()
            wall0, sim0, factor = self._base
            sim = sim0 + (now - wall0) * factor
            self._speed = speed
            self._base = (now, sim, self._factor())
            if self._recorder is not None:
                self._recorder.set_sim_time(sim, self._factor())

    def _factor(self) -> float:
        return MAX_NOMINAL if self._speed is None else self._speed

    def now(self) -> float:
        """Simulated seconds since the clock started.

        Not on the hot path: records get their ``sim`` from the recorder, which this clock
        keeps on its line. The lock keeps it monotonic across a speed change (a lock-free
        read could take the old line, be preempted, and extrapolate it past the change).
        """
        if self.scheduler is not None:
            return self.scheduler.now
        with self._lock:
            wall0, sim0, factor = self._base
            return sim0 + (time.monotonic() - wall0) * factor

    def to_wall(self, sim_seconds: float) -> float:
        """Wall seconds that ``sim_seconds`` take at the current speed (simulated seconds
        in controlled mode, where every timeout is in simulated time)."""
        if self.scheduler is not None:
            return sim_seconds
        return sim_seconds / self._factor()

    def wall(self) -> float:
        """The time line ``to_wall`` deadlines are on: ``time.monotonic()`` in free mode,
        simulated time in controlled mode (so a scene's deadlines replay exactly)."""
        if self.scheduler is not None:
            return self.scheduler.now
        return time.monotonic()

    @property
    def paused(self) -> bool:
        return not self.pause_gate.is_set()

    def pause(self) -> None:
        if not self.paused:
            self.pause_gate.clear()

    def resume(self) -> None:
        if self.paused:
            self.pause_gate.set()

    def request_shutdown(self) -> None:
        """Wake every sleeper and open the gate so paused workers can leave."""
        self.shutdown.set()
        self.pause_gate.set()

    def check(self) -> None:
        if self._shutdown_set():
            raise ShutdownRequested

    def wait_gate(self) -> None:
        """Block while paused; raises ``ShutdownRequested`` if shutdown ends the wait."""
        if not self._running():
            self.pause_gate.wait()
        if self._shutdown_set():
            raise ShutdownRequested

    def sleep(self, sim_seconds: float, interrupted: object = None) -> bool:
        """Let ``sim_seconds`` of simulated time pass.

        Returns False early when ``interrupted()`` (a callable) becomes true, True when the
        time has passed; raises ``ShutdownRequested`` as soon as shutdown is set.
        """
        check = interrupted if callable(interrupted) else None
        if self.scheduler is not None:
            return self._controlled_sleep(sim_seconds, check)
        remaining = sim_seconds
        while True:
            self.check()
            if check is not None and check():
                return False
            if remaining <= 0 or self._speed is None:
                return True
            factor = self._speed
            wall = min(remaining / factor, _SLICE)
            start = time.monotonic()
            if self.shutdown._event.wait(wall):  # raw wait: slices would flood the trace
                raise ShutdownRequested
            remaining -= (time.monotonic() - start) * factor

    def _controlled_sleep(self, sim_seconds: float, check: Any) -> bool:
        self.check()
        if check is not None and check():
            return False
        if sim_seconds > 0:
            stop = self._shutdown_set
            woken = (lambda: stop() or check()) if check is not None else stop
            assert self.scheduler is not None
            self.scheduler.wait_until(woken, sim_seconds, "sleep")
        self.check()
        return not (check is not None and check())
