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
POLL_S = 0.05


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
        while not sim.finished() and sim.deadlock is None and not interrupted():
            sched.sleep(POLL_S, "supervise")
            if on_poll is not None:
                on_poll()
            stuck = sched.stuck(but=me)
            if stuck and not sim.finished():
                diagnosis = deadlock_diagnosis(sim, sched, stuck)
                sim.recorder.record("watchdog.deadlock", **diagnosis)
                sim.on_deadlock(diagnosis)
                if sim.deadlock is None and not sim.finished():
                    sim.request_shutdown("deadlock")  # a scene that expected it ends the run
        if interrupted():
            reason = "interrupted"
        elif sim.deadlock is not None:
            reason = "deadlock"
        else:
            reason = sim.end_reason
        alive = sim.stop(reason)
    return reason, alive
