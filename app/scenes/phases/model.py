"""Phased computation: workers pass a list of phases together, a barrier per phase.

One *run* is one pass of every worker through every phase: the scene's unit of work.
``feed(n)`` places ``n`` more runs; each ends exactly once, *served* when the action of its
last phase completes it, or *cancelled*: the run that passes the retry limit, and every run
not completed when the scene stops (``run.placed``, ``run.completed``, ``run.cancelled``
carry the counts). In each phase every worker does its share of the work (simulated time,
seeded), then waits at that phase's barrier. The barrier's *action*
runs in the last worker to arrive, before anyone is released: it marks the phase complete
and measures how long each worker waited for the last one. The action of the aggregate
phase also sums the workers' partial results, so the aggregation runs exactly once per run
and in exactly one thread (the arrival with index ``parties - 1``), never in "index 0".

Each phase before the aggregate phase adds a seeded value to each worker's partial result.
The value depends only on the seed, the worker and the phase (``partial_value``), never
on timing, so a run's aggregate always equals ``expected_aggregate(config)``.

Waiting time is simulated time: a phase's clock starts when it opens, a worker arrives
after its work (``d`` simulated seconds) and everyone leaves when the last arrives, so a
worker waits ``max(d) - d``. The action computes it from the work each worker reports, so
it is the same at any speed (also at "max", where no simulated time passes on the wall).

Faults, per phase attempt from the plan (a function of seed, run, phase and attempt) or on
demand for one worker:
* crash: the worker's code raises mid-phase. It aborts the phase's barrier (the others
  leave at once with ``BrokenBarrierError``), the phase's partial results are taken back,
  the supervisor restarts the worker after a backoff (a new thread), and the phase is
  retried from its start by all workers. The phases already completed are not redone.
  A phase retried more than ``max_retries`` times fails the run: it is cancelled and the
  scene shuts down in order (exit 1 headless). Restarts also count against the restart
  budget (N in T seconds), which escalates the same way when spent.
* slow: a straggler; its work in the phase takes ``slow_x`` times as long, and the others'
  waiting for it shows in the phase's waiting time.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import Counter, deque
from dataclasses import dataclass, field

from app.engine.budget import RestartBudget, RestartPolicy
from app.engine.clock import SimClock
from app.engine.faults import Fault, FaultPlan, SpecError, round_rng
from app.engine.simulation import Simulation
from app.engine.workers import WorkerHost
from app.sync import Barrier, BrokenBarrierError, control
from app.trace.recorder import TraceRecorder

FAULT_KINDS = ("crash", "slow")
MIN_WORKERS, MAX_WORKERS = 1, 16
MIN_PHASES, MAX_PHASES = 2, 8
MAX_RUNS = 1_000_000
MAX_RETRIES = 20
PHASE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,15}")

# Worker states, as the views show them.
IDLE, WORKING, AT_BARRIER, CRASHED, RESTARTING, STOPPED = (
    "between phases",
    "working",
    "at barrier",
    "crashed",
    "restarting",
    "stopped",
)


class WorkerCrash(Exception):
    """The injected fault: a worker's code raises mid-phase."""


@dataclass(frozen=True)
class Phase:
    name: str
    duration_s: tuple[float, float] = (0.5, 1.5)  # simulated seconds of one worker's share


DEFAULT_PHASES = (
    Phase("load", (0.4, 1.2)),
    Phase("process", (0.8, 2.0)),
    Phase("aggregate", (0.3, 0.8)),
    Phase("cleanup", (0.2, 0.6)),
)


