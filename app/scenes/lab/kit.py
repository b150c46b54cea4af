"""What an experiment's threads share: ``k``.

An experiment's ``setup(k)`` puts its primitives and shared state on ``k`` (``k.ready =
Event(name="ready", recorder=k.trace)``: the drop-in ``Event`` of ``app.sync``, recording to
the lab's trace), and its roles use them as anyone uses ``threading``'s. The lab adds time
and a notebook:

* ``k.work(s)``: simulated work, ``s`` seconds on the lab's clock (its speed; at once at "max").
* ``k.sleep(s)``: a plain sleep, as ``time.sleep`` (and as wrong when used to wait for others).
* ``k.secs(s)``: a timeout of ``s`` simulated seconds, in the wall seconds ``wait()`` takes.
* ``k.note(text)``: a line in the trace. ``k.me()``: the calling thread's name.

``Lock`` is a drop-in ``threading.Lock`` that records a ``lab.lock`` wait when it has to
block, so the window can show who waits for it and the step gate knows who cannot move.

In controlled mode the lock is the scheduler's (acquiring it is a scheduling point). Under
the ``any`` interleaving (``timed=False``) work and sleeps take no simulated time: each is a
scheduling point, so the schedule alone decides which thread gets ahead, as a model checker
treats a timer (a sleep is a guess: any order of the threads' steps can happen).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.engine.clock import SimClock
from app.scenes.lab.gate import RunEnded
from app.sync import control
from app.trace.recorder import TraceRecorder, thread_name

#: The shortest wall timeout ``k.secs`` gives (at "max" a simulated second takes a millisecond).
MIN_TIMEOUT_S = 0.05


class Lock:
    """``threading.Lock`` that says when a thread has to wait for it."""

    def __init__(self, *, name: str = "lock", recorder: TraceRecorder) -> None:
        self._lock = control.lock(recorder, f"lock:{name}")  # threading.Lock in free mode
        self.name = name
        self._rec = recorder.record

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if self._lock.acquire(False):
            return True
        if not blocking:
            return False
        self._rec("lab.lock", lock=self.name, phase="wait")
        got = self._lock.acquire(True, timeout)
        self._rec("lab.lock", lock=self.name, phase="got" if got else "timeout")
        return got

    def release(self) -> None:
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class Kit:
    """One run's shared namespace. Attributes set by the setup are the experiment's own."""

    def __init__(
        self,
        recorder: TraceRecorder,
        clock: SimClock,
        run: int,
        stretch: Callable[[str], float] = lambda _thread: 1.0,
        over: Callable[[], bool] = lambda: False,
        timed: bool = True,
    ) -> None:
        self.trace = recorder
        self._clock = clock
        self._run = run
        self._stretch = stretch
        self._over = over
        self._timed = timed

    # -- time ------------------------------------------------------------------------------
    def work(self, seconds: float) -> None:
        """Simulated work: ``seconds`` on the lab's clock (stretched by a jitter fault)."""
        seconds *= self._stretch(thread_name())
        self.trace.record("lab.work", run=self._run, seconds=round(seconds, 3))
        self._pass_time(seconds)

    def sleep(self, seconds: float) -> None:
        """A sleep, as ``time.sleep(seconds)``, on the lab's clock."""
        self.trace.record("lab.sleep", run=self._run, seconds=seconds)
        self._pass_time(seconds)

    def secs(self, seconds: float) -> float:
        """The wall seconds a timeout of ``seconds`` simulated seconds takes now."""
        return max(self._clock.to_wall(seconds), MIN_TIMEOUT_S)

    def _pass_time(self, seconds: float) -> None:
        if self._over():
            raise RunEnded
        self._clock.wait_gate()
        if not self._timed:
            control.step("work")  # no simulated time: the schedule says who goes on
            if self._over():
                raise RunEnded
            return
        if not self._clock.sleep(seconds, interrupted=self._over):
            raise RunEnded

    # -- notes -------------------------------------------------------------------------------
    def note(self, text: str) -> None:
        self.trace.record("lab.note", run=self._run, text=text)

    @staticmethod
    def me() -> str:
        return thread_name()

    # -- what the lab needs to end a run --------------------------------------------------------
    def shared(self) -> dict[str, Any]:
        """The experiment's own attributes (what its setup made)."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_") and k != "trace"}


__all__ = ["MIN_TIMEOUT_S", "Kit", "Lock"]
