"""Exploring schedules: one small controlled run per schedule, judged by the promises every
run keeps; a failing schedule shrunk to a short reproduction.

A run here is a ``Simulation`` built on a recorder that carries a ``Scheduler``, run to its end
by ``supervise``. Its choices are logged as they are made (the names of the tasks chosen, in
order); ``FollowStrategy`` makes a run take such a list again, leniently: a choice that no
longer fits is skipped, and once the list is used up the current task runs on as long as it
can (then the first runnable one, in the order tasks started). That makes any list a valid
schedule, so shrinking can drop choices freely and keep whatever still fails the same check.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.engine.controlled import supervise
from app.engine.invariants import unit_violations
from app.engine.simulation import Simulation
from app.sync.control import Scheduler, Strategy, Task
from app.trace.recorder import Record, TraceRecorder, bind_thread_name

#: What a run is checked for, in the order a failure is named by the first that fails.
CHECKS = ("hang", "errors", "deadlock", "threads-alive", "exactly-once", "invariants", "assertion")


class Logged:
    """Any strategy, with the name of every task it chose kept in ``chosen``."""

    def __init__(self, inner: Strategy) -> None:
        self.inner = inner
        self.name = inner.name
        self.chosen: list[str] = []

    def choose(self, step: int, runnable: list[Task], current: Task | None) -> Task:
        task = self.inner.choose(step, runnable, current)
        self.chosen.append(task.name)
        return task

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()


class FollowStrategy:
    """Make the listed choices (a task's name each), skipping one that cannot be made; then
    keep the current task running while it can, else the first runnable in start order."""

    name = "follow"

    def __init__(self, choices: Sequence[str], source: dict[str, Any] | None = None) -> None:
        self.choices = list(choices)
        self._next = 0
        self.source = source or {}

    def choose(self, step: int, runnable: list[Task], current: Task | None) -> Task:
        if self._next < len(self.choices):
            want = self.choices[self._next]
            self._next += 1
            for task in runnable:
                if task.name == want:
                    return task
        if current is not None and current in runnable:
            return current
        return runnable[0]

    def describe(self) -> dict[str, Any]:
        return {**self.source, "strategy": "follow", "forced": list(self.choices)}


@dataclass
class Outcome:
    """One schedule's run: what failed (check, message) first, and what it chose."""

    failures: list[tuple[str, str]]
    chosen: list[str]
    steps: int
    sim_s: float
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> str | None:
        """The first failing check's name (None: the run kept every promise)."""
        return self.failures[0][0] if self.failures else None


def judge(
    sim: Simulation,
    reason: str,
    alive: list[str],
    records: Sequence[Record],
    invariants: Callable[[Sequence[Record]], list[str]],
) -> list[tuple[str, str]]:
    """Every promise the run broke, as (check, message), in the order of ``CHECKS``."""
    s = sim.summary()
    out: list[tuple[str, str]] = []
    out += [("errors", f"a worker raised: {e}") for e in s.get("errors") or ()]
    # An escalation (the restart budget spent) is an orderly end when faults caused it (their
    # rates decide it, and exactly-once still holds); with no fault injected, something broke.
    if s.get("escalated") and not s.get("faults"):
        out.append(("errors", f"escalated with no fault injected: {s['escalated']}"))
    if reason == "deadlock" or sim.deadlock is not None:
        why = (sim.deadlock or {}).get("reason", "deadlock")
        out.append(("deadlock", why))
    if alive:
        out.append(("threads-alive", f"still running after the stop: {', '.join(alive)}"))
    out += [("exactly-once", v) for v in unit_violations(s)]
    out += [("invariants", v) for v in invariants(records)]
    # A scene whose units have outcomes (the lab): every one must be ok.
    bad = {k: n for k, n in (s.get("outcomes") or {}).items() if k != "ok"}
    if bad:
        what = ", ".join(f"{n} {k}" for k, n in bad.items())
        out.append(("assertion", f"{what}: {s.get('explanation', '')}".rstrip(": ")))
    order = {c: i for i, c in enumerate(CHECKS)}
    return sorted(out, key=lambda f: order[f[0]])


def run_schedule(
    build: Callable[[TraceRecorder], Simulation],
    strategy: Strategy,
    invariants: Callable[[Sequence[Record]], list[str]],
    *,
    record_choices: bool = False,
    subscribe: Callable[[TraceRecorder], Any] | None = None,
    max_steps: int = 2_000_000,
    hang_s: float = 30.0,
) -> Outcome:
    """One controlled run of the simulation ``build`` makes, under ``strategy``, judged.

    It runs in a thread of its own so that a scene that blocks outside the scheduler (one not
    adopted for controlled mode) is reported as a ``hang`` after ``hang_s`` wall seconds
    instead of hanging the caller; ``max_steps`` bounds a run that never ends.
    """
    logged = Logged(strategy)
    recorder = TraceRecorder(capacity=10_000_000)
    sched = Scheduler(logged, recorder=recorder, record_choices=record_choices)
    recorder.scheduler = sched
    sim = build(recorder)
    if subscribe is not None:
        subscribe(recorder)
    result: dict[str, Any] = {}

    def body() -> None:
        bind_thread_name("main")
        try:
            result["end"] = supervise(sim, interrupted=lambda: sched.steps > max_steps)
        except BaseException as exc:  # reported as the run's failure, never lost
            result["error"] = exc

    runner = threading.Thread(target=body, name="explore-run", daemon=True)
    runner.start()
    runner.join(hang_s)
    if runner.is_alive():  # left behind (a daemon): nothing can stop it from outside the baton
        return Outcome(
            [
                (
                    "hang",
                    f"the run did not end within {hang_s:g} s of wall time: a thread blocks "
                    "outside the scheduler (is the scene adopted for controlled mode?)",
                )
            ],
            logged.chosen,
            sched.steps,
            sched.now,
        )
    if "error" in result:
        exc = result["error"]
        return Outcome([("errors", f"the run raised {exc!r}")], logged.chosen, sched.steps, sched.now)
    reason, alive = result["end"]
    recorder.flush()
    failures = judge(sim, reason, alive, list(recorder.snapshot()), invariants)
    if reason == "interrupted":
        failures.insert(0, ("hang", f"no end after {max_steps} scheduling steps"))
    return Outcome(failures, logged.chosen, sched.steps, sched.now, sim.summary())


def shrink(
    chosen: Sequence[str],
    fails: Callable[[list[str]], bool],
    *,
    budget: int = 300,
    deadline_s: float = 60.0,
) -> tuple[list[str], int]:
    """The shortest list of choices found that still ``fails`` (delta debugging, ddmin
    style: drop the tail, then chunks of halving size, then single choices); returns it and
    how many runs it took. ``fails`` replays a list with ``FollowStrategy``."""
    end = time.monotonic() + deadline_s
    best = list(chosen)
    tries = 0

    def attempt(candidate: list[str]) -> bool:
        nonlocal tries, best
        if tries >= budget or time.monotonic() > end:
            return False
        tries += 1
        if fails(candidate):
            best = candidate
            return True
        return False

    # The shortest failing prefix (a failure needs its choices up to the point it happens).
    full = best
    lo, hi = 0, len(full)
    while lo < hi and tries < budget:
        mid = (lo + hi) // 2
        if attempt(full[:mid]):
            hi = mid
        else:
            lo = mid + 1
    # Then chunks, halving in size.
    size = max(len(best) // 2, 1)
    while best and tries < budget and time.monotonic() < end:
        i, dropped = 0, False
        while i < len(best):
            if attempt(best[:i] + best[i + size :]):
                dropped = True
            else:
                i += size
        if not dropped:
            if size == 1:
                break
            size = max(size // 2, 1)
    return best, tries


__all__ = ["CHECKS", "FollowStrategy", "Logged", "Outcome", "judge", "run_schedule", "shrink"]
