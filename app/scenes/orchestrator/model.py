"""The system orchestrator: components start in dependency order, the system goes
INITIALIZING -> READY -> PROCESSING, a failure turns it to ERROR and the supervisor restarts
the failed component and its dependants; SHUTDOWN stops them in reverse dependency order.

All waiting is on one Condition (the state machine's), with predicates: a component waits for
its dependencies, for PROCESSING, or for its dependants to stop, and wakes the moment the
world changes. The supervisor sleeps until the next deadline (readiness, heartbeat, backoff).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from app.engine.budget import RestartBudget, RestartPolicy
from app.engine.clock import ShutdownRequested, SimClock
from app.engine.faults import FaultPlan, SpecError, round_rng
from app.engine.simulation import STOP_DEADLINE_S, Simulation
from app.engine.states import ERROR, INITIALIZING, PROCESSING, READY, SHUTDOWN, StateMachine
from app.engine.workers import WorkerHost
from app.sync import Event
from app.trace.recorder import TraceRecorder

FAULT_KINDS = ("init", "crash", "hang")
INIT_FAULTS = ("init", "hang")  # what can hit a component while it starts
WORK_FAULTS = ("crash", "hang")  # ... and while it works
MAX_COMPONENTS = 16
# Component lights, as the views show them.
WAITING, STARTING, READY_C, WORKING, FAILED, RESTARTING, STOPPED = (
    "waiting",
    "starting",
    "ready",
    "working",
    "failed",
    "restarting",
    "stopped",
)


class ComponentFailure(Exception):
    """An injected fault: initialisation failed, or the component crashed while working."""


@dataclass(frozen=True)
class ComponentSpec:
    name: str
    init_s: float = 1.0
    work_s: float = 0.5
    depends_on: tuple[str, ...] = ()
    faults: Mapping[str, float] = field(default_factory=dict)  # overrides the system's rates


DEFAULT_COMPONENTS = (
    ComponentSpec("Database", init_s=1.5, work_s=0.6),
    ComponentSpec("Cache", init_s=0.8, work_s=0.3),
    ComponentSpec("API server", init_s=1.0, work_s=0.4, depends_on=("Database", "Cache")),
)


@dataclass(frozen=True)
class SystemConfig:
    components: tuple[ComponentSpec, ...] = DEFAULT_COMPONENTS
    requests: int | None = 30  # work units before the run ends by itself; None: run until stopped
    readiness_timeout_s: float = 5.0
    heartbeat_timeout_s: float = 3.0
    max_speed_timeout_s: float = 0.25  # wall seconds at speed "max"
    ready_hold_s: float = 0.5  # how long READY shows before PROCESSING
    faults: FaultPlan = field(default_factory=lambda: FaultPlan(FAULT_KINDS))
    restart: RestartPolicy = field(default_factory=RestartPolicy)
    seed: int = 0

    def __post_init__(self) -> None:
        names = [c.name for c in self.components]
        if not 1 <= len(names) <= MAX_COMPONENTS:
            raise SpecError(f"a system has 1 to {MAX_COMPONENTS} components, got {len(names)}")
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise SpecError(f"component names must be unique: {', '.join(dupes)}")
        for c in self.components:
            for dep in c.depends_on:
                if dep not in names:
                    raise SpecError(f"component {c.name!r} depends on {dep!r}, which does not exist")
            if not 0 < c.init_s <= 3600 or not 0 < c.work_s <= 3600:
                raise SpecError(f"component {c.name!r}: init_s and work_s must be above 0 and at most 3600")
            if c.work_s >= self.heartbeat_timeout_s:
                raise SpecError(f"component {c.name!r}: work_s must be shorter than heartbeat_timeout_s")
            if c.init_s >= self.readiness_timeout_s:
                raise SpecError(f"component {c.name!r}: init_s must be shorter than readiness_timeout_s")
        self.start_order()  # raises on a cycle
        if self.requests is not None and self.requests < 0:
            raise SpecError("requests must not be negative")

    def spec(self, name: str) -> ComponentSpec:
        return next(c for c in self.components if c.name == name)

    def start_order(self) -> list[str]:
        """Dependencies first; raises SpecError naming a cycle."""
        order: list[str] = []
        state: dict[str, int] = {}
        deps = {c.name: c.depends_on for c in self.components}

        def visit(n: str, path: list[str]) -> None:
            if state.get(n) == 2:
                return
            if state.get(n) == 1:
                cycle = [*path[path.index(n) :], n]
                raise SpecError(f"dependency cycle: {' -> '.join(cycle)}")
            state[n] = 1
            for d in deps[n]:
                visit(d, [*path, n])
            state[n] = 2
            order.append(n)

        for c in self.components:
            visit(c.name, [])
        return order

    def dependants(self, name: str) -> set[str]:
        """Every component that needs ``name``, directly or not."""
        out: set[str] = set()
        frontier = [name]
        while frontier:
            n = frontier.pop()
            for c in self.components:
                if n in c.depends_on and c.name not in out:
                    out.add(c.name)
                    frontier.append(c.name)
        return out

    def rate(self, comp: str, kind: str) -> float:
        own = self.spec(comp).faults
        return own[kind] if kind in own else self.faults.rates.get(kind, 0.0)


@dataclass
class Component:
    spec: ComponentSpec
    ready: Event
    status: str = WAITING
    incarnation: int = 0  # how many threads have run it so far
    current: int = 0  # the incarnation that may still act for it; 0 once superseded
    worker: str = ""
    alive: bool = False
    deadline: float = 0.0  # wall time by which it must be ready, or beat again
    fail_reason: str = ""
    pending: str = ""  # a fault asked for on demand; taken (under the lock) exactly once
    ticks: int = 0
    restarts: int = 0

    @property
    def name(self) -> str:
        return self.spec.name


class Orchestrator(Simulation):
    scenario = "orchestrator"

    def __init__(
        self,
        config: SystemConfig | None = None,
        *,
        clock: SimClock | None = None,
        recorder: TraceRecorder | None = None,
        host: WorkerHost | None = None,
    ) -> None:
        super().__init__(clock=clock, recorder=recorder, host=host)
        self.config = config or SystemConfig()
        # The machine's time line is the clock's deadlines' (simulated in controlled mode).
        self.machine = StateMachine(self.recorder, lock=self._lock, clock=self.clock.wall)
        self._cv = self.machine.cond
        self.components = {
            c.name: Component(c, Event(name=f"{c.name}.ready", recorder=self.recorder))
            for c in self.config.components
        }
        self.order = self.config.start_order()
        self._budget = RestartBudget(self.config.restart)
        self._restart_set: list[str] = []
        self._restart_due: float | None = None
        self._ready_since: float | None = None
        self.processed = 0
        self.requests = self.config.requests
        self.faults: Counter[str] = Counter()
        self.escalated = ""
        self.started = False
        self._demand_rng = round_rng(self.config.seed, "demand")

    # -- public controls --------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self.started:
                return
            self.started = True
            self.recorder.record("system.started", components=self.order, requests=self.requests)
            for name in self.order:
                self._spawn_component(self.components[name])
            self.spawn("supervisor", self._supervise, role="supervisor")

    def feed(self, units: int = 1) -> None:
        """More work units before the run ends by itself (a run fed nothing runs until stopped)."""
        with self._lock:
            self.requests = (self.requests or 0) + units
            self.recorder.record("system.fed", units=units, requests=self.requests)
            self._cv.notify_all()

    def inject(self, kind: str, target: str | None = None) -> str:
        """Fault on demand: ``init`` and ``hang`` while starting, ``crash``/``hang`` while working.

        One fault at a time per component: a second one asked for before the first was
        taken is refused with a message, never silently dropped.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r} (known: {', '.join(FAULT_KINDS)})")
        with self._lock:
            c = self.components[self._fault_target(target)]
            if kind == "init" and c.status not in (WAITING, STARTING):
                raise ValueError(f"{c.name} has already started; an init failure needs a starting component")
            if c.pending:
                raise ValueError(f"{c.name} already has a {c.pending} fault on its way")
            c.pending = kind
            self._cv.notify_all()
            return c.name

    def _fault_target(self, target: str | None) -> str:
        live = sorted(n for n, c in self.components.items() if c.alive and c.status != FAILED)
        if target is None:
            if not live:
                raise ValueError("no component is running")
            return self._demand_rng.choice(live)
        if target not in self.components:
            raise ValueError(f"no component named {target!r}")
        if target not in live:
            raise ValueError(f"{target} is not running")
        return target

    @property
    def state(self) -> str:
        return self.machine.state

    @property
    def restarts(self) -> int:
        return sum(c.restarts for c in self.components.values())

    def finished(self) -> bool:
        if self.shutting_down:
            return True
        return self.requests is not None and self.processed >= self.requests

    # -- components ---------------------------------------------------------------------
    def _spawn_component(self, c: Component) -> None:
        c.incarnation += 1
        inc = c.current = c.incarnation
        c.status, c.alive, c.fail_reason = WAITING, True, ""
        c.worker = self.unique_name(c.name)
        self.spawn_named(c.worker, lambda: self._component(c, inc), component=c.name, incarnation=inc)

    def _wall(self, sim_s: float) -> float:
        return self.config.max_speed_timeout_s if self.clock.timeless else self.clock.to_wall(sim_s)

    def _component(self, c: Component, inc: int) -> None:
        gone = lambda: c.current != inc or self.shutting_down
        try:
            if self._await_dependencies(c, gone) and self._initialise(c, inc, gone):
                self._work(c, inc, gone)
        except ComponentFailure as exc:
            self._failed(c, inc, str(exc))
        except ShutdownRequested:
            pass
        finally:
            self._leave(c, inc)

    def _await_dependencies(self, c: Component, gone: Callable[[], bool]) -> bool:
        """Watched, not timed: a dependency that fails or hangs is restarted with its
        dependants, which supersedes this incarnation and ends the wait."""
        deps = [self.components[d] for d in c.spec.depends_on]
        self.machine.wait_until(
            lambda: gone() or all(d.status in (READY_C, WORKING) for d in deps),
            what=f"{c.name} needs " + (", ".join(d.name for d in deps) or "nothing"),
        )
        return not gone()

    def _arm(self, c: Component, inc: int, status: str, timeout_s: float) -> bool:
        """Enter ``status`` with a deadline the supervisor watches; False if superseded.

        The notify matters: the supervisor may be asleep with no deadline at all (after a
        restart it always is), and a component that then hangs never wakes it again.
        """
        with self._lock:
            if c.current != inc or self.shutting_down:
                return False
            c.status = status
            c.deadline = self.clock.wall() + self._wall(timeout_s)
            self._cv.notify_all()
            return True

    def _take_pending(self, c: Component, inc: int, kinds: tuple[str, ...]) -> str:
        """The fault asked for on demand, if it is one of ``kinds``; taken exactly once."""
        with self._lock:
            if c.current != inc or c.pending not in kinds:
                return ""
            kind, c.pending = c.pending, ""
            return kind

    def _initialise(self, c: Component, inc: int, gone: Callable[[], bool]) -> bool:
        """True once ready; False when superseded. Raises ComponentFailure for an init fault."""
        if not self._arm(c, inc, STARTING, self.config.readiness_timeout_s):
            return False
        self.recorder.record("component.init", component=c.name, incarnation=inc)
        fault = self._take_pending(c, inc, INIT_FAULTS) or self._draw_init_fault(c, inc)
        if not fault:
            self.clock.sleep(c.spec.init_s, lambda: gone() or c.pending in INIT_FAULTS)
            fault = "" if gone() else self._become_ready(c, inc)
            if not fault:
                return not gone()
        self._fault(fault, c, inc)
        if fault == "hang":  # never reports ready: the readiness deadline notices
            self._hang(c, gone)
            return False
        self.clock.sleep(c.spec.init_s * 0.5, gone)
        if gone():
            return False
        raise ComponentFailure(f"{c.name} failed to initialise")

    def _draw_init_fault(self, c: Component, inc: int) -> str:
        u = round_rng(self.config.seed, c.name, inc, "init").random()
        init, hang = self.config.rate(c.name, "init"), self.config.rate(c.name, "hang")
        return "init" if u < init else "hang" if u < init + hang else ""

    def _become_ready(self, c: Component, inc: int) -> str:
        """Report ready, unless a fault was asked for meanwhile: then return it instead."""
        with self._lock:
            if c.current != inc or self.shutting_down:
                return ""
            late = self._take_pending(c, inc, INIT_FAULTS)
            if late:
                return late
            c.status = READY_C
            c.ready.set()
            self.recorder.record("component.ready", component=c.name, incarnation=inc)
            self._cv.notify_all()
            return ""

    def _hang(self, c: Component, gone: Callable[[], bool]) -> None:
        """Stop answering. Watched: the deadline armed before this ends it (or shutdown)."""
        self.machine.wait_until(gone, what=f"{c.name} hung")

    def _work(self, c: Component, inc: int, gone: Callable[[], bool]) -> None:
        m = self.machine
        tick = 0
        while True:
            m.wait_until(
                lambda: gone() or m.state == PROCESSING or c.pending in WORK_FAULTS,
                what=f"{c.name} waits for PROCESSING",
            )
            if gone():
                return
            kind = self._take_pending(c, inc, WORK_FAULTS)  # on demand: taken even when idle
            if not kind and m.state != PROCESSING:
                continue
            if not self._arm(c, inc, WORKING, self.config.heartbeat_timeout_s):
                return
            self.recorder.record("component.work", component=c.name, tick=tick)
            kind = kind or self._draw_work_fault(c, inc, tick)
            midway = False
            if not kind:
                done = self.clock.sleep(c.spec.work_s, lambda: gone() or c.pending in WORK_FAULTS)
                if gone():
                    return
                kind, midway = ("", False) if done else (self._take_pending(c, inc, WORK_FAULTS), True)
                if not done and not kind:
                    continue
            if kind:
                self._fail_at_work(c, inc, tick, kind, midway, gone)
                return
            if not self._tick_done(c, inc, tick):
                return
            tick += 1

    def _draw_work_fault(self, c: Component, inc: int, tick: int) -> str:
        u = round_rng(self.config.seed, c.name, inc, tick).random()
        crash, hang = self.config.rate(c.name, "crash"), self.config.rate(c.name, "hang")
        return "crash" if u < crash else "hang" if u < crash + hang else ""

    def _fail_at_work(
        self, c: Component, inc: int, tick: int, kind: str, midway: bool, gone: Callable[[], bool]
    ) -> None:
        """Hang (stop beating: the heartbeat deadline notices) or crash, halfway through the
        tick unless the fault came in the middle of it."""
        self._fault(kind, c, inc, tick)
        if kind == "hang":
            self._hang(c, gone)
            return
        if not midway:
            self.clock.sleep(c.spec.work_s * 0.5, gone)
        if not gone():
            raise ComponentFailure(f"{c.name} crashed while processing")

    def _tick_done(self, c: Component, inc: int, tick: int) -> bool:
        with self._lock:
            if c.current != inc:
                return False
            c.ticks += 1
            self.processed += 1
            c.status = READY_C
            self.recorder.record("component.done", component=c.name, tick=tick, processed=self.processed)
            self._cv.notify_all()
            return True

    def _failed(self, c: Component, inc: int, reason: str) -> None:
        with self._lock:
            if c.current == inc:
                c.status, c.fail_reason, c.alive = FAILED, reason, False
                c.ready.clear()
            self.recorder.record("worker.crashed", component=c.name, error=reason)
            self._cv.notify_all()

    def _fault(self, kind: str, c: Component, inc: int, tick: int | None = None) -> None:
        with self._lock:
            self.faults[kind] += 1
        self.recorder.record("fault.injected", fault=kind, component=c.name, incarnation=inc, tick=tick)

    def _leave(self, c: Component, inc: int) -> None:
        """On shutdown, wait for every dependant to stop first: reverse dependency order.

        Bounded by the stop deadline: a dependant that cannot stop is reported by ``stop``,
        and must not keep this one waiting for ever.
        """
        m = self.machine
        if self.shutting_down and c.current == inc:
            dependants = [self.components[d] for d in self.config.dependants(c.name)]
            m.wait_until(
                lambda: not any(d.alive for d in dependants),
                timeout=STOP_DEADLINE_S,
                what=f"{c.name} waits for dependants",
            )
        with self._lock:
            if c.current == inc:
                c.alive = False
                if c.status != FAILED:
                    c.status = STOPPED
                    c.ready.clear()
            self.recorder.record("component.stopped", component=c.name, incarnation=inc)
            self._cv.notify_all()

    # -- supervision ------------------------------------------------------------------
    def _supervise(self) -> None:
        with self._lock:
            while not self.shutting_down:
                now = self.clock.wall()
                self._detect_hangs(now)
                self._handle_failures(now)
                if self.shutting_down:
                    return
                self._advance(now)
                self.machine.cond.wait(self._sleep_s())

    def _sleep_s(self) -> float:
        """Until the next deadline, and never longer than the watch interval: deadlines are
        armed with a notify, so the cap is a safety net; should a wake-up ever be lost, a
        hang is caught late instead of never."""
        now = self.clock.wall()
        cap = 2 * self._wall(max(self.config.readiness_timeout_s, self.config.heartbeat_timeout_s))
        wake = self._next_deadline()
        return max(min(cap, cap if wake is None else wake - now), 0.0)

    def _detect_hangs(self, now: float) -> None:
        for c in self.components.values():
            if c.status in (STARTING, WORKING) and now >= c.deadline:  # due: a wait ends at it
                what = "readiness" if c.status == STARTING else "heartbeat"
                c.status, c.fail_reason, c.alive = FAILED, f"{what} timeout", False
                c.ready.clear()
                self.recorder.record("component.timeout", component=c.name, timeout=what)

    def _handle_failures(self, now: float) -> None:
        failed = [n for n in self.order if self.components[n].status == FAILED]
        if not failed:
            return
        m = self.machine
        reason = "; ".join(f"{n}: {self.components[n].fail_reason}" for n in failed)
        if m.state != ERROR and m.can(ERROR):
            m.transition(ERROR, reason)
        if not self._budget.allow(self.clock.now()):
            self.escalated = f"restart budget exhausted ({self._budget.describe()})"
            self.recorder.record("supervisor.escalated", reason=self.escalated)
            self.request_shutdown(self.escalated)
            return
        victims = set(failed)
        for n in failed:
            victims |= self.config.dependants(n)
        backoff = self._budget.backoff()
        due = now + self.clock.to_wall(backoff)
        for n in self.order:
            if n in victims:
                c = self.components[n]
                c.current = 0  # supersede whatever runs: it leaves at its next wake
                # Not alive any more as far as ordering goes: the old thread no longer counts.
                c.status, c.alive = RESTARTING, False
                c.ready.clear()
                if n not in self._restart_set:
                    self._restart_set.append(n)
        self._restart_due = due
        self.recorder.record(
            "supervisor.restarting",
            components=[n for n in self.order if n in victims],
            backoff_s=backoff,
            wall_s=due - now,
            reason=reason,
        )
        self._cv.notify_all()

    def _advance(self, now: float) -> None:
        m = self.machine
        if self._restart_due is not None and now >= self._restart_due:
            m.transition(INITIALIZING, "restarting " + ", ".join(self._restart_set))
            for n in self.order:
                if n in self._restart_set:
                    c = self.components[n]
                    c.restarts += 1
                    self._spawn_component(c)
                    self.recorder.record("worker.restarted", component=n, worker=c.worker)
            self._restart_set, self._restart_due = [], None
        everyone_ready = all(c.status in (READY_C, WORKING) for c in self.components.values())
        if m.state == INITIALIZING and everyone_ready:
            m.transition(READY, "every component reported ready")
            self._ready_since = now
        held = self._ready_since is not None and now - self._ready_since >= self.clock.to_wall(
            self.config.ready_hold_s
        )
        if m.state == READY and held:
            m.transition(PROCESSING, "")
            self._ready_since = None

    def _next_deadline(self) -> float | None:
        times = [c.deadline for c in self.components.values() if c.status in (STARTING, WORKING)]
        if self._restart_due is not None:
            times.append(self._restart_due)
        if self.machine.state == READY and self._ready_since is not None:
            times.append(self._ready_since + self.clock.to_wall(self.config.ready_hold_s))
        return min(times) if times else None

    # -- shutdown and reporting ---------------------------------------------------------
    def _wake_all_locked(self) -> None:
        if self.machine.can(SHUTDOWN):
            self.machine.transition(SHUTDOWN, self.shutdown_reason)

    def time_in_states(self) -> dict[str, float]:
        """Wall seconds (simulated in controlled mode) spent in each state, from the machine's
        running totals."""
        spent = self.machine.time_in_states()
        visited = set(self.machine.visited)
        return {k: round(v, 3) for k, v in spent.items() if v > 0 or k in visited}

    def summary(self) -> dict[str, object]:
        requests = self.requests
        served = min(self.processed, requests) if requests is not None else self.processed
        placed = requests if requests is not None else self.processed
        return {
            "scenario": self.scenario,
            "placed": placed,
            "served": served,
            "cancelled": placed - served,
            "faults": sum(self.faults.values()),
            "faults_by_kind": dict(self.faults),
            "restarts": self.restarts,
            "restarts_by_component": {n: c.restarts for n, c in self.components.items()},
            "states_visited": list(self.machine.visited),
            "time_in_state_s": self.time_in_states(),
            "final_state": self.machine.state,
            "escalated": self.escalated or None,
            "errors": list(self.errors),
            "components": self.order,
            "seed": self.config.seed,
        }
