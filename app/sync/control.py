"""Controlled mode: managed threads take turns, one at a time, and a strategy picks who is next.

A seed fixes a scene's durations and faults, but the operating system still picks which thread
runs next, so two runs differ. Here every thread a scene starts is a *task* of a
``Scheduler``; a task runs only while it holds the baton, and gives it up at *scheduling
points*: every lock acquire, condition wait and notify, event set and wait (so every traced
Barrier, Event and Phaser operation, whose internals are these), a simulated sleep, and the
named steps roles mark with ``step()``. The strategy picks the next task among the runnable;
simulated time moves only when none is runnable, to the earliest deadline, so timeouts fire
in simulated time. Same program, seed and strategy: the same interleaving, record for record.

Blocking is never left to the operating system: a task that must wait says what for
(``wait_until(predicate, timeout)``) and hands the baton on; the scheduler wakes it when the
predicate holds or its deadline is the earliest. So scenes take their locks, conditions and
plain events from the factories here (``lock``, ``rlock``, ``condition``, ``flag``): plain
``threading`` objects in free mode, controlled ones when the recorder carries a scheduler.

Threads that are not tasks (the GUI thread placing an order) enter as *guests*: they wait for
the baton, do their one operation and hand it back. That keeps a live run consistent; only a
run whose every input comes from a task (headless: the supervising main thread) replays exactly.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, Protocol

from app.trace.recorder import TraceRecorder, bind_thread_name, thread_name

RUN, BLOCKED, DONE = "run", "blocked", "done"
_tls = threading.local()
_get_ident = threading.get_ident
_never: Callable[[], bool] = lambda: False


class ScheduleDiverged(Exception):
    """A replayed schedule no longer fits the program: the code or the input changed."""


class Task:
    """One managed thread: its state, what it waits for, and its next operation's label."""

    __slots__ = (
        "deadline",
        "expired",
        "gate",
        "guest",
        "label",
        "name",
        "pred",
        "state",
        "timed_out",
    )

    def __init__(self, name: str, guest: bool = False) -> None:
        self.name = name
        self.guest = guest
        self.gate = threading.Lock()  # held while the task must not run; released to grant
        self.gate.acquire()
        self.state = RUN
        self.pred: Callable[[], bool] = _never
        self.deadline: float | None = None
        self.expired = False
        self.timed_out = False
        self.label = "start"

    def __repr__(self) -> str:
        return f"<Task {self.name} {self.state} {self.label!r}>"


class Strategy(Protocol):
    """Picks the next task among two or more runnable ones (in registration order)."""

    name: str

    def choose(self, step: int, runnable: list[Task], current: Task | None) -> Task: ...

    def describe(self) -> dict[str, Any]:
        """What the trace header says about the schedule (enough to make it again)."""


class RandomStrategy:
    """Uniformly at random at every scheduling point: many switches, the widest spread."""

    name = "random"

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._rng = random.Random(seed)

    def choose(self, step: int, runnable: list[Task], current: Task | None) -> Task:
        return runnable[self._rng.randrange(len(runnable))]

    def describe(self) -> dict[str, Any]:
        return {"strategy": self.name, "seed": self.seed}


class PCTStrategy:
    """Probabilistic concurrency testing (Burckhardt et al., 2010): random distinct priorities,
    the highest runnable runs; at ``depth - 1`` random steps the running task drops to the
    lowest priority. Finds any bug of depth ``d`` with probability at least 1/(n k^(d-1))."""

    name = "pct"

    def __init__(self, seed: int, depth: int = 3, steps: int = 2000) -> None:
        self.seed, self.depth, self.steps = seed, depth, max(1, steps)
        self._rng = random.Random(seed)
        self._prio: dict[str, float] = {}
        self._changes = sorted(self._rng.sample(range(self.steps), min(self.depth - 1, self.steps)))
        self._low = 0.0

    def _priority(self, task: Task) -> float:
        p = self._prio.get(task.name)
        if p is None:
            p = self._prio[task.name] = 1.0 + self._rng.random()
        return p

    def choose(self, step: int, runnable: list[Task], current: Task | None) -> Task:
        while self._changes and self._changes[0] <= step:
            self._changes.pop(0)
            if current is not None:
                self._low -= 1.0
                self._prio[current.name] = self._low  # lower than everyone so far
        return max(runnable, key=self._priority)

    def describe(self) -> dict[str, Any]:
        # "horizon": the steps its priority changes are spread over (not the run's own steps).
        return {"strategy": self.name, "seed": self.seed, "depth": self.depth, "horizon": self.steps}


