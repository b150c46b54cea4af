"""Review findings in the controlled scheduler: each test failed before its fix."""

from __future__ import annotations

import threading

import pytest

from app.sync import control
from app.sync.control import RandomStrategy, Scheduler
from tests.test_control import _eventually

pytestmark = pytest.mark.timeout(20)


def _paced_sleeper_woken_by_a_guest(then, speed0: float = 1.0, timeout: float = 1000.0):
    """A paced run: ``sleeper`` waits for a poke with a long timeout (``timeout / speed0``
    wall seconds), this thread (a guest) pokes it long before, and ``then(sched, seen)`` runs
    in the sleeper afterwards."""
    speed = [speed0]
    sched = Scheduler(RandomStrategy(1))
    sched.pace = lambda: speed[0]
    poke = control.CFlag(sched, "event:poke")
    seen: dict = {}

    def sleeper() -> None:
        seen["poked"] = poke.wait(timeout)  # paced in wall time: the poke comes first
        seen["at"] = sched.now
        then(sched, seen)

    task = sched.register("sleeper")
    th = threading.Thread(target=sched.run_task, args=(task, sleeper), daemon=True)
    th.start()
    assert _eventually(lambda: sched._wake_at == timeout)  # the timekeeper paces toward it
    # Nudged, it takes the time passed so far and paces on: once time moved, it is pacing.
    assert _eventually(lambda: sched.now > 0.0 or sched.nudge())
    poke.set()
    return sched, task, th, speed, seen


def test_paced_time_does_not_jump_to_a_deadline_no_task_waits_for() -> None:
    """The sleeper is woken early, then waits with no timeout: no task has a deadline, so
    simulated time must stay where it is, at any speed."""
    forever = {}

    def then(sched, seen):
        forever["flag"] = control.CFlag(sched, "event:never")
        forever["flag"].wait()

    sched, task, th, speed, seen = _paced_sleeper_woken_by_a_guest(then)
    assert _eventually(lambda: task.label == "wait event:never" and sched._current is None)
    assert seen["poked"] is True
    speed[0] = None  # "max": a pending pace ends at once
    sched.nudge()
    assert not _eventually(lambda: sched.now > seen["at"], timeout=0.5), (
        f"time jumped to {sched.now} with no deadline pending"
    )
    forever["flag"].set()  # let it end
    th.join(5)
    assert not th.is_alive()


def test_a_sleep_after_an_early_wake_in_a_paced_run_lasts_its_own_length() -> None:
    """After the poke, the sleeper sleeps 1 simulated second: it must wake 1 s after it
    started that sleep. The idle time paced before the poke is not added to it (time
    moves only while no task runs)."""

    def then(sched, seen):
        start = sched.now
        sched.sleep(1.0)
        seen["slept"] = sched.now - start

    # A million simulated seconds a wall second: the idle time before the poke is seconds.
    _, _, th, _, seen = _paced_sleeper_woken_by_a_guest(then, 1e6, 1e12)
    th.join(10)
    assert not th.is_alive()
    assert seen["poked"] is True
    assert seen["slept"] == pytest.approx(1.0), seen