@dataclass(frozen=True)
class PhasesConfig:
    workers: int = 4
    runs: int = 5  # asked for when the scene starts (a headless run's length)
    phases: tuple[Phase, ...] = DEFAULT_PHASES
    aggregate: str = "aggregate"  # the phase whose barrier action sums the partial results
    slow_x: float = 3.0  # a straggler's work takes this many times as long
    max_retries: int = 3  # per phase and run; one more break fails the run
    #: A deadline only (no fault relies on it): a crash aborts the barrier, a straggler is
    #: waited for. Simulated seconds; at speed "max" ``max_speed_timeout_s`` wall seconds.
    barrier_timeout_s: float = 60.0
    max_speed_timeout_s: float = 5.0
    faults: FaultPlan = field(default_factory=lambda: FaultPlan(FAULT_KINDS))
    restart: RestartPolicy = field(default_factory=RestartPolicy)
    seed: int = 0

    def __post_init__(self) -> None:
        if not MIN_WORKERS <= self.workers <= MAX_WORKERS:
            raise SpecError(f"workers must be from {MIN_WORKERS} to {MAX_WORKERS}, got {self.workers}")
        if not 0 <= self.runs <= MAX_RUNS:
            raise SpecError(f"runs must be from 0 to {MAX_RUNS}, got {self.runs}")
        if not MIN_PHASES <= len(self.phases) <= MAX_PHASES:
            raise SpecError(f"a run has {MIN_PHASES} to {MAX_PHASES} phases, got {len(self.phases)}")
        names = [p.name for p in self.phases]
        for name in names:
            if not PHASE_NAME.fullmatch(name):
                raise SpecError(
                    f"phase name {name!r}: use 1 to 16 lowercase letters, digits, '-' or '_', "
                    "starting with a letter"
                )
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise SpecError(f"phase {dup!r} is named twice")
        if self.aggregate not in names:
            raise SpecError(
                f"the aggregate phase {self.aggregate!r} is not one of the phases ({', '.join(names)})"
            )
        if names.index(self.aggregate) == 0:
            raise SpecError(
                f"the aggregate phase {self.aggregate!r} needs a phase before it to produce partials"
            )
        if not 1 < self.slow_x <= 10:
            raise SpecError(f"slow_x must be above 1 and at most 10, got {self.slow_x:g}")
        if not 0 <= self.max_retries <= MAX_RETRIES:
            raise SpecError(f"max_retries must be from 0 to {MAX_RETRIES}, got {self.max_retries}")
        for p in self.phases:
            lo, hi = p.duration_s
            if not 0 < lo <= hi <= 60:
                raise SpecError(f"phase {p.name!r}: duration must be positive, ordered, at most 60 s")
            if hi * self.slow_x >= self.barrier_timeout_s:
                raise SpecError(
                    f"phase {p.name!r}: a straggler's longest share ({hi * self.slow_x:g} s) must be "
                    f"shorter than barrier_timeout_s ({self.barrier_timeout_s:g} s)"
                )

    @property
    def phase_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.phases)

    @property
    def aggregate_index(self) -> int:
        return self.phase_names.index(self.aggregate)


def worker_label(n: int) -> str:
    return f"W{n}"


def partial_value(seed: int, worker: int, phase: int) -> int:
    """What worker ``worker`` (1-based) adds to its partial result in phase ``phase``
    (0-based): a function of these three only, never of timing or attempts."""
    return 10 + int(round_rng(seed, worker, phase).random() * 90)


def partial_of(config: PhasesConfig, worker: int) -> int:
    """A worker's whole partial result: its values from every phase before the aggregate."""
    return sum(partial_value(config.seed, worker, p) for p in range(config.aggregate_index))


def expected_aggregate(config: PhasesConfig) -> int:
    """What every run's aggregate must come to: the sum of the workers' partial results."""
    return sum(partial_of(config, w) for w in range(1, config.workers + 1))


@dataclass
class Slot:
    """One worker position; its thread is replaced when it crashes and is restarted."""

    n: int  # 1-based
    thread: str = ""
    state: str = IDLE
    alive: bool = False
    pending: str = ""  # a fault asked for on demand, taken at the next chance
    last_step: int = 0  # serial of the last phase attempt it left


@dataclass
class Run:
    number: int
    phase: int = 0  # index of the phase under way
    retries: Counter[int] = field(default_factory=Counter)  # per phase index
    partials: dict[int, dict[int, int]] = field(default_factory=dict)  # worker -> phase -> value
    aggregate: int | None = None


@dataclass
class Step:
    """One attempt at one phase of one run; every worker is a member."""

    serial: int
    run: Run
    phase: int
    attempt: int
    barrier: Barrier
    fault: Fault | None
    work: dict[int, float] = field(default_factory=dict)  # worker -> simulated seconds of work
    exits: set[int] = field(default_factory=set)
    crashed: list[int] = field(default_factory=list)
    passed: bool = False  # set by the barrier action
    broken: bool = False
    cause: str = ""
    #: Set (under the scene lock) when the attempt is given up: working workers stop at once.
    abandoned: bool = False

    def abandon(self, cause: str) -> None:
        if not self.broken:
            self.broken, self.cause = True, cause
        self.abandoned = True