class POSStrategy:
    """Partial order sampling (Yuan et al., 2018): every pending operation has a random
    priority, the highest runs; after it, the operations that touch the same object (the
    same label target) get fresh priorities, so racing operations are reordered fairly."""

    name = "pos"

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._rng = random.Random(seed)
        self._prio: dict[str, tuple[str, float]] = {}  # task -> (label it was drawn for, prio)

    def _priority(self, task: Task) -> float:
        got = self._prio.get(task.name)
        if got is None or got[0] != task.label:
            got = self._prio[task.name] = (task.label, self._rng.random())
        return got[1]

    def choose(self, step: int, runnable: list[Task], current: Task | None) -> Task:
        chosen = max(runnable, key=self._priority)
        target = _target(chosen.label)
        for t in runnable:  # the racing operations: redraw (the chosen one moves on anyway)
            if t is not chosen and target and _target(t.label) == target:
                self._prio.pop(t.name, None)
        self._prio.pop(chosen.name, None)
        return chosen

    def describe(self) -> dict[str, Any]:
        return {"strategy": self.name, "seed": self.seed}


def _target(label: str) -> str:
    """``"acquire lock:kitchen"`` -> ``"lock:kitchen"``: the object an operation touches."""
    return label.partition(" ")[2]


class ReplayStrategy:
    """Makes the choices a trace recorded, in order; says where the program no longer fits."""

    name = "replay"

    def __init__(self, choices: list[dict[str, Any]], source: dict[str, Any] | None = None) -> None:
        self._choices = deque(choices)
        self.source = source or {}
        self.total = len(choices)

    def choose(self, step: int, runnable: list[Task], current: Task | None) -> Task:
        names = [t.name for t in runnable]
        if not self._choices:
            raise ScheduleDiverged(
                f"diverged at step {step}: the trace's {self.total} choices are used up, "
                f"and {', '.join(names)} could run"
            )
        want = self._choices.popleft()
        if want.get("of") not in (None, names) or want["chose"] not in names:
            raise ScheduleDiverged(
                f"diverged at step {step} (trace seq {want.get('seq', '?')}): the trace chose "
                f"{want['chose']} among {', '.join(want.get('of') or [])}; "
                f"this run can pick among {', '.join(names)}"
            )
        return runnable[names.index(want["chose"])]

    def describe(self) -> dict[str, Any]:
        return {**self.source, "replayed": True}


STRATEGIES = ("random", "pct", "pos")


def make_strategy(name: str, seed: int, **options: Any) -> Strategy:
    """A strategy by its CLI name (``random``, ``pct``, ``pos``); ValueError for others."""
    if name == "random":
        return RandomStrategy(seed)
    if name == "pct":
        return PCTStrategy(seed, **options)
    if name == "pos":
        return POSStrategy(seed)
    raise ValueError(f"schedule must be one of {', '.join(STRATEGIES)}, got {name!r}")


