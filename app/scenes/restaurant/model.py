"""The restaurant: chefs cook one part of each order each and meet at the kitchen barrier.

One order is one *round*. Its members are the stations on duty when it starts. Each member
prepares its part, then waits at the barrier; the barrier's action (run by the last chef to
arrive) combines the parts and serves the dish. A round closes when every member has left
it, passed or broken. Only then is a broken barrier reset and the order put back at the
front of the queue, so no chef can ever wait at a barrier that belongs to another round.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from app.engine.budget import RestartBudget, RestartPolicy
from app.engine.clock import ShutdownRequested, SimClock
from app.engine.faults import Fault, FaultPlan, SpecError, round_rng
from app.engine.orders import Order, OrderBook
from app.engine.simulation import Simulation
from app.engine.workers import WorkerHost
from app.sync import Barrier, BrokenBarrierError, Event, control
from app.trace.recorder import TraceRecorder

DEFAULT_STATIONS = ("appetizer", "main", "dessert")
FAULT_KINDS = ("crash", "burn", "stall", "walkout")
MAX_STATIONS = 32
#: Orders made ahead of the chefs. Work fed beyond this waits as a plain count and is
#: turned into orders as the queue drains, so memory does not grow with a run's length.
QUEUE_AHEAD = 64

# Station states, as the views show them.
IDLE, PREPARING, WAITING, CRASHED, RESTARTING, WALKED_OUT, STOPPED = (
    "idle",
    "preparing",
    "waiting",
    "crashed",
    "restarting",
    "walked out",
    "stopped",
)


class ChefCrash(Exception):
    """The injected fault: a chef's code raises mid-preparation."""


class BurntDish(Exception):
    """The injected fault: the barrier action fails while combining the dish."""


class _WalkOut(Exception):
    pass


@dataclass(frozen=True)
class KitchenConfig:
    stations: tuple[str, ...] = DEFAULT_STATIONS
    prep_s: tuple[float, float] = (0.6, 2.0)  # simulated seconds per part
    barrier_timeout_s: float = 4.0  # simulated; a chef waiting longer breaks the round
    max_speed_timeout_s: float = 0.25  # wall seconds at speed "max", where sim time is 0
    faults: FaultPlan = field(default_factory=lambda: FaultPlan(FAULT_KINDS))
    restart: RestartPolicy = field(default_factory=RestartPolicy)
    rehire_after_s: float | None = 3.0  # simulated; None: only a hire brings a station back
    max_attempts: int = 5
    seed: int = 0
    orders: int = 0  # fed when the kitchen starts (a headless run's length)

    def __post_init__(self) -> None:
        if self.orders < 0:
            raise SpecError(f"orders must not be negative, got {self.orders}")
        if not 1 <= len(self.stations) <= MAX_STATIONS:
            raise SpecError(f"a kitchen has 1 to {MAX_STATIONS} stations, got {len(self.stations)}")
        if len(set(self.stations)) != len(self.stations):
            raise SpecError("station names must be unique")
        if any(not s or not s.strip() for s in self.stations):
            raise SpecError("station names must not be empty")
        lo, hi = self.prep_s
        if not 0 < lo <= hi:
            raise SpecError(f"preparation time range must be positive and ordered, got {lo}..{hi}")
        if self.max_attempts < 1:
            raise SpecError("max_attempts must be at least 1")

    @classmethod
    def with_station_count(cls, n: int, **kw: Any) -> KitchenConfig:
        """``n`` stations: the three defaults, then numbered extras."""
        names = list(DEFAULT_STATIONS[:n]) + [f"station-{i + 1}" for i in range(3, n)]
        return cls(stations=tuple(names), **kw)


@dataclass
class Station:
    name: str
    state: str = IDLE
    on_duty: bool = True  # False after a walk-out, until a hire
    chef: str = ""  # trace name of the chef now at the station
    alive: bool = False  # a chef thread is running for this station
    last_round: int = 0
    pending: str = ""  # a fault asked for on demand; taken (under the lock) exactly once
    order: int = 0