class PhasedComputation(Simulation):
    scenario = "phases"
    end_reason = "all runs done"

    def __init__(
        self,
        config: PhasesConfig | None = None,
        *,
        clock: SimClock | None = None,
        recorder: TraceRecorder | None = None,
        host: WorkerHost | None = None,
    ) -> None:
        super().__init__(clock=clock, recorder=recorder, host=host)
        self.config = config or PhasesConfig()
        c = self.config
        self.slots = {n: Slot(n) for n in range(1, c.workers + 1)}
        self.expected = expected_aggregate(c)
        # One barrier per phase, reused run after run; its action marks the phase complete.
        self.barriers = tuple(
            Barrier(
                c.workers,
                action=self._phase_action,
                name=f"phase-{p.name}",
                recorder=self.recorder,
            )
            for p in c.phases
        )
        # The table lock guards the run counters and the measurements. It is the innermost
        # lock: the barrier action takes it while holding the barrier's lock, so code holding
        # it takes no other (the scene lock may be held while taking it, never the reverse).
        self._table = threading.Lock()
        self.asked = 0
        self.served = 0
        self.cancelled = 0
        self.cancel_reasons: Counter[str] = Counter()
        self.runs_started = 0
        self.phases_completed = 0
        self.completed_by_phase = [0] * len(c.phases)
        self.wait_by_phase = [0.0] * len(c.phases)  # simulated seconds, all workers, all runs
        self.wait_by_worker = [0.0] * c.workers
        self.retries_by_phase = [0] * len(c.phases)
        self.aggregations = 0
        self.last_aggregate: int | None = None
        self.wrong_aggregates = 0
        self.failed_run = ""
        self.violations: list[str] = []
        self._accounts_closed = False
        self._run: Run | None = None
        self._step: Step | None = None
        self._serials = itertools.count(1)
        self._budget = RestartBudget(c.restart)
        self._demand_rng = round_rng(c.seed, "demand")
        self._restarts_due: deque[Slot] = deque()
        # The supervisor sleeps on a condition of its own (same lock), so the workers'
        # step-by-step notifications never wake it.
        self._supervisor_cv = control.condition(self._lock, self.recorder, "cond:supervisor")
        self._stop_barrier: Barrier | None = None  # the barrier a shutdown must break
        self.faults: Counter[str] = Counter()
        self._faults_lock = threading.Lock()
        self.broken_steps = 0
        self.escalated = ""
        self.started = False

    # -- public controls (any thread) -----------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self.started:
                return
            self.started = True
            for slot in self.slots.values():
                self._start_worker(slot)
            self.spawn("supervisor", self._supervise, role="supervisor")
        self.feed(self.config.runs)

    def feed(self, units: int = 1) -> None:
        """Ask for ``units`` more runs; after a shutdown they are cancelled at once."""
        if units <= 0:
            return
        with self._table:
            self.asked += units
            refused = ""
            if self._accounts_closed or self.shutting_down:
                refused = self.shutdown_reason or "stopped"
            # Recorded under the table lock: the trace never shows a run cancelled before
            # it was placed.
            self.recorder.record("run.placed", count=units, total=self.asked)
            if refused:
                self._cancel_locked(units, refused)
        if refused:
            return
        with self._lock:
            self._cv.notify_all()

    def inject(self, kind: str, target: str | None = None) -> str:
        """Ask for a fault for one worker; returns its label ("W2").

        It hits the worker mid-phase if it is working, else in its next phase. ``target``
        is a worker number or label; None picks one at random (seeded).
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r} (known: {', '.join(FAULT_KINDS)})")
        with self._lock:
            if self.shutting_down:
                raise ValueError("the computation has stopped")
            alive = [s.n for s in self.slots.values() if s.alive or not self.started]
            if target is None:
                free = [n for n in alive if not self.slots[n].pending]
                if not free:
                    raise ValueError("every worker already has a fault on the way")
                n = free[int(self._demand_rng.random() * len(free))]
            else:
                n = self._worker_number(target)
                if n not in alive:
                    raise ValueError(f"{worker_label(n)} is {self.slots[n].state}")
            slot = self.slots[n]
            if slot.pending:
                raise ValueError(f"{worker_label(n)} already has a {slot.pending} on the way")
            slot.pending = kind
            self._cv.notify_all()
            return worker_label(n)

    def _worker_number(self, target: str) -> int:
        text = target.strip().upper().removeprefix("W")
        if text.isdigit() and int(text) in self.slots:
            return int(text)
        raise ValueError(f"no worker {target!r} (1 to {len(self.slots)})")

    def finished(self) -> bool:
        """True once every run asked for is done or cancelled, or the scene is stopping."""
        if self.shutting_down:
            return True
        with self._table:
            return self.started and self.served + self.cancelled == self.asked

    @property
    def restarts(self) -> int:
        return self._budget.total

    @property
    def current_step(self) -> Step | None:
        return self._step

    # -- the worker role --------------------------------------------------------------------
    def _start_worker(self, slot: Slot) -> None:
        """Call with the scene lock held."""
        name = self.unique_name(f"worker-{slot.n}")
        slot.thread, slot.alive, slot.state = name, True, IDLE
        self.spawn_named(name, lambda: self._worker(slot, name), worker=slot.n)
        self._cv.notify_all()

    def _worker(self, slot: Slot, me: str) -> None:
        leaving: tuple[Step, bool] | None = None
        try:
            while True:
                step = self._next_step(slot, leaving)
                leaving = None
                if step is None:
                    return
                leaving = self._do_step(slot, step)
        except WorkerCrash as exc:
            self._crashed(slot, exc)
        except BaseException:
            with self._lock:
                step = self._step
                if step is not None and slot.n not in step.exits:
                    self._leave_locked(slot, step, ok=False, cause="shutdown")
            raise
        finally:
            with self._lock:
                if slot.thread == me and slot.state not in (CRASHED, RESTARTING):
                    slot.state, slot.alive = STOPPED, False

    def _next_step(self, slot: Slot, leaving: tuple[Step, bool] | None) -> Step | None:
        """The phase attempt this worker does next; blocks until there is one (None on
        shutdown). Leaving the last one and taking the next happen under one hold of the lock."""
        while True:
            with self._lock:
                if leaving is not None:
                    self._leave_locked(slot, *leaving)
                    leaving = None
                slot.state = IDLE
                if self.shutting_down:
                    return None
                step = self._step
                if step is not None and step.serial > slot.last_step:
                    return step
                paused = self.clock.paused
                if step is None and not paused:
                    step = self._open_locked()
                    if step is not None:
                        return step
                if not paused or step is not None:
                    self._cv.wait(1.0)  # others still on their way, a restart, or no work
                    continue
            self.clock.wait_gate()  # paused: no new phase starts

    def _open_locked(self) -> Step | None:
        """Open the next phase attempt if every worker is alive and there is work."""
        if not all(s.alive for s in self.slots.values()):
            return None  # a crashed worker is being restarted: the retry waits for it
        run = self._run
        if run is None:
            with self._table:
                if self.runs_started >= self.asked:
                    return None
                self.runs_started += 1
                number = self.runs_started
            run = self._run = Run(number)
            self.recorder.record("run.started", run=number, expected=self.expected)
        p = run.phase
        attempt = run.retries[p] + 1
        rng = round_rng(self.config.seed, run.number, p, attempt, 0)
        fault = self.config.faults.draw(rng, [str(n) for n in self.slots])
        step = Step(next(self._serials), run, p, attempt, self.barriers[p], fault)
        self._step = step
        self.recorder.record(
            "phase.opened",
            run=run.number,
            phase=self.config.phases[p].name,
            index=p,
            attempt=attempt,
            barrier=step.barrier.name,
            parties=step.barrier.parties,
        )
        self._cv.notify_all()
        return step

    def _do_step(self, slot: Slot, step: Step) -> tuple[Step, bool]:
        """Do this worker's share of the phase and meet the others; returns (step, passed)."""
        c = self.config
        phase = c.phases[step.phase]
        run = step.run.number
        n = slot.n
        duration = round_rng(c.seed, run, step.phase, n).uniform(*phase.duration_s)
        kind, source = "", "plan"
        if step.fault is not None and step.fault.target == str(n):
            kind = step.fault.kind
        if not kind and slot.pending:
            kind, source = self._take_pending(slot), "demand"
        slow = kind == "slow"
        if slow:
            self._fault("slow", slot, step, source)
            duration *= c.slow_x
        slot.state = WORKING
        where = {"run": run, "phase": phase.name, "worker": n, "attempt": step.attempt}
        self.recorder.record("phase.started", **where, duration=duration, slow=slow)
        if kind == "crash":
            self._fault("crash", slot, step, source)
            self.clock.sleep(duration / 2, lambda: step.abandoned)
            raise WorkerCrash(f"{worker_label(n)} crashed in {phase.name}")
        # Work, taking a fault asked for on demand as soon as it arrives.
        t0, total = self.clock.now(), duration
        while True:
            left = max(total - (self.clock.now() - t0), 0.0)
            if self.clock.sleep(left, lambda: step.abandoned or bool(slot.pending)) or step.abandoned:
                break
            kind = self._take_pending(slot)
            if kind:
                self._fault(kind, slot, step, "demand")
            if kind == "crash":
                raise WorkerCrash(f"{worker_label(n)} crashed in {phase.name}")
            if kind == "slow" and not slow:  # a second one finds it slow already
                slow = True
                total += duration * (c.slow_x - 1)
                self.recorder.record("phase.slowed", **where, duration=total)
        duration = total
        if step.abandoned:
            self.recorder.record("phase.abandoned", **where, cause=step.cause)
            return step, False
        value = None
        if step.phase < c.aggregate_index:
            value = partial_value(c.seed, n, step.phase)
            with self._table:
                step.run.partials.setdefault(n, {})[step.phase] = value
        step.work[n] = duration
        self.recorder.record("phase.done", **where, work_s=duration, partial=value)
        slot.state = AT_BARRIER
        try:
            step.barrier.wait(self._barrier_timeout())
        except BrokenBarrierError:
            return step, False
        return step, True

    def _take_pending(self, slot: Slot) -> str:
        """The fault asked for on demand, taken under the lock ``inject`` sets it under."""
        with self._lock:
            kind, slot.pending = slot.pending, ""
            return kind

    def _fault(self, kind: str, slot: Slot, step: Step, source: str) -> None:
        with self._faults_lock:
            self.faults[kind] += 1
        self.recorder.record(
            "fault.injected",
            fault=kind,
            worker=slot.n,
            run=step.run.number,
            phase=self.config.phases[step.phase].name,
            source=source,
        )

    def _barrier_timeout(self) -> float:
        if self.clock.timeless:
            return self.config.max_speed_timeout_s
        return self.clock.to_wall(self.config.barrier_timeout_s)

    def _phase_action(self) -> None:
        """The barrier action: runs in the last worker to arrive, before anyone is released.

        It marks the phase complete, measures the waits and, in the aggregate phase, sums the
        partial results: once per run, in one thread. It takes only the table lock (workers
        hold the scene lock while resetting a barrier).
        """
        step = self._step
        assert step is not None
        c = self.config
        run, p = step.run, step.phase
        name = c.phases[p].name
        last = max(step.work.values())
        waits = {n: last - d for n, d in sorted(step.work.items())}
        aggregate = None
        with self._table:
            if self._accounts_closed:
                self.violations.append(f"run {run.number}: phase {name} completed after the run was stopped")
                return
            step.passed = True
            self.phases_completed += 1
            self.completed_by_phase[p] += 1
            self.wait_by_phase[p] += sum(waits.values())
            for n, w in waits.items():
                self.wait_by_worker[n - 1] += w
            if p == c.aggregate_index:
                if run.aggregate is not None:
                    self.violations.append(f"run {run.number}: aggregated twice")
                partials = {n: sum(v.values()) for n, v in sorted(run.partials.items())}
                aggregate = run.aggregate = sum(partials.values())
                self.aggregations += 1
                self.last_aggregate = aggregate
                if aggregate != self.expected:
                    self.wrong_aggregates += 1
                    self.violations.append(
                        f"run {run.number}: aggregate {aggregate} != expected {self.expected}"
                    )
            finished = p == len(c.phases) - 1
            if finished:
                self.served += 1
        if aggregate is not None:
            self.recorder.record(
                "aggregate.computed",
                run=run.number,
                phase=name,
                value=aggregate,
                expected=self.expected,
                partials={str(n): v for n, v in partials.items()},
            )
        straggler = max(step.work, key=lambda n: step.work[n])
        self.recorder.record(
            "phase.completed",
            run=run.number,
            phase=name,
            index=p,
            attempt=step.attempt,
            waits={str(n): round(w, 4) for n, w in waits.items()},
            wait_s=round(sum(waits.values()), 4),
            slowest=straggler,
        )
        if finished:
            self.recorder.record(
                "run.completed", run=run.number, aggregate=run.aggregate, expected=self.expected
            )

    def _leave_locked(self, slot: Slot, step: Step, ok: bool, cause: str = "") -> None:
        """``slot`` is done with ``step``; ``ok`` when it passed the barrier."""
        step.exits.add(slot.n)
        slot.last_step = step.serial
        if not ok and not step.passed:
            step.abandon(cause or "broken")
        if self._step is not step:
            return  # already closed (a passed step closes at its first leave)
        # A passed step is over for everyone once released, so the first worker out closes
        # it and the next phase can open at once; the others are held by the barrier itself.
        # A broken step waits for every worker to leave before its barrier may be reset.
        if step.passed or len(step.exits) == len(self.slots):
            self._close_locked(step)

    def _close_locked(self, step: Step) -> None:
        self._step = None
        run = step.run
        c = self.config
        if step.passed:
            if step.phase + 1 < len(c.phases):
                run.phase += 1
            else:
                self._run = None
            self._cv.notify_all()
            return
        self.broken_steps += 1
        if step.barrier.broken or step.barrier.n_waiting:
            step.barrier.reset()
        with self._table:
            for values in run.partials.values():  # the broken attempt's partials are taken back
                values.pop(step.phase, None)
        name = c.phases[step.phase].name
        cause = "shutdown" if self.shutting_down else step.cause
        self.recorder.record(
            "phase.broken",
            run=run.number,
            phase=name,
            attempt=step.attempt,
            cause=cause,
            crashed=list(step.crashed),
        )
        if not self.shutting_down:
            if run.retries[step.phase] < c.max_retries:
                run.retries[step.phase] += 1
                with self._table:
                    self.retries_by_phase[step.phase] += 1
                self.recorder.record(
                    "phase.retried",
                    run=run.number,
                    phase=name,
                    attempt=step.attempt + 1,
                    retry=run.retries[step.phase],
                )
            else:
                self._fail_run_locked(run, name)
        self._cv.notify_all()

    def _fail_run_locked(self, run: Run, phase: str) -> None:
        """Past the retry limit: the run is cancelled and the scene stops in order."""
        limit = self.config.max_retries
        reason = f"phase {phase} of run {run.number} broke {limit + 1} times"
        self._run = None
        with self._table:
            self.failed_run = reason
            self._cancel_locked(1, f"failed: {reason}")
        self.recorder.record("run.failed", run=run.number, phase=phase, retries=limit, reason=reason)
        self.escalated = f"{reason} (retry limit {limit})"
        self.recorder.record("supervisor.escalated", reason=self.escalated)
        self.request_shutdown(self.escalated)  # the scene lock is reentrant

    def _cancel_locked(self, count: int, reason: str) -> None:
        """Call with the table lock held."""
        self.cancelled += count
        self.cancel_reasons[reason] += count
        self.recorder.record("run.cancelled", count=count, reason=reason)

    # -- crash and restart ------------------------------------------------------------------
    def _crashed(self, slot: Slot, exc: Exception) -> None:
        with self._lock:
            slot.alive, slot.state = False, CRASHED
            step = self._step
            mine = step is not None and slot.n not in step.exits
            if mine and step is not None:
                step.crashed.append(slot.n)
                step.abandon("crash")  # the others still working stop at once
            self.recorder.record(
                "worker.crashed",
                worker=slot.n,
                run=step.run.number if step is not None else 0,
                phase=self.config.phases[step.phase].name if step is not None else "",
                error=str(exc),
            )
        if mine and step is not None:
            step.barrier.abort()  # the phase's barrier breaks: nobody waits for a dead worker
            with self._lock:
                self._leave_locked(slot, step, ok=False, cause="crash")
        with self._lock:
            if not self.shutting_down:
                self._restarts_due.append(slot)
                self._supervisor_cv.notify_all()

    def _supervise(self) -> None:
        """Restarts crashed workers after a backoff; escalates when the budget is spent."""
        while True:
            with self._lock:
                while not self._restarts_due and not self.shutting_down:
                    self._supervisor_cv.wait(1.0)
                if self.shutting_down:
                    return
                slot = self._restarts_due.popleft()
                if not self._budget.allow(self.clock.now()):
                    self.escalated = f"restart budget exhausted ({self._budget.describe()})"
                    self.recorder.record("supervisor.escalated", reason=self.escalated)
                    self.request_shutdown(self.escalated)
                    return
                backoff = self._budget.backoff()
                slot.state = RESTARTING
                self.recorder.record("worker.restarting", worker=slot.n, backoff_s=backoff)
            self.clock.sleep(backoff)  # ends at once on shutdown
            with self._lock:
                if self.shutting_down:
                    return
                self._start_worker(slot)
                self.recorder.record("worker.restarted", worker=slot.n, worker_thread=slot.thread)

    # -- shutdown -----------------------------------------------------------------------------
    def _wake_all_locked(self) -> None:
        # No phase opens once the shutdown flag is set (checked under this lock), so the
        # step under way, if any, is the last one: only its barrier can hold a worker.
        step = self._step
        self._stop_barrier = None
        if step is not None and not step.passed:
            step.abandon("shutdown")
            self._stop_barrier = step.barrier
        self._supervisor_cv.notify_all()

    def _wake_all_unlocked(self) -> None:
        if self._stop_barrier is not None:
            self._stop_barrier.abort()  # workers at the barrier leave with BrokenBarrierError

    def _after_stop(self) -> None:
        reason = self.shutdown_reason or "shutdown"
        with self._table:
            self._accounts_closed = True
            left = self.asked - self.served - self.cancelled
            if left > 0:
                self._cancel_locked(left, reason)
        with self._lock:
            for slot in self.slots.values():
                slot.state, slot.alive = STOPPED, False

    # -- reporting ------------------------------------------------------------------------------
    def summary(self) -> dict[str, object]:
        names = self.config.phase_names
        with self._table:
            placed, served, cancelled = self.asked, self.served, self.cancelled
            completed = dict(zip(names, self.completed_by_phase, strict=True))
            waits = {n: round(w, 3) for n, w in zip(names, self.wait_by_phase, strict=True)}
            by_worker = {worker_label(i + 1): round(w, 3) for i, w in enumerate(self.wait_by_worker)}
            retries = dict(zip(names, self.retries_by_phase, strict=True))
            phases_completed = self.phases_completed
            aggregations, aggregate, wrong = self.aggregations, self.last_aggregate, self.wrong_aggregates
            violations = list(self.violations)
            reasons = dict(self.cancel_reasons)
            failed = self.failed_run
        with self._faults_lock:
            faults = dict(self.faults)
        return {
            "scenario": self.scenario,
            "placed": placed,
            "served": served,
            "cancelled": cancelled,
            "open": placed - served - cancelled,
            "faults": sum(faults.values()),
            "faults_by_kind": faults,
            "restarts": self.restarts,
            "escalated": self.escalated or None,
            "violations": violations,
            "errors": list(self.errors),
            "seed": self.config.seed,
            "workers": self.config.workers,
            "phases": list(names),
            "aggregate_phase": self.config.aggregate,
            "runs_completed": served,
            "phases_completed": phases_completed,
            "phases_completed_by_phase": completed,
            "retries": sum(retries.values()),
            "retries_by_phase": retries,
            "aggregate": aggregate,
            "expected_aggregate": self.expected,
            "aggregations": aggregations,
            "aggregates_wrong": wrong,
            "wait_s_by_phase": waits,
            "wait_s_by_worker": by_worker,
            "failed_run": failed or None,
            "cancel_reasons": reasons,
        }


__all__ = [
    "DEFAULT_PHASES",
    "FAULT_KINDS",
    "MAX_PHASES",
    "MAX_RUNS",
    "MAX_WORKERS",
    "MIN_WORKERS",
    "Phase",
    "PhasedComputation",
    "PhasesConfig",
    "WorkerCrash",
    "expected_aggregate",
    "partial_of",
    "partial_value",
    "worker_label",
]