class Scheduler:
    """Hands one baton among the tasks; the strategy decides at every point with a choice.

    ``now`` is simulated time: it only moves when no task can run. ``pace()`` (seconds of
    simulated time per wall second, or None for "as fast as possible") lets a window watch a
    controlled run at a human speed: idle time then passes in wall time too.
    """

    def __init__(
        self,
        strategy: Strategy,
        *,
        recorder: TraceRecorder | None = None,
        record_choices: bool = True,
    ) -> None:
        self.strategy = strategy
        self._described = strategy.describe()  # kept when a diverged replay goes on at random
        self._mu = threading.Lock()
        self._tasks: list[Task] = []  # live tasks in registration order
        self._guests: deque[Task] = deque()  # threads waiting to enter for one operation
        self._current: Task | None = None
        self.now = 0.0
        self.steps = 0  # scheduling points passed
        self.choices = 0  # points where two or more could run
        self.recorder = recorder
        self._record_choices = record_choices and recorder is not None
        if recorder is not None:
            recorder.hold_sim_time(0.0)  # records carry simulated time from the first
        self.pace: Callable[[], float | None] = lambda: None
        self.diverged: str | None = None
        #: Paced runs: the timekeeper thread moves time when no task can run (``_keep_time``).
        self._tick = threading.Condition(self._mu)
        self._wake_at: float | None = None
        #: (wall, simulated time, speed) when the timekeeper began pacing toward ``_wake_at``.
        self._paced_from: tuple[float, float, float] | None = None
        self._timekeeper: threading.Thread | None = None
        #: Held: at every choice the run stops until ``step_once`` (a window stepping it).
        self.holding = False
        #: The tasks that could run at the choice the run is held at (empty when not held).
        self.held: list[str] = []
        #: Steps asked for while a guest held the baton at a held choice: made when it leaves.
        self._deferred: list[str | None] = []
        #: Called (under the scheduler's lock, from whichever thread) when a choice is held.
        self.on_held: Callable[[list[str]], None] | None = None
        #: The thread checking predicates right now (0: none). Operations a predicate makes
        #: run inline in that thread; any other thread is unaffected by it.
        self._evaluator = 0

    # -- tasks ------------------------------------------------------------------------------
    def register(self, name: str) -> Task:
        """A task for a thread about to start (called by the spawning thread, so in order)."""
        with self._mu:
            task = Task(name)
            self._tasks.append(task)
            if self._current is None:  # nothing runs (an unmanaged thread starts the run)
                self._grant(task)
            return task

    def run_task(self, task: Task, body: Callable[[], None]) -> None:
        """The body of a managed thread: wait for the first turn, run, hand on at the end."""
        _tls.task, _tls.scheduler = task, self
        task.gate.acquire()
        try:
            body()
        finally:
            self._end(task)
            _tls.task = _tls.scheduler = None

    @contextmanager
    def attach(self, name: str) -> Iterator[Task]:
        """Make the calling thread a task for the block (a headless run's supervisor)."""
        task = self.register(name)
        _tls.task, _tls.scheduler = task, self
        was = thread_name()
        bind_thread_name(name)  # its records carry the task's name
        task.gate.acquire()
        try:
            yield task
        finally:
            self._end(task)
            _tls.task = _tls.scheduler = None
            bind_thread_name(was)

    def _end(self, task: Task) -> None:
        with self._mu:
            task.state = DONE
            task.label = "ended"
            if task in self._tasks:
                self._tasks.remove(task)
                if not self._tasks:
                    self._tick.notify_all()  # the timekeeper has nothing left to wake
            if self._current is task:
                self._handoff(None)

    def is_managed(self) -> bool:
        task = getattr(_tls, "task", None)
        return task is not None and task.state != DONE

    def tasks(self) -> list[dict[str, Any]]:
        """A snapshot for views: each task's name, state, next operation and deadline.

        Wait predicates are evaluated only while the run is parked (no task holds the
        baton): while a task runs, the state they read is changing under them. Otherwise a
        blocked task shows as not runnable."""
        with self._mu:
            parked = self._current is None
            return [
                {
                    "name": t.name,
                    "state": t.state,
                    "label": t.label,
                    "deadline": t.deadline,
                    "runnable": t.state == RUN or (parked and t.state == BLOCKED and self._ready(t)),
                    "current": t is self._current,
                }
                for t in self._tasks
            ]

    def stuck(self, but: Task | None = None) -> list[Task]:
        """Tasks (other than ``but``) blocked for good: nothing they wait for holds, no
        deadline. Empty unless every other task is in that state (then: a deadlock)."""
        with self._mu:
            others = [t for t in self._tasks if t is not but]
            if any(t.state == RUN or t.deadline is not None or self._ready(t) for t in others):
                return []
            return others

    # -- scheduling points ------------------------------------------------------------------
    def point(self, label: str) -> None:
        """A scheduling point: the strategy may let another task run before this one goes on."""
        task = getattr(_tls, "task", None)
        if task is None or task.guest or self._evaluator == _get_ident():
            return  # a guest does its one operation without giving way
        with self._mu:
            task.label = label
            self.steps += 1
            nxt = self._pick(task)
            if nxt is task:
                return
            self._grant(nxt)
        task.gate.acquire()

    def wait_until(self, pred: Callable[[], bool], timeout: float | None = None, label: str = "wait") -> bool:
        """Block until ``pred()`` holds (True) or ``timeout`` simulated seconds pass (False).

        ``pred`` reads shared state only (no locks): it is checked while every task is parked.
        """
        if self._evaluator == _get_ident():
            return pred()  # inside a predicate (any thread, task or not): no waiting there
        task = getattr(_tls, "task", None)
        if task is None:
            return self._guest(lambda: self.wait_until(pred, timeout, label))
        with self._mu:
            task.label = label
            task.state = BLOCKED
            task.pred = pred
            task.deadline = None if timeout is None else self.now + max(timeout, 0.0)
            task.expired = False
            self.steps += 1
            nxt = self._pick(task)
            if nxt is not task:
                self._grant(nxt)
                wait = True
            else:
                wait = False
        if wait:
            task.gate.acquire()
        return not task.timed_out

    def sleep(self, seconds: float, label: str = "sleep") -> None:
        self.wait_until(_never, seconds, label)

    def _guest(self, op: Callable[[], Any]) -> Any:
        task = Task(thread_name(), guest=True)
        with self._mu:
            if self._current is None:
                self._idle_ends()
                self._current = task
                self._tasks.append(task)
                entered = True
            else:
                self._guests.append(task)
                entered = False
        if not entered:
            task.gate.acquire()
        _tls.task, _tls.scheduler = task, self
        try:
            return op()
        finally:
            _tls.task = _tls.scheduler = None
            self._end(task)

    # -- the baton --------------------------------------------------------------------------
    def _grant(self, task: Task | None) -> None:
        self._current = task
        if task is not None:
            self._idle_ends()
            task.gate.release()

    def _idle_ends(self) -> None:
        """Someone takes the baton while the timekeeper paces (under the lock): the time paced
        so far has passed, the rest is not waited for (a new wait says what it waits for)."""
        if self._paced_from is None:
            return
        wall0, sim0, speed = self._paced_from
        self._paced_from = None
        if self._wake_at is not None:
            self._set_now(min(self._wake_at, sim0 + (time.monotonic() - wall0) * speed))
        self._wake_at = None
        self._tick.notify_all()

    def _handoff(self, leaving: Task | None) -> None:
        """The current task ended: pick the next (under the lock)."""
        self._grant(self._pick(leaving))

    def _ready(self, task: Task) -> bool:
        return task.expired or self._holds(task)

    def _holds(self, task: Task) -> bool:
        """What the task waits for holds (checked in this thread: see ``_evaluator``)."""
        self._evaluator = _get_ident()
        try:
            return task.pred()
        finally:
            self._evaluator = 0

    def _pick(self, me: Task | None) -> Task | None:
        """The next task to hold the baton (under the lock). None: nothing can run now, or
        the run is held at a choice (``step_once`` makes it)."""
        while True:
            if self._guests:
                guest = self._guests.popleft()
                self._tasks.append(guest)
                return guest
            runnable = self._runnable()
            if runnable:
                if len(runnable) == 1:
                    return self._take(runnable[0])
                # A guest waiting for something (a lock a held task has) suspends the hold:
                # the window's own calls never wait for a step.
                if self.holding and not any(t.guest for t in self._tasks):
                    if self._deferred:
                        self.held = []
                        return self._take(self._choose(runnable, me, self._deferred.pop(0)))
                    self.held = [t.name for t in runnable]
                    if self.on_held is not None:
                        with suppress(Exception):  # a gone window must not stop the run
                            self.on_held(self.held)
                    return None
                return self._take(self._choose(runnable, me))
            timed = [t for t in self._tasks if t.state == BLOCKED and t.deadline is not None]
            if not timed:
                return None
            due = min(t.deadline for t in timed if t.deadline is not None)
            if self.pace() is not None and due > self.now:
                # Paced: the time passes in wall time too, in the timekeeper's thread. No task
                # holds the baton meanwhile, so a guest (the window) never waits for it.
                self._wake_at = due
                self._ensure_timekeeper()
                self._tick.notify_all()
                return None
            self._expire(due)

    def _expire(self, due: float) -> None:
        """Move simulated time to ``due``; the tasks whose deadline it reaches may run."""
        self._set_now(due)
        for t in self._tasks:
            if t.state == BLOCKED and t.deadline is not None and t.deadline <= self.now:
                t.expired = True

    def _runnable(self) -> list[Task]:
        self._evaluator = _get_ident()
        try:
            return [
                t for t in self._tasks if t.state == RUN or (t.state == BLOCKED and (t.expired or t.pred()))
            ]
        finally:
            self._evaluator = 0

    def _take(self, chosen: Task) -> Task:
        if chosen.state == BLOCKED:
            chosen.timed_out = chosen.expired and not self._holds(chosen)
            chosen.state = RUN
            chosen.pred = _never
            chosen.deadline = None
            chosen.expired = False
        return chosen

    def _choose(self, runnable: list[Task], me: Task | None, pick: str | None = None) -> Task:
        self.choices += 1
        names = [t.name for t in runnable]
        if pick in names:
            chosen = runnable[names.index(pick)]
        else:
            try:
                chosen = self.strategy.choose(self.steps, runnable, me)
            except ScheduleDiverged as exc:
                self.diverged = str(exc)
                self.strategy = RandomStrategy(0)  # go on, so the run can be stopped in order
                chosen = runnable[0]
                if self.recorder is not None:
                    self.recorder.record("sched.diverged", step=self.steps, reason=str(exc))
        if self._record_choices and self.recorder is not None:
            self.recorder.emit(
                {
                    "seq": 0,
                    "ts": 0.0,
                    "sim": 0.0,
                    "thread": "",
                    "kind": "sched.choice",
                    "step": self.steps,
                    "chose": chosen.name,
                    "of": names,
                }
            )
        return chosen

    # -- stepping a live run -----------------------------------------------------------------
    def hold(self) -> None:
        """Stop at the next choice (a window's pause in controlled mode)."""
        with self._mu:
            self.holding = True

    def release(self) -> None:
        """Run on by the strategy alone (and make the choice the run is held at, if any)."""
        with self._mu:
            self.holding = False
            self._deferred.clear()
            if self._current is None and self.held:
                self.held = []
                self._grant(self._pick(None))

    def step_once(self, pick: str | None = None) -> str | None:
        """Make the choice a held run waits at: by the strategy, or ``pick`` (a task's name)
        if it can run. Returns who was chosen (None: the run is not held at a choice; the
        pick, or "" for the strategy's, when a guest is in and the step waits for it)."""
        with self._mu:
            if not self.held:
                return None
            if self._current is not None:  # a guest is in: the step is made when it leaves
                self._deferred.append(pick)
                return pick or ""
            runnable = self._runnable()
            self.held = []
            if not runnable:
                self._grant(self._pick(None))
                return None
            chosen = self._take(self._choose(runnable, None, pick) if len(runnable) > 1 else runnable[0])
            self._grant(chosen)
            return chosen.name

    def _ensure_timekeeper(self) -> None:
        if self._timekeeper is None:
            self._timekeeper = threading.Thread(target=self._keep_time, name="timekeeper", daemon=True)
            self._timekeeper.start()

    def _keep_time(self) -> None:
        """Paced runs: when no task can run, let the wall clock catch up with the earliest
        deadline, then wake its task. A guest or a speed change cuts the wait short."""
        with self._mu:
            while True:
                if not self._tasks and not self._guests:
                    self._timekeeper = None  # nothing left to wake: started again on demand
                    self._wake_at = None
                    return
                due = self._wake_at
                if due is None or self._current is not None:
                    self._tick.wait(0.5)
                    continue
                speed = self.pace()
                if speed is not None and due > self.now:
                    start_wall, start_sim = time.monotonic(), self.now
                    self._paced_from = (start_wall, start_sim, speed)
                    self._tick.wait((due - start_sim) / speed)
                    if self._paced_from is None:  # a task or guest took over: _idle_ends
                        continue
                    self._paced_from = None
                    reached = start_sim + (time.monotonic() - start_wall) * speed
                    if self._wake_at != due or reached < due:
                        self._set_now(min(due, reached))  # time passed, but not all of it
                        continue
                self._wake_at = None
                self._expire(due)
                self._grant(self._pick(None))

    def _set_now(self, now: float) -> None:
        if now > self.now:
            self.now = now
            if self.recorder is not None:
                self.recorder.hold_sim_time(now)

    def nudge(self) -> None:
        """Cut a pacing wait short (the speed changed): the timekeeper looks again."""
        with self._mu:
            self._tick.notify_all()

    def describe(self) -> dict[str, Any]:
        return self._described