@dataclass
class Round:
    id: int
    order: Order
    members: frozenset[str]
    parts: dict[str, float]
    fault: Fault | None
    barrier: Barrier
    burn: str = ""  # "plan" or "demand" when the dish will burn
    burnt: bool = False
    exits: set[str] = field(default_factory=set)
    broken: bool = False
    cause: str = ""
    served: bool = False
    #: Set (under the kitchen lock) when the round is abandoned: slow chefs stop preparing.
    abandoned: bool = False
    #: Made only when a stalled chef must block until the round is abandoned (rare), so
    #: ordinary rounds do not pay for an Event each.
    _abandon_event: Any = None  # a threading.Event, or the scheduler's in controlled mode

    def abandon(self) -> None:
        self.abandoned = True
        if self._abandon_event is not None:
            self._abandon_event.set()

    def abandon_event(self, recorder: TraceRecorder) -> Any:
        """Call with the kitchen lock held."""
        if self._abandon_event is None:
            self._abandon_event = control.flag(recorder, f"abandon:{self.order.id}")
            if self.abandoned:
                self._abandon_event.set()
        return self._abandon_event


class Kitchen(Simulation):
    scenario = "restaurant"
    end_reason = "shutdown"

    def __init__(
        self,
        config: KitchenConfig | None = None,
        *,
        clock: SimClock | None = None,
        recorder: TraceRecorder | None = None,
        host: WorkerHost | None = None,
    ) -> None:
        super().__init__(clock=clock, recorder=recorder, host=host)
        self.config = config or KitchenConfig()
        self.book = OrderBook(self.recorder)
        self.order_ready = Event(name="order_ready", recorder=self.recorder)
        self.stations = {name: Station(name) for name in self.config.stations}
        self._queue: deque[Order] = deque()
        self._wanted = 0  # orders fed but not made yet: a count, not objects
        self._round: Round | None = None
        self._round_ids = itertools.count(1)
        self._barrier: Barrier | None = None
        #: The stations on duty, sorted, and as a frozenset: made again only when one walks
        #: out or is hired (they change together with ``on_duty``, under the lock).
        self._duty: tuple[list[str], frozenset[str]] | None = None
        self._burns_wanted = 0  # burns asked for that wait for a dish to spoil
        self._budget = RestartBudget(self.config.restart)
        self._agenda: list[tuple[float, int, str, str]] = []  # (due, seq, action, station)
        # The supervisor sleeps on a condition of its own (same lock), so the chefs'
        # round-by-round notifications never wake it: only its agenda and shutdown do.
        self._agenda_cv = control.condition(self._lock, self.recorder, "cond:agenda")
        self._agenda_seq = itertools.count()
        self._demand_rng = round_rng(self.config.seed, "demand")
        self.faults: Counter[str] = Counter()
        # Its own lock: the barrier action counts a burn and must not take the kitchen lock.
        self._faults_lock = threading.Lock()
        self.rounds = 0
        self.broken_rounds = 0
        self.walkouts = 0
        self.hires = 0
        self.escalated = ""
        self.started = False

    # -- public controls (any thread) -------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self.started:
                return
            self.started = True
            for st in self.stations.values():
                self._start_chef(st)
            self.spawn("supervisor", self._supervise, role="supervisor")
        self.feed(self.config.orders)

    def feed(self, units: int = 1) -> None:
        """Ask for ``units`` more orders. They are counted now and made as the queue drains
        (at most ``QUEUE_AHEAD`` wait at once); after a shutdown they are cancelled."""
        if units <= 0:
            return
        with self._lock:
            if not self.shutting_down:
                self._wanted += units
                self._top_up_locked()
                return
            reason = self.shutdown_reason or "kitchen closed"
        self.book.cancel_unplaced(units, reason)

    def _top_up_locked(self) -> None:
        """Make orders from the count fed until ``QUEUE_AHEAD`` wait in the queue."""
        n = min(self._wanted, QUEUE_AHEAD - len(self._queue))
        if n <= 0:
            return
        self._wanted -= n
        members = self._duty_locked()[0]
        draw = self._draw_plan
        orders = self.book.place_many(n)
        for order in orders:
            order.plan = (members, *draw(order.id, 1, members))
        self._queue.extend(orders)
        if not self.order_ready.is_set():
            self.order_ready.set()
        self._cv.notify_all()

    def _duty_locked(self) -> tuple[list[str], frozenset[str]]:
        """The stations on duty, sorted, and as a set (cached until ``on_duty`` changes)."""
        duty = self._duty
        if duty is None:
            members = sorted(n for n, s in self.stations.items() if s.on_duty)
            duty = self._duty = (members, frozenset(members))
        return duty

    def _new_order(self, members: list[str]) -> Order:
        """Place one order, its first attempt's plan drawn now (off the chefs' hot path)."""
        order = self.book.place()
        order.plan = (members, *self._draw_plan(order.id, 1, members))
        return order

    def _draw_plan(
        self, order_id: int, attempt: int, members: list[str]
    ) -> tuple[dict[str, float], Fault | None]:
        """Durations and fault of one attempt: a function of seed, order and attempt only."""
        rng = round_rng(self.config.seed, order_id, attempt)
        lo, hi = self.config.prep_s
        parts = dict(zip(members, rng.uniforms(lo, hi, len(members)), strict=True))
        faults = self.config.faults
        return parts, faults.draw(rng, members) if faults.rates else None

    def place_order(self) -> int:
        """Queue one order now (a waiter's ticket: it shows in the queue at once, unlike
        orders fed in bulk); after shutdown it is cancelled at once (never dropped)."""
        order = self._new_order(sorted(n for n, s in self.stations.items() if s.on_duty))
        with self._lock:
            if self.shutting_down:
                self.book.cancel(order, self.shutdown_reason or "kitchen closed")
                return order.id
            self._queue.append(order)
            if not self.order_ready.is_set():
                self.order_ready.set()  # set under the lock that clear() takes: never missed
            self._cv.notify_all()
        return order.id

    def inject(self, kind: str, target: str | None = None) -> str:
        """Ask for a fault now; returns the station it hits ("" for a burn).

        A crash, stall or walk-out hits the chef mid-dish if it is preparing, else on its
        next dish; a burn spoils the dish being cooked, else the next one. One fault at a
        time per chef: a second one asked for before the first was taken is refused with a
        message, never silently dropped. Burns add up: each spoils one dish.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r} (known: {', '.join(FAULT_KINDS)})")
        with self._lock:
            if kind == "burn":
                self._ask_burn_locked()
                return ""
            st = self.stations[self._fault_target(target)]
            if st.pending:
                raise ValueError(f"the {st.name} chef already has a {st.pending} on the way")
            st.pending = kind
            return st.name

    def _ask_burn_locked(self) -> None:
        rnd = self._round
        if rnd is not None and not rnd.served and not rnd.broken and not rnd.burn:
            rnd.burn = "demand"
        else:
            self._burns_wanted += 1

    def _fault_target(self, target: str | None) -> str:
        candidates = sorted(n for n, s in self.stations.items() if s.on_duty and s.alive)
        if target is None:
            if not candidates:
                raise ValueError("no chef is on duty")
            return self._demand_rng.choice(candidates)
        if target not in self.stations:
            raise ValueError(f"no station named {target!r}")
        if target not in candidates:
            raise ValueError(f"no chef is at the {target} station")
        return target

    def hire(self, station: str | None = None) -> str:
        """Bring a walked-out station back; returns its name."""
        with self._lock:
            gone = sorted(n for n, s in self.stations.items() if not s.on_duty)
            if station is None:
                if not gone:
                    raise ValueError("every station is staffed")
                station = gone[0]
            if station not in gone:
                raise ValueError(f"the {station} station is staffed")
            self._hire_locked(self.stations[station])
            return station

    @property
    def queued(self) -> int:
        with self._lock:
            return len(self._queue)

    @property
    def restarts(self) -> int:
        return self._budget.total

    @property
    def current_round(self) -> Round | None:
        return self._round

    def finished(self) -> bool:
        """True once every order fed or placed has ended, or the kitchen is shutting down."""
        if self.shutting_down:
            return True
        with self._lock:  # orders move from the count to the book under this lock
            return self._wanted == 0 and self.book.open == 0

    # -- the chef role ------------------------------------------------------------------
    def _start_chef(self, st: Station) -> None:
        name = self.unique_name(f"chef-{st.name}")
        st.chef, st.alive, st.state = name, True, IDLE
        self.spawn_named(name, lambda: self._chef(st, name), station=st.name)
        self._cv.notify_all()

    def _chef(self, st: Station, me: str) -> None:
        try:
            leaving: tuple[Round, bool, str] | None = None
            while True:
                st.state = IDLE
                self.clock.wait_gate()
                rnd = self._next_round(st, leaving)
                if rnd is None:
                    return
                leaving = None  # if _cook raises, the handlers below leave the round
                leaving = self._cook(st, rnd)
        except ChefCrash as exc:
            self._crashed(st, exc)
        except _WalkOut:
            self._walked_out(st)
        except BaseException:
            with self._lock:
                st.alive = False
                rnd = self._round
                if rnd is not None and st.name in rnd.members and st.name not in rnd.exits:
                    self._leave_locked(st, rnd, ok=False, cause="shutdown")
            raise
        finally:
            with self._lock:
                # A restarted chef may already own the station: only touch our own.
                if st.chef == me and st.state not in (CRASHED, RESTARTING, WALKED_OUT):
                    st.state, st.alive = STOPPED, False

    def _next_round(self, st: Station, leaving: tuple[Round, bool, str] | None = None) -> Round | None:
        """The round this chef cooks next; blocks until there is one (None on shutdown).

        ``leaving`` is the round the chef has just finished: leaving it and taking the next
        happen under one hold of the lock (one hand-off per chef per round, not two).

        Fast path, without the lock: leaving a round that was served and is already closed
        (by the first chef out) only notes the exit, and the round that chef opened is this
        chef's if it is a member. Neither can change under us: a closed round never reopens,
        and a round this chef belongs to cannot close before this chef has left it.
        """
        if leaving is not None:
            rnd, ok, _ = leaving
            if ok and rnd.served and self._round is not rnd:
                rnd.exits.add(st.name)
                st.last_round = rnd.id
                st.order = 0
                leaving = None
                nxt = self._round
                if nxt is not None and st.name in nxt.members and nxt.id > rnd.id and not self.shutting_down:
                    return nxt
        while True:
            with self._lock:
                if leaving is not None:
                    self._leave_locked(st, *leaving)
                    leaving = None
                if self.shutting_down:
                    return None
                rnd = self._round
                if rnd is not None:
                    if st.name in rnd.members and rnd.id > st.last_round:
                        return rnd
                    self._cv.wait(1.0)  # not mine: wait for it to close
                    continue
                paused = self.clock.paused
                if self._queue and st.on_duty and not paused:
                    if self._all_ready_locked():
                        return self._open_round_locked()
                    self._cv.wait(1.0)  # a chef is being restarted: wait for it
                    continue
                if not paused:
                    # Clear under the lock that place_order sets under: no order slips past.
                    self.order_ready.clear()
            if paused:
                self.clock.wait_gate()  # no new dish starts while paused
            else:
                # Every blocking wait has a deadline: should a wake-up ever be missed, the
                # chef looks again within seconds instead of never (seen once under heavy load).
                self.order_ready.wait(5.0)

    def _all_ready_locked(self) -> bool:
        for s in self.stations.values():  # noqa: SIM110 - a loop: no generator per round
            if s.on_duty and not s.alive:
                return False
        return True

    def _open_round_locked(self) -> Round:
        order = self._queue.popleft()
        if self._wanted and len(self._queue) <= QUEUE_AHEAD // 2:
            self._top_up_locked()  # in batches, so the lock is not held longer per round
        order.attempts += 1
        members, member_set = self._duty_locked()
        planned = order.plan
        if planned is not None and order.attempts == 1 and (planned[0] is members or planned[0] == members):
            _, parts, fault = planned  # drawn when the order was placed, outside this lock
        else:
            parts, fault = self._draw_plan(order.id, order.attempts, members)
        order.plan = None
        if self._barrier is None or self._barrier.parties != len(members):
            self._barrier = Barrier(
                len(members), action=self._serve, name=self.unique_name("kitchen"), recorder=self.recorder
            )
        rnd = Round(next(self._round_ids), order, member_set, parts, fault, self._barrier)
        if self._burns_wanted:
            rnd.burn = "demand"
            self._burns_wanted -= 1
        elif fault is not None and fault.kind == "burn":
            rnd.burn = "plan"
        self._round = rnd
        self.rounds += 1
        self.recorder.emit(
            {
                "seq": 0,
                "ts": 0.0,
                "sim": 0.0,
                "thread": "",
                "kind": "order.started",
                "order": order.id,
                "attempt": order.attempts,
                "round": rnd.id,
                "stations": members,
            }
        )
        self._cv.notify_all()
        return rnd

    def _cook(self, st: Station, rnd: Round) -> tuple[Round, bool, str]:
        """Prepare this chef's part and meet the others; returns how it left the round."""
        st.order = rnd.order.id
        fault = rnd.fault if rnd.fault is not None and rnd.fault.target == st.name else None
        kind = fault.kind if fault is not None and fault.kind != "burn" else ""
        source = "plan"
        if not kind and st.pending:  # read without the lock; taken under it, exactly once
            kind, source = self._take_pending(st), "demand"
        st.state = PREPARING
        duration = rnd.parts[st.name]
        emit = self.recorder.emit  # literal dicts: the same record as record() makes, cheaper
        emit(
            {
                "seq": 0,
                "ts": 0.0,
                "sim": 0.0,
                "thread": "",
                "kind": "part.started",
                "station": st.name,
                "order": rnd.order.id,
                "round": rnd.id,
                "duration": duration,
            }
        )
        if kind:
            self._fault(kind, st, rnd, source)
        else:
            clock = self.clock
            if clock.timeless:  # what clock.sleep does at free "max", without the callback
                clock.check()
                done = not (rnd.abandoned or st.pending)
            else:
                done = clock.sleep(duration, lambda: rnd.abandoned or bool(st.pending))
            kind = "" if done or rnd.abandoned else self._take_pending(st)
            if kind:
                self._fault(kind, st, rnd, "demand")
        emit(
            {
                "seq": 0,
                "ts": 0.0,
                "sim": 0.0,
                "thread": "",
                "kind": "part.done",
                "station": st.name,
                "order": rnd.order.id,
                "round": rnd.id,
            }
        )
        st.state = WAITING
        try:
            rnd.barrier.wait(self._barrier_timeout())
            ok, cause = True, ""
        except BrokenBarrierError:
            ok, cause = False, "timeout" if not rnd.cause else rnd.cause
        except BurntDish:
            ok, cause = False, "burn"
        return rnd, ok, cause

    def _take_pending(self, st: Station) -> str:
        """The fault asked for on demand, taken under the lock that ``inject`` sets it
        under: one asked for at the same moment is either refused or kept, never lost."""
        with self._lock:
            kind, st.pending = st.pending, ""
            return kind

    def _count_fault(self, kind: str) -> None:
        with self._faults_lock:
            self.faults[kind] += 1

    def _fault(self, kind: str, st: Station, rnd: Round, source: str) -> None:
        """Carry out a crash, stall or walk-out in the chef's own thread."""
        self._count_fault(kind)
        self.recorder.record("fault.injected", fault=kind, station=st.name, order=rnd.order.id, source=source)
        if kind == "crash":
            self.clock.sleep(rnd.parts[st.name] / 2, lambda: rnd.abandoned)
            raise ChefCrash(f"the {st.name} chef dropped everything")
        if kind == "walkout":
            raise _WalkOut
        # Stall: outlive the others' barrier timeout, in wall time so it stalls at "max" too.
        with self._lock:
            abandoned = rnd.abandon_event(self.recorder)
        if not abandoned.wait(2 * self._barrier_timeout()):
            self.clock.check()
        self.clock.check()

    def _barrier_timeout(self) -> float:
        if self.clock.timeless:
            return self.config.max_speed_timeout_s
        return self.clock.to_wall(self.config.barrier_timeout_s)

    def _serve(self) -> None:
        """The barrier action: runs in the last chef to arrive, before anyone is released.

        It takes no kitchen lock (chefs hold the kitchen lock while resetting the barrier).
        """
        rnd = self._round
        assert rnd is not None
        if rnd.burn:
            rnd.burnt = True
            self._count_fault("burn")
            self.recorder.record("fault.injected", fault="burn", order=rnd.order.id, source=rnd.burn)
            raise BurntDish(f"order {rnd.order.id} burnt while combining")
        rnd.served = self.book.serve(rnd.order)

    def _leave_locked(self, st: Station, rnd: Round, ok: bool, cause: str = "") -> None:
        rnd.exits.add(st.name)
        st.last_round = rnd.id
        st.order = 0
        if not ok and not rnd.broken:
            rnd.broken, rnd.cause = True, cause
            rnd.abandon()
        if self._round is not rnd:
            return  # already closed (a served round closes at its first leave)
        # A served round is over for everyone once released, so the first chef out closes it
        # and the next round can open at once; chefs still draining out of the barrier are
        # held by the barrier itself. A broken round must wait for every member to leave
        # before its barrier may be reset.
        if (rnd.served and not rnd.broken) or rnd.exits >= rnd.members:
            self._close_locked(rnd)

    def _close_locked(self, rnd: Round) -> None:
        if rnd.burn == "demand" and not rnd.burnt:
            self._burns_wanted += 1  # the round ended before combining: the user's burn waits
        if rnd.broken:
            self.broken_rounds += 1
            if rnd.barrier.broken or rnd.barrier.n_waiting:
                rnd.barrier.reset()
        if not rnd.served:
            order = rnd.order
            if self.shutting_down:
                self._queue.appendleft(order)  # _after_stop cancels it with the reason
            elif order.attempts >= self.config.max_attempts:
                self.book.cancel(order, f"gave up after {order.attempts} attempts")
            else:
                self._queue.appendleft(order)
                self.recorder.record("order.requeued", order=order.id, cause=rnd.cause)
        self._round = None
        if self._queue and not self.order_ready.is_set():
            self.order_ready.set()  # cleared only under this lock: set stays set
        self._cv.notify_all()

    # -- crash, walk-out, supervision -----------------------------------------------------
    def _crashed(self, st: Station, exc: Exception) -> None:
        with self._lock:
            st.alive = False
            st.state = CRASHED
            rnd = self._round
            mine = rnd is not None and st.name in rnd.members and st.name not in rnd.exits
        self.recorder.record("worker.crashed", station=st.name, error=str(exc))
        if mine and rnd is not None:
            rnd.barrier.abort()  # the others must not wait for a chef who is gone
            with self._lock:
                self._leave_locked(st, rnd, ok=False, cause="crash")
        self._schedule(0.0, "restart", st.name)

    def _walked_out(self, st: Station) -> None:
        with self._lock:
            st.alive = False
            st.on_duty = False
            self._duty = None
            st.state = WALKED_OUT
            self.walkouts += 1
            self.recorder.record("worker.walked_out", station=st.name)
            rnd = self._round
            # No abort: the others learn it from the barrier timeout, as a party mismatch.
            if rnd is not None and st.name in rnd.members and st.name not in rnd.exits:
                self._leave_locked(st, rnd, ok=False, cause="walkout")
            self._cv.notify_all()
        if self.config.rehire_after_s is not None:
            self._schedule(self.config.rehire_after_s, "hire", st.name)

    def _hire_locked(self, st: Station) -> None:
        if self.shutting_down or st.on_duty:
            return
        st.on_duty = True
        self._duty = None
        self.hires += 1
        self.recorder.record("worker.hired", station=st.name)
        self._start_chef(st)

    def _schedule(self, delay_s: float, action: str, station: str) -> None:
        with self._lock:
            due = self.clock.wall() + self.clock.to_wall(delay_s)
            heapq.heappush(self._agenda, (due, next(self._agenda_seq), action, station))
            self._agenda_cv.notify_all()

    def _supervise(self) -> None:
        """Restarts crashed chefs after a backoff; escalates when the budget is spent."""
        while True:
            with self._lock:
                if self.shutting_down:
                    return
                now = self.clock.wall()
                if not self._agenda or self._agenda[0][0] > now:
                    wait = self._agenda[0][0] - now if self._agenda else None
                    self._agenda_cv.wait(wait)
                    continue
                _, _, action, name = heapq.heappop(self._agenda)
                st = self.stations[name]
                if action == "hire":
                    self._hire_locked(st)
                elif st.state == CRASHED:
                    self._restart_locked(st)
                elif st.state == RESTARTING:
                    self._start_chef(st)
                    self.recorder.record("worker.restarted", station=name, chef=st.chef)

    def _restart_locked(self, st: Station) -> None:
        if not self._budget.allow(self.clock.now()):
            self.escalated = f"restart budget exhausted ({self._budget.describe()})"
            self.recorder.record("supervisor.escalated", reason=self.escalated)
            # Safe under the kitchen lock: the lock order is always kitchen, then barrier.
            self.request_shutdown(self.escalated)
            return
        st.state = RESTARTING
        backoff = self._budget.backoff()
        due = self.clock.wall() + self.clock.to_wall(backoff)
        self.recorder.record(
            "worker.restarting", station=st.name, backoff_s=backoff, wall_s=self.clock.to_wall(backoff)
        )
        heapq.heappush(self._agenda, (due, next(self._agenda_seq), "restart", st.name))

    # -- shutdown ---------------------------------------------------------------------
    def _wake_all_locked(self) -> None:
        if self._round is not None:
            self._round.abandon()
        self.order_ready.set()
        self._agenda_cv.notify_all()

    def _wake_all_unlocked(self) -> None:
        barrier = self._barrier
        if barrier is not None:
            barrier.abort()  # chefs at the barrier leave with BrokenBarrierError

    def _after_stop(self) -> None:
        reason = self.shutdown_reason or "shutdown"
        with self._lock:
            leftovers = list(self._queue)
            self._queue.clear()
            rnd = self._round
            if rnd is not None and not rnd.served:
                leftovers.insert(0, rnd.order)
            for st in self.stations.values():
                if st.state != WALKED_OUT:
                    st.state = STOPPED
            unmade, self._wanted = self._wanted, 0
        for order in leftovers:
            self.book.cancel(order, reason)
        self.book.cancel_unplaced(unmade, reason)

    # -- reporting --------------------------------------------------------------------
    def summary(self) -> dict[str, object]:
        """``placed`` counts every order asked for, made yet or not (so a run's progress
        reads served out of all it will serve); once stopped, all of them were made."""
        with self._lock:
            wanted = self._wanted
        with self._faults_lock:
            faults = dict(self.faults)
        return {
            "scenario": self.scenario,
            "placed": self.book.placed + wanted,
            "served": self.book.served,
            "cancelled": self.book.cancelled,
            "open": self.book.open + wanted,
            "faults": sum(faults.values()),
            "faults_by_kind": faults,
            "restarts": self.restarts,
            "walkouts": self.walkouts,
            "hires": self.hires,
            "rounds": self.rounds,
            "broken_rounds": self.broken_rounds,
            "cancel_reasons": dict(self.book.reasons),
            "escalated": self.escalated or None,
            "violations": list(self.book.violations),
            "errors": list(self.errors),
            "stations": list(self.config.stations),
            "seed": self.config.seed,
        }


__all__ = [
    "FAULT_KINDS",
    "BurntDish",
    "ChefCrash",
    "Kitchen",
    "KitchenConfig",
    "ShutdownRequested",
]
