"""The system orchestrator: components start in dependency order, the system goes
INITIALIZING -> READY -> PROCESSING, a failure turns it to ERROR and the supervisor restarts
the failed component and its dependants; SHUTDOWN stops them in reverse dependency order.

All waiting is on one Condition (the state machine's), with predicates: a component waits for
its dependencies, for PROCESSING, or for its dependants to stop, and wakes the moment the
world changes. The supervisor sleeps until the next deadline (readiness, heartbeat, backoff).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.engine.budget import RestartBudget, RestartPolicy
from app.engine.clock import ShutdownRequested, SimClock
from app.engine.faults import FaultPlan, SpecError, round_rng
from app.engine.simulation import Simulation
from app.engine.states import ERROR, INITIALIZING, PROCESSING, READY, SHUTDOWN, StateMachine
from app.engine.workers import WorkerHost
from app.sync import Event
from app.trace.recorder import TraceRecorder

FAULT_KINDS = ("init", "crash", "hang")
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
    incarnation: int = 0
    worker: str = ""
    alive: bool = False
    deadline: float = 0.0  # wall time by which it must be ready, or beat again
    fail_reason: str = ""
    pending: str = ""  # a fault asked for on demand
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
        self.machine = StateMachine(self.recorder, lock=self._lock)
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
            self.recorder.record("system.started", components=self.order)
            for name in self.order:
                self._spawn_component(self.components[name])
            self.spawn("supervisor", self._supervise, role="supervisor")

    def feed(self, units: int = 1) -> None:
        """More work units before the run ends by itself (a run fed nothing runs until stopped)."""
        with self._lock:
            self.requests = (self.requests or 0) + units
            self._cv.notify_all()

    def inject(self, kind: str, target: str | None = None) -> str:
        """Fault on demand: ``init`` and ``hang`` while starting, ``crash``/``hang`` while working."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r} (known: {', '.join(FAULT_KINDS)})")
        component = target
        with self._lock:
            live = sorted(n for n, c in self.components.items() if c.alive and c.status != FAILED)
            if component is None:
                if not live:
                    raise ValueError("no component is running")
                component = self._demand_rng.choice(live)
            elif component not in self.components:
                raise ValueError(f"no component named {component!r}")
            elif component not in live:
                raise ValueError(f"{component} is not running")
            target = self.components[component]
            if kind == "init" and target.status not in (WAITING, STARTING):
                raise ValueError(
                    f"{component} has already started; an init failure needs a starting component"
                )
            target.pending = kind
            self._cv.notify_all()
            return component

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
        inc = c.incarnation
        c.status, c.alive, c.fail_reason = WAITING, True, ""
        c.worker = self.unique_name(c.name)
        self.spawn_named(c.worker, lambda: self._component(c, inc), component=c.name, incarnation=inc)

    def _wall(self, sim_s: float) -> float:
        return self.config.max_speed_timeout_s if self.clock.is_max else self.clock.to_wall(sim_s)

    def _component(self, c: Component, inc: int) -> None:
        m = self.machine
        gone = lambda: c.incarnation != inc or self.shutting_down
        try:
            deps = [self.components[d] for d in c.spec.depends_on]
            m.wait_until(
                lambda: gone() or all(d.status in (READY_C, WORKING) for d in deps),
                what=f"{c.name} needs " + (", ".join(d.name for d in deps) or "nothing"),
            )
            if gone():
                return
            self._initialise(c, inc, gone)
            if gone():
                return
            self._work(c, inc, gone)
        except ComponentFailure as exc:
            with self._lock:
                if c.incarnation == inc:
                    c.status, c.fail_reason, c.alive = FAILED, str(exc), False
                    c.ready.clear()
                self.recorder.record("worker.crashed", component=c.name, error=str(exc))
                self._cv.notify_all()
        except ShutdownRequested:
            pass
        finally:
            self._leave(c, inc)

    def _initialise(self, c: Component, inc: int, gone) -> None:
        with self._lock:
            c.status = STARTING
            c.deadline = time.monotonic() + self._wall(self.config.readiness_timeout_s)
        self.recorder.record("component.init", component=c.name, incarnation=inc)
        rng = round_rng(self.config.seed, c.name, inc, "init")
        u = rng.random()
        fault = c.pending if c.pending in ("init", "hang") else ""
        if fault:
            c.pending = ""
        elif u < self.config.rate(c.name, "init"):
            fault = "init"
        elif u < self.config.rate(c.name, "init") + self.config.rate(c.name, "hang"):
            fault = "hang"
        if fault:
            self._fault(fault, c)
        if fault == "hang":  # never reports ready: the readiness timeout notices
            self.machine.wait_until(gone, what=f"{c.name} hung")
            return
        if not self.clock.sleep(c.spec.init_s * (0.5 if fault else 1.0), gone):
            return
        if fault == "init":
            raise ComponentFailure(f"{c.name} failed to initialise")
        with self._lock:
            if c.incarnation != inc:
                return
            c.status = READY_C
            c.ready.set()
            self.recorder.record("component.ready", component=c.name, incarnation=inc)
            self._cv.notify_all()

    def _work(self, c: Component, inc: int, gone) -> None:
        m = self.machine
        tick = 0
        while True:
            m.wait_until(
                lambda: gone() or m.state == PROCESSING or c.pending != "",
                what=f"{c.name} waits for PROCESSING",
            )
            if gone():
                return
            if m.state != PROCESSING:  # an on-demand fault while not processing: take it now
                kind = c.pending if c.pending in ("crash", "hang") else ""
                c.pending = ""
                if not kind:
                    continue
            else:
                kind = ""
            with self._lock:
                c.status = WORKING
                c.deadline = time.monotonic() + self._wall(self.config.heartbeat_timeout_s)
            self.recorder.record("component.work", component=c.name, tick=tick)
            if not kind:
                rng = round_rng(self.config.seed, c.name, inc, tick)
                u = rng.random()
                crash, hang = self.config.rate(c.name, "crash"), self.config.rate(c.name, "hang")
                if c.pending in ("crash", "hang"):
                    kind, c.pending = c.pending, ""
                elif u < crash:
                    kind = "crash"
                elif u < crash + hang:
                    kind = "hang"
            if kind:
                self._fault(kind, c, tick)
            if kind == "hang":  # stops beating: the heartbeat timeout notices
                m.wait_until(gone, what=f"{c.name} hung")
                return
            done = self.clock.sleep(
                c.spec.work_s * (0.5 if kind else 1.0), lambda: gone() or c.pending in ("crash", "hang")
            )
            if kind == "crash" or (not done and c.pending in ("crash", "hang") and not gone()):
                if kind != "crash":
                    kind, c.pending = c.pending, ""
                    self._fault(kind, c)
                    if kind == "hang":
                        m.wait_until(gone, what=f"{c.name} hung")
                        return
                raise ComponentFailure(f"{c.name} crashed while processing")
            if not done:
                return
            with self._lock:
                if c.incarnation != inc:
                    return
                c.ticks += 1
                self.processed += 1
                c.status = READY_C
                self.recorder.record("component.done", component=c.name, tick=tick, processed=self.processed)
                self._cv.notify_all()
            tick += 1

    def _fault(self, kind: str, c: Component, tick: int | None = None) -> None:
        with self._lock:
            self.faults[kind] += 1
        self.recorder.record(
            "fault.injected", fault=kind, component=c.name, incarnation=c.incarnation, tick=tick
        )

    def _leave(self, c: Component, inc: int) -> None:
        """On shutdown, wait for every dependant to stop first: reverse dependency order."""
        m = self.machine
        if self.shutting_down and c.incarnation == inc:
            dependants = [self.components[d] for d in self.config.dependants(c.name)]
            m.wait_until(lambda: not any(d.alive for d in dependants), what=f"{c.name} waits for dependants")
        with self._lock:
            if c.incarnation == inc:
                c.alive = False
                if c.status != FAILED:
                    c.status = STOPPED
                    c.ready.clear()
            self.recorder.record("component.stopped", component=c.name, incarnation=inc)
            self._cv.notify_all()

    # -- supervision ------------------------------------------------------------------
    def _supervise(self) -> None:
        m = self.machine
        with self._lock:
            while not self.shutting_down:
                now = time.monotonic()
                self._detect_hangs(now)
                self._handle_failures(now)
                if self.shutting_down:
                    return
                self._advance(now)
                wake = self._next_deadline(now)
                m.cond.wait(None if wake is None else max(wake - time.monotonic(), 0.0))

    def _detect_hangs(self, now: float) -> None:
        for c in self.components.values():
            if c.status in (STARTING, WORKING) and now > c.deadline:
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
                c.incarnation += 1  # supersede whatever runs: it leaves at its next wake
                # Not alive any more as far as ordering goes: the old thread no longer counts.
                c.status, c.alive = RESTARTING, False
                c.ready.clear()
                c.restarts += 1
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
                    c.incarnation -= 1  # _spawn_component counts it again
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

    def _next_deadline(self, now: float) -> float | None:
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
        """Wall seconds spent in each state, from the machine's running totals."""
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