# -- primitives: plain ``threading`` in free mode, controlled under a scheduler ------------------
def scheduler_of(recorder: TraceRecorder | None) -> Scheduler | None:
    return getattr(recorder, "scheduler", None)


def step(label: str) -> None:
    """A named scheduling point in role code (nothing in free mode or outside a task)."""
    sched = getattr(_tls, "scheduler", None)
    if sched is not None:
        sched.point(f"step {label}")


def _outside(sched: Scheduler) -> bool:
    """True in a thread that is not a task (it must enter as a guest for an operation)."""
    return getattr(_tls, "task", None) is None and sched._evaluator != _get_ident()


class CLock:
    """A lock whose waits are the scheduler's: acquire is a scheduling point."""

    def __init__(self, sched: Scheduler, name: str = "lock", reentrant: bool = False) -> None:
        self._s = sched
        self.name = name
        self._owner: int | None = None
        self._count = 0
        self._reentrant = reentrant
        self._label = f"acquire {name}"

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        s = self._s
        if _outside(s):
            return bool(s._guest(lambda: self.acquire(blocking, timeout)))
        me = threading.get_ident()
        if self._reentrant and self._owner == me:
            self._count += 1
            return True
        s.point(self._label)
        if self._owner is not None:
            if not blocking:
                return False
            ok = s.wait_until(self._free, None if timeout < 0 else timeout, self._label)
            if not ok:
                return False
        self._owner = me
        self._count = 1
        return True

    def _free(self) -> bool:
        return self._owner is None

    def release(self) -> None:
        if self._owner != threading.get_ident():
            raise RuntimeError("cannot release un-acquired lock")
        if _outside(self._s):
            self._s._guest(self.release)  # under the baton, so a task waiting for it wakes
            return
        self._count -= 1
        if not self._count:
            self._owner = None

    def locked(self) -> bool:
        return self._owner is not None

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    # What Condition needs: let go entirely for a wait, take back the same depth after it.
    def _release_save(self) -> int:
        count, self._count, self._owner = self._count, 0, None
        return count

    def _acquire_restore(self, count: int) -> None:
        if self._owner is not None:
            self._s.wait_until(self._free, None, self._label)
        self._owner = threading.get_ident()
        self._count = count

    def _is_owned(self) -> bool:
        return self._owner == threading.get_ident()


