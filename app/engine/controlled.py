"""Running a scene in controlled mode: the calling thread becomes the supervising task.

A headless run's main thread polls ``finished()``. Left outside the scheduler, it would look
at a moment the operating system picks, and a run would end at a different record each
time. As a task it polls in simulated time, in turn, so the run ends where it ended before,
and it is the one to see a deadlock: every other task blocked for good, with no deadline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.engine.simulation import Simulation
from app.engine.watchdog import diagnose
from app.sync.control import Scheduler, Task

#: Simulated seconds between the supervisor's looks at the run.
POLL_S = 1.0


def deadlock_diagnosis(sim: Simulation, sched: Scheduler, stuck: list[Task]) -> dict[str, Any]:
    """The trace's picture of the deadlock when it has one, else what each task waits for."""
    alive = [t.name for t in stuck]
    picture = diagnose(sim.recorder.snapshot(), alive)
    if picture is not None:
        return picture
    waits = "; ".join(f"{t.name} waits ({t.label})" for t in stuck)
    return {
        "reason": f"deadlock: every worker is blocked for good: {waits}",
        "waits": [{"thread": t.name, "on": t.label} for t in stuck],
        "alive": alive,
    }


def supervise(
    sim: Simulation,
    *,
    interrupted: Callable[[], bool] = lambda: False,
    on_poll: Callable[[], None] | None = None,
) -> tuple[str, list[str]]:
    """Start ``sim`` and run it to its end under its scheduler; returns (reason, alive).

    The reason is the scene's ``end_reason``, ``"deadlock"`` or ``"interrupted"``; alive
    names the workers that outlived the stop (none when it was clean).
    """
    sched = sim.scheduler
    if sched is None:
        raise ValueError("supervise() needs a simulation whose recorder carries a scheduler")
    sim.watchdog.stop(0.0)  # the supervisor sees deadlocks itself, at a replayable point
    with sched.attach("main") as me:
        sim.start()
        handled = -1  # sched.steps when the scene took a deadlock as expected (the lab)
        while not sim.finished() and sim.deadlock is None and not interrupted():
            sched.sleep(POLL_S, "supervise")
            if on_poll is not None:
                on_poll()
            stuck = sched.stuck(but=me)
            if not stuck or sim.finished():
                handled = -1
            elif handled >= 0 and sched.steps <= handled + 1:
                sim.request_shutdown("deadlock")  # no task but this one moved since: end it
            else:
                diagnosis = deadlock_diagnosis(sim, sched, stuck)
                sim.recorder.record("watchdog.deadlock", **diagnosis)
                sim.on_deadlock(diagnosis)
                handled = sched.steps if sim.deadlock is None else -1  # it goes on if it can
        if interrupted():
            reason = "interrupted"
        elif sim.deadlock is not None:
            reason = "deadlock"
        else:
            reason = sim.end_reason
        alive = sim.stop(reason)
    return reason, alive