class CCondition:
    """``threading.Condition`` over a ``CLock``: waits and notifies are the scheduler's."""

    def __init__(self, sched: Scheduler, lock: CLock | None = None, name: str = "condition") -> None:
        self._s = sched
        self._lock = lock if lock is not None else CLock(sched, name, reentrant=True)
        self._waiters: deque[list[bool]] = deque()
        self.name = name
        self._label = f"wait {name}"

    def __enter__(self) -> bool:
        return self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return self._lock.acquire(blocking, timeout)

    def release(self) -> None:
        self._lock.release()

    def wait(self, timeout: float | None = None) -> bool:
        if not self._lock._is_owned():
            raise RuntimeError("cannot wait on un-acquired lock")
        if _outside(self._s):
            return bool(self._s._guest(lambda: self.wait(timeout)))
        token = [False]
        self._waiters.append(token)
        saved = self._lock._release_save()
        try:
            ok = self._s.wait_until(lambda: token[0], timeout, self._label)
        finally:
            if not token[0]:  # removed by identity: every unwoken token equals [False]
                for i, waiter in enumerate(self._waiters):
                    if waiter is token:
                        del self._waiters[i]
                        break
            self._lock._acquire_restore(saved)
        return ok

    def wait_for(self, predicate: Callable[[], Any], timeout: float | None = None) -> Any:
        end = None if timeout is None else self._s.now + timeout
        result = predicate()
        while not result:
            left = None
            if end is not None:
                left = end - self._s.now
                if left <= 0:
                    break
            self.wait(left)
            result = predicate()
        return result

    def notify(self, n: int = 1) -> None:
        if not self._lock._is_owned():
            raise RuntimeError("cannot notify on un-acquired lock")
        while self._waiters and n > 0:
            self._waiters.popleft()[0] = True
            n -= 1

    def notify_all(self) -> None:
        self.notify(len(self._waiters))


class CFlag:
    """``threading.Event`` under the scheduler: ``set`` is a scheduling point, ``wait`` blocks
    in simulated time."""

    def __init__(self, sched: Scheduler, name: str = "event") -> None:
        self._s = sched
        self._flag = False
        self.name = name
        self._set_label = f"set {name}"
        self._wait_label = f"wait {name}"

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        s = self._s
        if _outside(s):
            s._guest(self.set)
            return
        s.point(self._set_label)
        self._flag = True

    def clear(self) -> None:
        self._flag = False

    def _is_up(self) -> bool:
        return self._flag

    def wait(self, timeout: float | None = None) -> bool:
        if self._flag:
            return True
        if _outside(self._s):
            return bool(self._s._guest(lambda: self.wait(timeout)))
        return self._s.wait_until(self._is_up, timeout, self._wait_label)


def lock(recorder: TraceRecorder | None = None, name: str = "lock") -> Any:
    """``threading.Lock()``, or a controlled lock when ``recorder`` carries a scheduler."""
    sched = scheduler_of(recorder)
    return threading.Lock() if sched is None else CLock(sched, name)


def rlock(recorder: TraceRecorder | None = None, name: str = "lock") -> Any:
    sched = scheduler_of(recorder)
    return threading.RLock() if sched is None else CLock(sched, name, reentrant=True)


def condition(lock: Any = None, recorder: TraceRecorder | None = None, name: str = "condition") -> Any:
    """``threading.Condition(lock)``, controlled under a scheduler (``lock`` from ``lock()``)."""
    sched = scheduler_of(recorder)
    if sched is None:
        return threading.Condition(lock)
    return CCondition(sched, lock, name)


def flag(recorder: TraceRecorder | None = None, name: str = "event") -> Any:
    """A plain ``threading.Event`` (untraced), controlled under a scheduler."""
    sched = scheduler_of(recorder)
    return threading.Event() if sched is None else CFlag(sched, name)


__all__ = [
    "STRATEGIES",
    "CCondition",
    "CFlag",
    "CLock",
    "PCTStrategy",
    "POSStrategy",
    "RandomStrategy",
    "ReplayStrategy",
    "ScheduleDiverged",
    "Scheduler",
    "Strategy",
    "condition",
    "flag",
    "lock",
    "make_strategy",
    "rlock",
    "scheduler_of",
    "step",
]
